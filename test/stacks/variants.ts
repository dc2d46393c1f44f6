/**
 * Generated environment files that, between them, switch on every option of an environment
 * file: each starts from hosts/production.yaml, changes a group of options, and must pass our
 * own validation before terraform validate sees it. OPTIONS names each switch with a test of
 * whether an environment has it, so the suite can prove every switch is covered.
 */
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import type { Environment } from "../../config/environment";
import { loadEnvironmentFile } from "../../config/load";
import { ROOT } from "./synth";

type Doc = Record<string, any>;
const production = (): Doc => parse(fs.readFileSync(path.join(ROOT, "hosts", "production.yaml"), "utf8"));
const v4only = (peers: string[]) => peers.filter((p) => !p.includes(":"));
const withoutIpv6 = (d: Doc) => {
  d.network.ipv6 = false;
  for (const t of Object.values<any>(d.tiers)) {
    for (const s of t.serves ?? []) s.from = v4only(s.from);
    for (const e of t.egress ?? []) e.to = v4only(e.to);
  }
};
const awsPickedIps = (d: Doc) => {
  delete d.bastion.privateIp;
  for (const t of Object.values<any>(d.tiers)) delete t.privateIps;
};
const azs = (d: Doc, n: number) => {
  d.availabilityZones = ["us-east-1a", "us-east-1b", "us-east-1c"].slice(0, n);
  d.network.publicSubnets = [0, 2, 4].slice(0, n).map((i) => `192.168.${i}.0/24`);
  d.network.privateSubnets = [1, 3, 5].slice(0, n).map((i) => `192.168.${i}.0/24`);
};
const KMS = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
export const CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/1234abcd-12ab-34cd-56ef-1234567890ab";

/** The webapp tier behind a load balancer: two zones, the tier private, its world ports gone (it serves the load balancer only). */
export function behindLoadBalancer(d: Doc, lb: Doc = {}): void {
  azs(d, 2);
  d.tiers.webapp.subnet = "private";
  d.tiers.webapp.serves = [];
  d.tiers.webapp.privateIps = (d.tiers.webapp.privateIps ?? []).map((_: string, i: number) => `192.168.${i % 2 === 0 ? 1 : 3}.${80 + i}`);
  if (d.tiers.webapp.privateIps.length === 0) delete d.tiers.webapp.privateIps;
  d.loadBalancer = { certificateArn: CERTIFICATE, ...lb };
}

