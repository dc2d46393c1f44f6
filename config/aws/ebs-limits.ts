/**
 * EBS limits per volume type, as data. Why: the provider does not check them (`terraform
 * validate` passes gp3 with 100 IOPS, st1 at 5 GiB, gp3 at 100000 GiB); AWS refuses them at
 * apply, after the network and instances were already created. Figures from the EC2 API
 * reference, CreateVolume (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolume.html)
 * and "Amazon EBS volume types" (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html):
 *   gp3 1–16384 GiB, 3000–16000 IOPS, ≤ 500 IOPS per GiB, 125–1000 MiB/s, ≤ 0.25 MiB/s per IOPS
 *   gp2 1–16384 GiB (IOPS follow size) · io1 4–16384 GiB, 100–64000 IOPS, ≤ 50 per GiB
 *   io2 4–65536 GiB, 100–256000 IOPS, ≤ 1000 per GiB (Block Express) · st1, sc1 125–16384 GiB
 * A type missing `iops` takes none; missing `throughput`, none either.
 */
export interface EbsLimits {
  sizeGb: [number, number];
  iops?: { range: [number, number]; perGb: number; required: boolean };
  throughput?: { range: [number, number]; perIops: number };
}

export const EBS_LIMITS: Readonly<Record<string, EbsLimits>> = {
  gp3: { sizeGb: [1, 16384], iops: { range: [3000, 16000], perGb: 500, required: false }, throughput: { range: [125, 1000], perIops: 0.25 } },
  gp2: { sizeGb: [1, 16384] },
  io1: { sizeGb: [4, 16384], iops: { range: [100, 64000], perGb: 50, required: true } },
  io2: { sizeGb: [4, 65536], iops: { range: [100, 256000], perGb: 1000, required: true } },
  st1: { sizeGb: [125, 16384] },
  sc1: { sizeGb: [125, 16384] },
};

/** gp3's baseline when `iops` is not given (for the throughput-per-IOPS ratio). */
export const GP3_BASELINE_IOPS = 3000;
