/**
 * What the banner guards: the AWS resource types whose destruction (or replacement, which
 * destroys the old object) loses data or something an operator cannot get back, one row
 * each, with the sentence the banner shows. A row may look at the change itself (`when`):
 * an instance only counts when it carries data in `ebs_block_device` volumes that go with it.
 * Project-specific cases (the database tier's instance, HoldsData=true tags) are in analyze.ts.
 */
import type { ResourceChange } from "./read";

export interface StatefulRow {
  type: string;
  why: string;
  /** only when this holds for the change (default: always) */
  when?: (rc: ResourceChange) => boolean;
}

const deletedWithInstance = (rc: ResourceChange) =>
  ([] as any[]).concat(rc.change.before?.ebs_block_device ?? []).some((d) => d && d.delete_on_termination !== false);

export const STATEFUL: StatefulRow[] = [
  { type: "aws_ebs_volume", why: "an EBS volume: the data on it goes with it" },
  { type: "aws_volume_attachment", why: "detaches a data volume from its instance" },
  { type: "aws_ebs_snapshot", why: "an EBS snapshot: a backup is deleted" },
  { type: "aws_instance", why: "an instance whose ebs_block_device volumes are deleted with it (delete_on_termination)", when: deletedWithInstance },
  { type: "aws_db_instance", why: "an RDS database instance and its storage" },
  { type: "aws_rds_cluster", why: "an RDS/Aurora cluster and its storage" },
  { type: "aws_dynamodb_table", why: "a DynamoDB table and its items" },
  { type: "aws_s3_bucket", why: "an S3 bucket and its objects" },
  { type: "aws_efs_file_system", why: "an EFS file system and its files" },
  { type: "aws_elasticache_cluster", why: "an ElastiCache cluster and its data" },
  { type: "aws_elasticache_replication_group", why: "an ElastiCache replication group and its data" },
  { type: "aws_elasticache_serverless_cache", why: "an ElastiCache serverless cache and its data" },
  { type: "aws_opensearch_domain", why: "an OpenSearch domain and its indices" },
  { type: "aws_elasticsearch_domain", why: "an Elasticsearch domain and its indices" },
  { type: "aws_docdb_cluster", why: "a DocumentDB cluster and its storage" },
  { type: "aws_docdb_elastic_cluster", why: "a DocumentDB elastic cluster and its storage" },
  { type: "aws_neptune_cluster", why: "a Neptune cluster and its storage" },
  { type: "aws_kms_key", why: "a KMS key scheduled for deletion: whatever it encrypts becomes unreadable" },
  { type: "aws_nat_gateway", why: "the NAT gateway: private hosts lose their way out" },
  { type: "aws_eip", why: "a public address that cannot be had back" },
];

/** The banner's sentence for a destroyed or replaced resource of a stateful type, if any. */
export function statefulRow(rc: ResourceChange): StatefulRow | undefined {
  return STATEFUL.find((r) => r.type === rc.type && (!r.when || r.when(rc)));
}
