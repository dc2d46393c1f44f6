/**
 * One Terraform stack per environment file: provider (region, default tags), backend,
 * network, security groups, key pair, bastion, the tiers' instances and volumes, the
 * snapshot policy, the load balancer when the file has one, and the runner's inventory output. This is the one place that reads the
 * whole Environment: each construct gets narrow props (what it uses), mapped here, and
 * every AWS name comes from stacks/names.ts.
 */
import { App, AwsProvider, Construct, DataAwsAmi, Fn, KeyPair, LocalBackend, S3Backend, TerraformStack } from "./cdk";
import type { Environment } from "../config/environment";
import { DataVolume } from "./data-volume";
import { moveFromLegacyNames, serverId, volumeId } from "./identities";
import { InventoryOutput } from "./inventory-output";
import { LoadBalancer } from "./load-balancer";
import { LB_GROUP } from "../config/load-balancer";
import { markMonitoringGroup } from "./monitoring";
import { defaultTags, keyPairName, snapshotTagValue } from "./names";
import { Network } from "./network";
import { BASTION, securityRules } from "./rules";
import { SecurityGroups } from "./security-groups";
import { Server } from "./server";
import { SnapshotPolicy, SNAPSHOT_TAG } from "./snapshot-policy";
import { backendPath } from "./state";

export interface EnvironmentStackProps {
  env: Environment;
}

export class EnvironmentStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id);
    const { env } = props;
    const { prefix, kmsKeyId } = env;
    const ipv6 = env.network.ipv6;
    new AwsProvider(this, "aws", { region: env.region, defaultTags: [{ tags: defaultTags(env.name, prefix) }] });
    configureBackend(this, env);

    const net = new Network(this, "network", {
      prefix,
      vpcCidr: env.network.vpcCidr,
      availabilityZones: env.availabilityZones,
      publicSubnets: env.network.publicSubnets,
      privateSubnets: env.network.privateSubnets,
      ipv6,
    });
    const lbSpec = env.loadBalancer?.enabled ? env.loadBalancer : undefined;
    const sgs = new SecurityGroups(this, "security", {
      prefix,
      vpcId: net.vpc.id,
      groups: [BASTION, ...Object.keys(env.tiers)],
      otherGroups: lbSpec ? { [LB_GROUP]: `load balancer: HTTPS and HTTP in, port ${lbSpec.targetPort} to ${lbSpec.tier} only` } : undefined,
      rules: securityRules(env),
    });
    markMonitoringGroup(env.monitoring?.enabled ? env.monitoring.tier : undefined, sgs.groups);
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
      : new KeyPair(this, "operator-key", { keyName: keyPairName(prefix), publicKey: Fn.file(Fn.pathexpand(env.keyPair.publicKeyFile!)) }).keyName;

    const bastion = new Server(this, "bastion", {
      prefix,
      name: BASTION,
      amiId: ami.id,
      instanceType: env.bastion.instanceType,
      subnetId: net.publicSubnets[0].id,
      public: true,
      privateIp: env.bastion.privateIp,
      securityGroupIds: [sgs.groups.bastion.id],
      keyName,
      rootVolumeGb: env.bastion.rootVolumeGb,
      kmsKeyId,
      ipv6,
      protect: false,
    });

    // hosts with data are snapshotted whole (all data volumes at one moment): the policy targets them
    const snapshotted = (volumes: { holdsData: boolean }[]) => env.snapshots.enabled && volumes.some((v) => v.holdsData);
    const hosts = env.hosts.map((spec) => {
      const tier = env.tiers[spec.tier];
      const subnets = spec.subnet === "public" ? net.publicSubnets : net.privateSubnets;
      const server = new Server(this, serverId(spec.name), {
        prefix,
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
        kmsKeyId,
        ipv6,
        protect: tier.volumes.some((v) => v.holdsData),
        extraTags: snapshotted(spec.volumes) ? { [SNAPSHOT_TAG]: snapshotTagValue(prefix) } : undefined,
      });
      const volumes: Record<string, DataVolume> = {};
      for (const volume of spec.volumes)
        volumes[volume.name] = new DataVolume(this, volumeId(spec.name, volume.name), {
          prefix,
          host: spec.name,
          tier: spec.tier,
          volume,
          kmsKeyId,
          availabilityZone: env.availabilityZones[spec.azIndex],
          instanceId: server.instance.id,
        });
      moveFromLegacyNames(spec, tier.count, server.instance, volumes);
      return { spec, instance: server.instance, volumes, user: tier.user ?? env.sshUser };
    });

    if (env.hosts.some((h) => snapshotted(h.volumes))) new SnapshotPolicy(this, "snapshots", { prefix, time: env.snapshots.time, retainDays: env.snapshots.retainDays });
    const lb = lbSpec
      ? new LoadBalancer(this, "load-balancer", {
          prefix,
          tier: lbSpec.tier,
          vpcId: net.vpc.id,
          subnetIds: net.publicSubnets.map((s) => s.id),
          securityGroupId: sgs.groups[LB_GROUP].id,
          certificateArn: lbSpec.certificateArn!, // required when enabled (config/load-balancer.ts)
          sslPolicy: lbSpec.sslPolicy,
          targetPort: lbSpec.targetPort,
          deregistrationDelay: lbSpec.deregistrationDelay,
          healthCheck: lbSpec.healthCheck,
          ipv6,
          targets: hosts.filter((h) => h.spec.tier === lbSpec.tier).map((h) => ({ host: h.spec.name, instanceId: h.instance.id })),
        })
      : undefined;
    new InventoryOutput(this, "outputs", {
      bastion: bastion.instance,
      bastionUser: env.bastion.user ?? env.sshUser,
      hosts,
      ipv6,
      loadBalancer: lb && lbSpec ? { tier: lbSpec.tier, lb: lb.lb, targetGroup: lb.targetGroup, targetPort: lbSpec.targetPort } : undefined,
    });
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
