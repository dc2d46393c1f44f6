/**
 * Checks of an environment against what AWS accepts, so `multitier validate` refuses what
 * `terraform validate` cannot see and AWS would refuse at apply: region and zones, KMS key
 * ARNs, EBS limits per volume type, instance architecture against the AMI, instance families
 * that cannot be EBS-optimized. The facts live as
 * data in config/aws/ (one small table each, with the AWS page it comes from).
 */
import { EBS_LIMITS, GP3_BASELINE_IOPS } from "./aws/ebs-limits";
import { family, NOT_EBS_OPTIMIZED_FAMILIES } from "./aws/ebs-optimized";
import { amiArch, instanceArch } from "./aws/instance-architecture";
import { REGIONS, zonesOf } from "./aws/regions";
import type { EnvironmentSpec, VolumeSpec } from "./schema";
import type { SemanticError } from "./validate";
import { didYouMean } from "./validate";
import type { Path } from "./yamlsource";

/** arn:<partition>:kms:<region>:<account>:key/<key id> (a key, not an alias: the provider stores the key's ARN) */
const KMS_KEY_ARN = /^arn:aws(-cn|-us-gov)?:kms:([a-z0-9-]+):(\d{12}):key\/((mrk-)?[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function awsErrors(env: EnvironmentSpec): SemanticError[] {
  const errors: SemanticError[] = [];
  const add = (path: Path, message: string) => errors.push({ path, message });
  if (env.platform !== "aws") return errors; // the lab has no stack: its zones and types are labels

  const regionKnown = REGIONS.includes(env.region);
  if (!regionKnown) add(["region"], `expected an AWS region (such as us-east-1), got "${env.region}"${didYouMean(env.region, REGIONS)}`);
  else
    env.availabilityZones.forEach((z, i) => {
      if (!zonesOf(env.region).includes(z)) add(["availabilityZones", i], `expected an availability zone of ${env.region} (${zonesOf(env.region).join(", ")}), got "${z}"`);
    });

  const kms = (path: Path, value: string | undefined, region: string) => {
    if (value === undefined) return;
    const m = KMS_KEY_ARN.exec(value);
    if (!m) add(path, `expected a KMS key ARN such as arn:aws:kms:${region}:111122223333:key/<key id> (the provider needs the key's ARN; a key id or alias is not accepted), got "${value}"`);
    else if (m[2] !== region) add(path, `expected a KMS key in ${region} (keys are regional), got one in ${m[2]}`);
  };
  kms(["kmsKeyId"], env.kmsKeyId, env.region);
  if (env.backend.s3) kms(["backend", "s3", "kmsKeyId"], env.backend.s3.kmsKeyId, env.backend.s3.region ?? env.region);
  if (env.backend.s3?.region && !REGIONS.includes(env.backend.s3.region))
    add(["backend", "s3", "region"], `expected an AWS region (such as us-east-1), got "${env.backend.s3.region}"${didYouMean(env.backend.s3.region, REGIONS)}`);

  const wanted = amiArch(env.ami.nameFilter);
  const arch = (path: Path, type: string) => {
    if (NOT_EBS_OPTIMIZED_FAMILIES.includes(family(type)))
      add(path, `expected a current-generation instance type (every instance is launched EBS-optimized; previous-generation ${family(type)} does not support it on all or some sizes), got ${type}`);
    if (wanted && instanceArch(type) !== wanted)
      add(path, `expected an ${wanted} instance type to match the AMI filter "${env.ami.nameFilter}", got ${type} (${instanceArch(type)}${instanceArch(type) === "arm64" ? ", AWS Graviton" : ""})`);
  };
  arch(["bastion", "instanceType"], env.bastion.instanceType);
  for (const [name, tier] of Object.entries(env.tiers)) {
    arch(["tiers", name, "instanceType"], tier.instanceType);
    tier.volumes.forEach((v, i) => ebsErrors(v, ["tiers", name, "volumes", i], add));
  }
  return errors;
}

function ebsErrors(v: VolumeSpec, vp: Path, add: (path: Path, message: string) => void): void {
  const limits = EBS_LIMITS[v.type];
  const [min, max] = limits.sizeGb;
  if (v.sizeGb < min || v.sizeGb > max) add([...vp, "sizeGb"], `expected ${min}–${max} GiB for a ${v.type} volume, got ${v.sizeGb}`);
  if (!limits.iops) {
    if (v.iops !== undefined) add([...vp, "iops"], `${v.type} volumes take no iops (only gp3, io1 and io2 do), got ${v.iops}`);
  } else if (v.iops === undefined) {
    if (limits.iops.required) add([...vp, "iops"], `expected iops for ${v.type} volumes, got nothing`);
  } else {
    const [lo, hi] = limits.iops.range;
    const perGb = limits.iops.perGb * v.sizeGb;
    if (v.iops < lo || v.iops > hi) add([...vp, "iops"], `expected ${lo}–${hi} IOPS for a ${v.type} volume, got ${v.iops}`);
    else if (v.iops > perGb) add([...vp, "iops"], `expected at most ${limits.iops.perGb} IOPS per GiB for ${v.type} (${perGb} for ${v.sizeGb} GiB), got ${v.iops}`);
  }
  if (!limits.throughput) {
    if (v.throughput !== undefined) add([...vp, "throughput"], `throughput applies to gp3 volumes only, got type ${v.type}`);
  } else if (v.throughput !== undefined) {
    const [lo, hi] = limits.throughput.range;
    const iops = v.iops ?? GP3_BASELINE_IOPS;
    const ratioMax = Math.floor(iops * limits.throughput.perIops);
    if (v.throughput < lo || v.throughput > hi) add([...vp, "throughput"], `expected ${lo}–${hi} MiB/s for a ${v.type} volume, got ${v.throughput}`);
    else if (v.throughput > ratioMax) add([...vp, "throughput"], `expected at most ${limits.throughput.perIops} MiB/s per provisioned IOPS (${ratioMax} for ${iops} IOPS), got ${v.throughput}`);
  }
}
