/**
 * One declared volume of a host: an encrypted EBS volume in the host's availability zone,
 * attached at the declared device name. A volume that holds data is protected by
 * `prevent_destroy` (Terraform refuses any plan that would destroy it); the daily snapshot
 * policy takes it with the other volumes of its instance (snapshot-policy.ts).
 */
import { Construct, EbsVolume, VolumeAttachment } from "./cdk";
import type { VolumeSpec } from "../config/schema";
import { volumeName } from "./names";

export interface DataVolumeProps {
  /** the environment's prefix: the Name tag starts with it (stacks/names.ts) */
  readonly prefix: string;
  /** the host it is attached to, e.g. database-2 */
  readonly host: string;
  readonly tier: string;
  /** the declared volume (its defaults were applied from config/defaults.ts when the file was read) */
  readonly volume: Pick<VolumeSpec, "name" | "sizeGb" | "type" | "iops" | "throughput" | "device" | "mountPoint" | "holdsData">;
  /**
   * the KMS key the volume is encrypted with
   * @default - the account's AWS-managed EBS key
   */
  readonly kmsKeyId?: string;
  readonly availabilityZone: string;
  readonly instanceId: string;
}

export class DataVolume extends Construct {
  readonly ebs: EbsVolume;
  readonly attachment: VolumeAttachment;

  constructor(scope: Construct, id: string, props: DataVolumeProps) {
    super(scope, id);
    const { prefix, volume: v } = props;
    this.ebs = new EbsVolume(this, "ebs", {
      availabilityZone: props.availabilityZone,
      size: v.sizeGb,
      type: v.type,
      iops: v.iops,
      throughput: v.throughput,
      encrypted: true,
      kmsKeyId: props.kmsKeyId,
      tags: {
        Name: volumeName(prefix, props.host, v.name),
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
