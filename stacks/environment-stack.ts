/**
 * One Terraform stack per environment file: provider (region, default tags), backend,
 * network, security groups, key pair, bastion, the tiers' instances and volumes, the
 * snapshot policy and the runner's inventory output.
 */
import { App, AwsProvider, Construct, DataAwsAmi, Fn, KeyPair, LocalBackend, S3Backend, TerraformStack } from "./cdk";
import type { Environment } from "../config/environment";
import { DataVolume } from "./data-volume";
import { moveFromLegacyNames, serverId, volumeId } from "./identities";
import { InventoryOutput } from "./inventory-output";
import { markMonitoringGroup } from "./monitoring";
import { defaultTags } from "./names";
import { Network } from "./network";
import { SecurityGroups } from "./security-groups";
import { Server } from "./server";
import { SnapshotPolicy, SNAPSHOT_TAG, snapshotTagValue } from "./snapshot-policy";
import { backendPath } from "./state";

export interface EnvironmentStackProps {
  env: Environment;
}

export class EnvironmentStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id);
    const { env } = props;
    new AwsProvider(this, "aws", { region: env.region, defaultTags: [{ tags: defaultTags(env) }] });
    configureBackend(this, env);

    const net = new Network(this, "network", { env });
    const sgs = new SecurityGroups(this, "security", { env, vpcId: net.vpc.id });
    markMonitoringGroup(env, sgs.groups);
    const ami = new DataAwsAmi(this, "ubuntu", {
      mostRecent: true,
      owners: [env.ami.owner],
      filter: [
        { name: "name", values: [env.ami.nameFilter] },
        { name: "virtualization-type", values: ["hvm"] },
      ],
    });
    // an existing key pair by name, or the operator's public key imported (read by Terraform
    // at plan time: the private key never leaves the operator's machine)
    const keyName = env.keyPair.name
      ? env.keyPair.name
      : new KeyPair(this, "operator-key", { keyName: `${env.prefix}-operator`, publicKey: Fn.file(Fn.pathexpand(env.keyPair.publicKeyFile!)) }).keyName;

    const bastion = new Server(this, "bastion", {
      env,
      name: "bastion",
      amiId: ami.id,
      instanceType: env.bastion.instanceType,
      subnetId: net.publicSubnets[0].id,
      public: true,
      privateIp: env.bastion.privateIp,
      securityGroupIds: [sgs.groups.bastion.id],
      keyName,
      rootVolumeGb: env.bastion.rootVolumeGb,
      protect: false,
    });

    // hosts with data are snapshotted whole (all data volumes at one moment): the policy targets them
    const snapshotted = (volumes: { holdsData: boolean }[]) => env.snapshots.enabled && volumes.some((v) => v.holdsData);
    const hosts = env.hosts.map((spec) => {
      const tier = env.tiers[spec.tier];
      const subnets = spec.subnet === "public" ? net.publicSubnets : net.privateSubnets;
      const server = new Server(this, serverId(spec.name), {
        env,
        name: spec.name,
        tier: spec.tier,
        amiId: ami.id,
        instanceType: tier.instanceType,
        subnetId: subnets[spec.azIndex].id,
        public: spec.subnet === "public",
        privateIp: spec.privateIp,
        securityGroupIds: [sgs.groups[spec.tier].id],
        keyName,
        rootVolumeGb: tier.rootVolumeGb,
        protect: tier.volumes.some((v) => v.holdsData),
        extraTags: snapshotted(spec.volumes) ? { [SNAPSHOT_TAG]: snapshotTagValue(env) } : undefined,
      });
      const volumes: Record<string, DataVolume> = {};
      for (const volume of spec.volumes)
        volumes[volume.name] = new DataVolume(this, volumeId(spec.name, volume.name), {
          env,
          host: spec.name,
          tier: spec.tier,
          volume,
          availabilityZone: env.availabilityZones[spec.azIndex],
          instanceId: server.instance.id,
        });
      moveFromLegacyNames(spec, tier.count, server.instance, volumes);
      return { spec, instance: server.instance, volumes };
    });

    if (env.hosts.some((h) => snapshotted(h.volumes))) new SnapshotPolicy(this, "snapshots", { env });
    new InventoryOutput(this, "outputs", { env, bastion: bastion.instance, hosts });
  }
}

/**
 * Local state by default (terraform.<env>.tfstate in the project root, outside cdktf.out:
 * stacks/state.ts); S3 with a lock file and encryption when the file names a bucket.
 */
function configureBackend(stack: TerraformStack, env: Environment): void {
  const s3 = env.backend.s3;
  if (!s3) {
    new LocalBackend(stack, { path: backendPath(env.name, App.of(stack).outdir) });
    return;
  }
  new S3Backend(stack, {
    bucket: s3.bucket,
    key: s3.key ?? `multitier/${env.name}.tfstate`,
    region: s3.region ?? env.region,
    encrypt: true,
    kmsKeyId: s3.kmsKeyId,
  });
  // S3-native locking (Terraform ≥ 1.10); cdktf 0.21's S3Backend has no typed field for it
  stack.addOverride("terraform.backend.s3.use_lockfile", true);
}
