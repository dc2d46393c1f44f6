/**
 * One declared volume of a host: an encrypted EBS volume in the host's availability zone,
 * attached at the declared device name. A volume that holds data is protected by
 * `prevent_destroy` (Terraform refuses any plan that would destroy it); the daily snapshot
 * policy takes it with the other volumes of its instance (snapshot-policy.ts).
 */
import { Construct, EbsVolume, VolumeAttachment } from "./cdk";
import type { Environment } from "../config/environment";
import type { VolumeSpec } from "../config/schema";

export interface DataVolumeProps {
  env: Environment;
  host: string;
  tier: string;
  volume: VolumeSpec;
  availabilityZone: string;
  instanceId: string;
}

export class DataVolume extends Construct {
  readonly ebs: EbsVolume;
  readonly attachment: VolumeAttachment;

  constructor(scope: Construct, id: string, props: DataVolumeProps) {
    super(scope, id);
    const { env, volume: v } = props;
    this.ebs = new EbsVolume(this, "ebs", {
      availabilityZone: props.availabilityZone,
      size: v.sizeGb,
      type: v.type,
      iops: v.iops,
      throughput: v.throughput,
      encrypted: true,
      kmsKeyId: env.kmsKeyId,
      tags: {
        Name: `${env.prefix}-${props.host}-${v.name}`,
        Tier: props.tier,
        Host: props.host,
        Volume: v.name,
        MountPoint: v.mountPoint,
        HoldsData: String(v.holdsData),
      },
      lifecycle: { preventDestroy: v.holdsData },
    });
    this.attachment = new VolumeAttachment(this, "attachment", {
      deviceName: v.device,
      volumeId: this.ebs.id,
      instanceId: props.instanceId,
      stopInstanceBeforeDetaching: true,
    });
  }
}
