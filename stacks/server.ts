/**
 * One EC2 instance (the bastion or a tier host): Ubuntu AMI from the environment's lookup,
 * IMDSv2 required, encrypted gp3 root volume, EBS-optimized, public IP only in public
 * subnets, optional fixed private IP, one IPv6 address when the environment has IPv6.
 *
 * `ami` is ignored after creation: the AMI lookup moves with every Ubuntu release and an
 * instance must never be replaced (and its data lost) because a newer image appeared.
 */
import { Construct, Instance } from "./cdk";
import { D } from "../config/defaults";
import { hostName, rootVolumeName } from "./names";

export interface ServerProps {
  /** the environment's prefix: Name tags start with it (stacks/names.ts) */
  readonly prefix: string;
  /** host name, e.g. webapp or webapp-2 */
  readonly name: string;
  /**
   * the host's tier (its Tier tag)
   * @default "bastion"
   */
  readonly tier?: string;
  readonly amiId: string;
  readonly instanceType: string;
  readonly subnetId: string;
  readonly public: boolean;
  /** @default - AWS picks one in the subnet */
  readonly privateIp?: string;
  readonly securityGroupIds: string[];
  readonly keyName: string;
  readonly rootVolumeGb: number;
  /**
   * the KMS key of the encrypted root volume
   * @default - the account's AWS-managed EBS key
   */
  readonly kmsKeyId?: string;
  /**
   * one IPv6 address (the subnet must have an IPv6 range)
   * @default D.ipv6 (config/defaults.ts)
   */
  readonly ipv6?: boolean;
  /** refuse API termination (hosts whose tier holds data) */
  readonly protect: boolean;
  /** more instance tags (e.g. the snapshot policy's target tag) */
  readonly extraTags?: Record<string, string>;
}

export class Server extends Construct {
  readonly instance: Instance;

  constructor(scope: Construct, id: string, props: ServerProps) {
    super(scope, id);
    const { prefix } = props;
    this.instance = new Instance(this, "instance", {
      ami: props.amiId,
      instanceType: props.instanceType,
      subnetId: props.subnetId,
      privateIp: props.privateIp,
      associatePublicIpAddress: props.public,
      ipv6AddressCount: (props.ipv6 ?? D.ipv6) ? 1 : undefined,
      vpcSecurityGroupIds: props.securityGroupIds,
      keyName: props.keyName,
      ebsOptimized: true,
      disableApiTermination: props.protect,
      metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
      rootBlockDevice: {
        volumeType: "gp3",
        volumeSize: props.rootVolumeGb,
        encrypted: true,
        kmsKeyId: props.kmsKeyId,
        deleteOnTermination: true,
        // root-volume tags here, not in volume_tags: the provider documents that volume_tags
        // conflicts with aws_ebs_volume + aws_volume_attachment managed separately (our data
        // volumes), each apply would rewrite the other's tags
        tags: { Name: rootVolumeName(prefix, props.name), Tier: props.tier ?? "bastion" },
      },
      tags: { Name: hostName(prefix, props.name), Tier: props.tier ?? "bastion", Host: props.name, ...props.extraTags },
      lifecycle: { ignoreChanges: ["ami"] },
    });
  }
}
