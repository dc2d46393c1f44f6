/**
 * One EC2 instance (the bastion or a tier host): Ubuntu AMI from the environment's lookup,
 * IMDSv2 required, encrypted gp3 root volume, EBS-optimized, public IP only in public
 * subnets, optional fixed private IP, one IPv6 address when the environment has IPv6.
 *
 * `ami` is ignored after creation: the AMI lookup moves with every Ubuntu release and an
 * instance must never be replaced (and its data lost) because a newer image appeared.
 */
import { Construct, Instance } from "./cdk";
import type { Environment } from "../config/environment";

export interface ServerProps {
  env: Environment;
  /** host name, e.g. webapp or webapp-2 */
  name: string;
  tier?: string;
  amiId: string;
  instanceType: string;
  subnetId: string;
  public: boolean;
  privateIp?: string;
  securityGroupIds: string[];
  keyName: string;
  rootVolumeGb: number;
  /** refuse API termination (hosts whose tier holds data) */
  protect: boolean;
  /** more instance tags (e.g. the snapshot policy's target tag) */
  extraTags?: Record<string, string>;
}

export class Server extends Construct {
  readonly instance: Instance;

  constructor(scope: Construct, id: string, props: ServerProps) {
    super(scope, id);
    const { env } = props;
    this.instance = new Instance(this, "instance", {
      ami: props.amiId,
      instanceType: props.instanceType,
      subnetId: props.subnetId,
      privateIp: props.privateIp,
      associatePublicIpAddress: props.public,
      ipv6AddressCount: env.network.ipv6 ? 1 : undefined,
      vpcSecurityGroupIds: props.securityGroupIds,
      keyName: props.keyName,
      ebsOptimized: true,
      disableApiTermination: props.protect,
      metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
      rootBlockDevice: {
        volumeType: "gp3",
        volumeSize: props.rootVolumeGb,
        encrypted: true,
        kmsKeyId: env.kmsKeyId,
        deleteOnTermination: true,
        // root-volume tags here, not in volume_tags: the provider documents that volume_tags
        // conflicts with aws_ebs_volume + aws_volume_attachment managed separately (our data
        // volumes), each apply would rewrite the other's tags
        tags: { Name: `${env.prefix}-${props.name}-root`, Tier: props.tier ?? "bastion" },
      },
      tags: { Name: `${env.prefix}-${props.name}`, Tier: props.tier ?? "bastion", Host: props.name, ...props.extraTags },
      lifecycle: { ignoreChanges: ["ami"] },
    });
  }
}
