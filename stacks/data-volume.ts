/**
 * One declared volume of a host: an encrypted EBS volume in the host's availability zone,
 * attached at the declared device name. A volume that holds data is protected by
 * `prevent_destroy` (Terraform refuses any plan that would destroy it) and tagged for the
 * daily snapshot policy.
 */
import { Construct, EbsVolume, VolumeAttachment } from "./cdk";
import type { Environment } from "../config/environment";
import type { VolumeSpec } from "../config/schema";

export const SNAPSHOT_TAG = "SnapshotPolicy";

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

  constructor(scope: Construct, id: string, props: DataVolumeProps) {
    super(scope, id);
    const { env, volume: v } = props;
    const snap = v.holdsData && env.snapshots.enabled;
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
        ...(snap ? { [SNAPSHOT_TAG]: `${env.prefix}-daily` } : {}),
      },
      lifecycle: { preventDestroy: v.holdsData },
    });
    new VolumeAttachment(this, "attachment", {
      deviceName: v.device,
      volumeId: this.ebs.id,
      instanceId: props.instanceId,
      stopInstanceBeforeDetaching: true,
    });
  }
}