/** name -> edit of the production document (`keyFile` is a real public key for imported key pairs) */
export function variantEdits(keyFile: string): Record<string, (d: Doc) => void> {
  return {
    "ipv4-aws-ips-imported-key": (d) => {
      withoutIpv6(d);
      awsPickedIps(d);
      d.keyPair = { publicKeyFile: keyFile };
    },
    "three-azs-count-three": (d) => {
      azs(d, 3);
      awsPickedIps(d);
      d.tiers.webapp.count = 3;
      d.tiers.analysis.count = 2;
    },
    "two-azs-fixed-ips-count-two": (d) => {
      azs(d, 2);
      withoutIpv6(d);
      d.tiers.webapp.count = 2;
      d.tiers.webapp.privateIps = ["192.168.0.80", "192.168.2.80"];
      d.tiers.database.count = 2;
      d.tiers.database.privateIps = ["192.168.1.100", "192.168.3.100"];
    },
    "every-volume-type-kms": (d) => {
      d.kmsKeyId = KMS;
      d.tiers.database.volumes = [
        { name: "gp3", sizeGb: 100, type: "gp3", iops: 6000, throughput: 500, device: "/dev/sdf", mountPoint: "/data", filesystem: "xfs" },
        { name: "gp2", sizeGb: 20, type: "gp2", device: "/dev/sdg", mountPoint: "/gp2", encryption: "none" },
        { name: "io1", sizeGb: 20, type: "io1", iops: 1000, device: "/dev/sdh", mountPoint: "/io1" },
        { name: "io2", sizeGb: 20, type: "io2", iops: 2000, device: "/dev/sdi", mountPoint: "/io2", filesystem: "xfs" },
        { name: "st1", sizeGb: 125, type: "st1", device: "/dev/sdj", mountPoint: "/st1", holdsData: false, encryption: "none" },
        { name: "sc1", sizeGb: 125, type: "sc1", device: "/dev/sdk", mountPoint: "/sc1", owner: "mongodb", group: "mongodb", mode: "0750" },
      ];
    },
    "s3-backend-no-snapshots-waivers": (d) => {
      d.backend = { s3: { bucket: "emission-state", key: "envs/x.tfstate", region: "us-east-2", kmsKeyId: KMS.replace("us-east-1", "us-east-2") } };
      d.snapshots = { enabled: false };
      d.waivers = [{ rule: "no-public-jupyter", resource: "aws_vpc_security_group_ingress_rule", reason: "generated variant: a waiver is accepted" }];
    },
    "lb-dualstack-count-three": (d) => {
      behindLoadBalancer(d);
      awsPickedIps(d);
      d.tiers.webapp.count = 3;
    },
    "lb-ipv4-operators-health-port": (d) => {
      withoutIpv6(d);
      d.tiers.webapp.count = 2;
      d.tiers.webapp.privateIps = ["192.168.0.80", "192.168.2.80"];
      behindLoadBalancer(d, {
        from: ["operators", "198.51.100.0/24"],
        targetPort: 8443,
        sslPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06",
        deregistrationDelay: 0,
        healthCheck: { path: "/ping", port: 8444, interval: 30, timeout: 10, healthyThreshold: 5, unhealthyThreshold: 2 },
      });
    },
    "lb-declared-off": (d) => {
      d.loadBalancer = { enabled: false };
    },
    "graviton-users-snapshot-time": (d) => {
      d.ami = { owner: "099720109477", nameFilter: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*" };
      d.bastion = { instanceType: "t4g.micro", rootVolumeGb: 10, user: "admin" };
      for (const t of Object.values<any>(d.tiers)) t.instanceType = "m7g.large";
      d.tiers.notebook.user = "ubuntu";
      d.sshUser = "ubuntu";
      d.snapshots = { enabled: true, time: "22:30", retainDays: 30 };
      d.tiers.webapp.rootVolumeGb = 40;
    },
  };
}

/** Every switch the variants must cover, with how to recognise it in a loaded environment. */
export const OPTIONS: Record<string, (e: Environment) => boolean> = {
  "IPv6 on": (e) => e.network.ipv6,
  "IPv6 off": (e) => !e.network.ipv6,
  "one AZ": (e) => e.availabilityZones.length === 1,
  "several AZs": (e) => e.availabilityZones.length > 1,
  "count > 1 with AWS-picked IPs": (e) => Object.values(e.tiers).some((t) => t.count > 1 && !t.privateIps),
  "count > 1 with fixed IPs": (e) => Object.values(e.tiers).some((t) => t.count > 1 && !!t.privateIps),
  "fixed IPs": (e) => e.hosts.some((h) => h.privateIp) && !!e.bastion.privateIp,
  "AWS-picked IPs": (e) => e.hosts.every((h) => !h.privateIp) && !e.bastion.privateIp,
  ...Object.fromEntries(["gp3", "gp2", "io1", "io2", "st1", "sc1"].map((t) => [`volume type ${t}`, (e: Environment) => e.hosts.some((h) => h.volumes.some((v) => v.type === t))])),
  "gp3 with iops and throughput": (e) => e.hosts.some((h) => h.volumes.some((v) => v.type === "gp3" && v.iops && v.throughput)),
  "LUKS encryption": (e) => e.hosts.some((h) => h.volumes.some((v) => v.encryption === "luks")),
  "no LUKS encryption": (e) => e.hosts.some((h) => h.volumes.some((v) => v.encryption === "none")),
  "customer KMS key": (e) => !!e.kmsKeyId,
  "AWS-managed KMS key": (e) => !e.kmsKeyId,
  "S3 backend": (e) => !!e.backend.s3,
  "local backend": (e) => !e.backend.s3,
  "existing key pair": (e) => !!e.keyPair.name,
  "imported key pair": (e) => !!e.keyPair.publicKeyFile,
  "snapshots on": (e) => e.snapshots.enabled,
  "snapshots off": (e) => !e.snapshots.enabled,
  waivers: (e) => e.waivers.length > 0,
  "arm64 AMI and Graviton types": (e) => /arm64/.test(e.ami.nameFilter),
  "bastion and tier users": (e) => !!e.bastion.user && Object.values(e.tiers).some((t) => !!t.user),
  "load balancer, dual-stack": (e) => !!e.loadBalancer?.enabled && e.network.ipv6,
  "load balancer, IPv4 only": (e) => !!e.loadBalancer?.enabled && !e.network.ipv6,
  "load balancer declared but off": (e) => !!e.loadBalancer && !e.loadBalancer.enabled,
  "load balancer open to listed peers": (e) => !!e.loadBalancer?.from,
  "load balancer health check on its own port": (e) => e.loadBalancer?.healthCheck.port !== undefined,
  "load balancer with several targets": (e) => !!e.loadBalancer?.enabled && (e.tiers[e.loadBalancer.tier]?.count ?? 0) > 1,
};

/** Write each variant as `<dir>/<name>.yaml` and load it (our validation must accept it). */
export function writeVariants(dir: string, keyFile: string): Environment[] {
  return Object.entries(variantEdits(keyFile)).map(([name, edit]) => {
    const doc = production();
    edit(doc);
    doc.name = name;
    doc.prefix = `v${Object.keys(variantEdits(keyFile)).indexOf(name)}`;
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(file, stringify(doc));
    return loadEnvironmentFile(file);
  });
}
