/**
 * The lab: real SSH hosts on this machine standing in for an environment's bastion and
 * tier instances (NOTES §3). Every host is a network namespace with its own overlay root and
 * a real OpenSSH sshd; the tiers sit behind the bastion and are reachable only through it.
 *
 *   controller (root namespace) ──10.214.<k>.0/30── bastion ──bridge 10.213.0.0/24── public tiers
 *                                                           └─bridge 10.213.1.0/24── private tiers
 *
 * The bastion does not forward packets: the only way in is SSH through it, as in AWS.
 * Each declared volume is a sparse loop image presented inside its host only, at the
 * Nitro path /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol<id>.
 * `labUp` writes the inventory outputs, known_hosts and key like a deployed stack would;
 * `labDown` removes every namespace, process, loop device and file it made (idempotent,
 * from any process: state is in <labDir>/state.json).
 */
import { execFile, execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import pLimit from "p-limit";
import type { Environment } from "../config/environment";
import { loadEnvironmentFile } from "../config/load";

const run = promisify(execFile);
const HERE = __dirname;
/** loop images are sparse; a declared 3 TiB volume must not become 3 TiB of test file */
export const LOOP_CAP_MB = 1024;

export interface LabOptions {
  /** short name, [a-z0-9]{1,4}: part of every namespace and interface name */
  id: string;
  /** hosts per tier (LAB_HOSTS) */
  hostsPerTier?: number;
  /** where outputs/known_hosts are written (default hosts/) */
  outDir?: string;
  /** environment file describing the lab (default hosts/lab.yaml) */
  envFile?: string;
  /** where namespaces' roots, keys and state live (default .lab/<id>) */
  labDir?: string;
}

export interface LabHost {
  name: string;
  tier: string;
  ns: string;
  dir: string;
  address: string;
  volumes: { name: string; loop: string; image: string; volumeId: string; byId: string }[];
}

export interface LabState {
  id: string;
  labDir: string;
  outDir: string;
  envName: string;
  envFile: string;
  user: string;
  bastion: LabHost;
  hosts: LabHost[];
  keyFile: string;
  outputsFile: string;
  knownHostsFile: string;
}

export function labDirOf(id: string): string {
  return path.resolve(".lab", id);
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A controller-link subnet per lab id, so several labs can run at once. */
function linkOctet(id: string): number {
  return crypto.createHash("sha256").update(id).digest()[0] % 250;
}

function fakeVolumeId(): string {
  return "vol-" + crypto.randomBytes(9).toString("hex").slice(0, 17);
}

export function requireRoot(): void {
  if (process.platform !== "linux") throw new Error("the lab needs Linux (network namespaces, overlayfs, loop devices)");
  if (process.getuid?.() !== 0) throw new Error("the lab needs root (network namespaces, mounts, loop devices): run it with sudo");
}

export async function labUp(opts: LabOptions): Promise<LabState> {
  requireRoot();
  if (!/^[a-z0-9]{1,4}$/.test(opts.id)) throw new Error(`lab id must be 1-4 lower-case letters or digits, got "${opts.id}"`);
  const labDir = opts.labDir ?? labDirOf(opts.id);
  if (fs.existsSync(path.join(labDir, "state.json"))) await labDown({ id: opts.id, labDir });
  const envFile = path.resolve(opts.envFile ?? path.join("hosts", "lab.yaml"));
  const env: Environment = loadEnvironmentFile(envFile);
  const outDir = path.resolve(opts.outDir ?? "hosts");
  const per = opts.hostsPerTier ?? 1;
  fs.mkdirSync(labDir, { recursive: true, mode: 0o700 });
  const k = linkOctet(opts.id);
  const user = env.sshUser;
  const ns = (host: string) => `mt${opts.id}-${host}`;

  // the operator's key pair for this lab (the private key stays here, 0600)
  const keyFile = path.join(labDir, "id_ed25519");
  sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `multitier-lab-${opts.id}`, "-f", keyFile]);
  const pubkey = fs.readFileSync(`${keyFile}.pub`, "utf8").trim();

  const pubNet = env.network.publicSubnets[0].replace(/\.0\/24$/, "");
  const privNet = env.network.privateSubnets[0].replace(/\.0\/24$/, "");
  const bastion: LabHost = { name: "bastion", tier: "bastion", ns: ns("bastion"), dir: path.join(labDir, "bastion"), address: `10.214.${k}.2`, volumes: [] };
  const hosts: LabHost[] = [];
  let n = 0;
  for (const [tier, t] of Object.entries(env.tiers)) {
    for (let i = 0; i < per; i++) {
      const name = per === 1 ? tier : `${tier}-${i + 1}`;
      n++;
      const net = t.subnet === "public" ? pubNet : privNet;
      hosts.push({ name, tier, ns: ns(name), dir: path.join(labDir, name), address: `${net}.${10 + n}`, volumes: [] });
    }
  }
  const state: LabState = {
    id: opts.id,
    labDir,
    outDir,
    envName: env.name,
    envFile,
    user,
    bastion,
    hosts,
    keyFile,
    outputsFile: path.join(outDir, `${env.name}.outputs.json`),
    knownHostsFile: path.join(outDir, `${env.name}.known_hosts`),
  };
  // record state first: whatever fails below, labDown can clean it up
  const saveState = () => fs.writeFileSync(path.join(labDir, "state.json"), JSON.stringify(state, null, 2));
  saveState();
  try {
    // Nothing addressed to the lab's ranges may leave this machine: without this route a
    // typo'd or direct connection to a lab address would go out of the default route.
    guardLabRanges(env);
    // bastion: controller link + two bridges
    sh("ip", ["netns", "add", bastion.ns]);
    const rootIf = `m${opts.id}r`;
    const bIf = `m${opts.id}b`;
    sh("ip", ["link", "add", rootIf, "type", "veth", "peer", "name", bIf, "netns", bastion.ns]);
    sh("ip", ["addr", "add", `10.214.${k}.1/30`, "dev", rootIf]);
    sh("ip", ["link", "set", rootIf, "up"]);
    const inB = (...args: string[]) => sh("ip", ["netns", "exec", bastion.ns, ...args]);
    inB("ip", "addr", "add", `${bastion.address}/30`, "dev", bIf);
    inB("ip", "link", "set", bIf, "up");
    inB("ip", "link", "set", "lo", "up");
    for (const [br, net] of [["brpub", pubNet], ["brpriv", privNet]]) {
      inB("ip", "link", "add", br, "type", "bridge");
      inB("ip", "addr", "add", `${net}.1/24`, "dev", br);
      inB("ip", "link", "set", br, "up");
    }
    // the bastion namespace also plays the VPC router between the two subnets, filtered like
    // the security groups: public → private only on the ports private tiers serve to public
    // ones (e.g. 27017), nothing to or from the controller link
    routeLikeTheVpc(bastion.ns, env, pubNet, privNet);
    // hosts: a namespace each, a veth into the right bridge, loop devices for volumes
    hosts.forEach((h, idx) => {
      sh("ip", ["netns", "add", h.ns]);
      const outer = `v${opts.id}h${idx}`;
      sh("ip", ["link", "add", outer, "netns", bastion.ns, "type", "veth", "peer", "name", "eth0", "netns", h.ns]);
      const tier = env.tiers[h.tier];
      inB("ip", "link", "set", outer, "master", tier.subnet === "public" ? "brpub" : "brpriv");
      inB("ip", "link", "set", outer, "up");
      const inH = (...args: string[]) => sh("ip", ["netns", "exec", h.ns, ...args]);
      inH("ip", "addr", "add", `${h.address}/24`, "dev", "eth0");
      inH("ip", "link", "set", "eth0", "up");
      inH("ip", "link", "set", "lo", "up");
      inH("ip", "route", "add", "default", "via", `${tier.subnet === "public" ? pubNet : privNet}.1`);
      fs.mkdirSync(h.dir, { recursive: true });
      for (const v of tier.volumes) {
        const image = path.join(h.dir, `${v.name}.img`);
        const mb = Math.min(v.sizeGb * 1024, LOOP_CAP_MB);
        fs.closeSync(fs.openSync(image, "w"));
        fs.truncateSync(image, mb * 1024 * 1024);
        const loop = sh("losetup", ["-f", "--show", image]).trim();
        const volumeId = fakeVolumeId();
        h.volumes.push({ name: v.name, loop, image, volumeId, byId: `nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}` });
        saveState();
      }
    });
    saveState();
    // roots + sshd, in parallel
    const limit = pLimit(8);
    await Promise.all(
      [bastion, ...hosts].map((h) =>
        limit(async () => {
          const env2 = {
            ...process.env,
            NS: h.ns,
            DIR: h.dir,
            HOSTNAME_: h.name,
            ADDR: h.address,
            USER_: user,
            PUBKEY: pubkey,
            LOOPS: h.volumes.map((v) => `${v.loop}:${v.byId}`).join(" "),
          };
          await run("bash", [path.join(HERE, "host-up.sh")], { env: env2 });
          await run("bash", [path.join(HERE, "sshd.sh"), "start", h.dir]);
        }),
      ),
    );
    writeInventory(state);
    return state;
  } catch (e) {
    await labDown({ id: opts.id, labDir }).catch(() => undefined);
    throw e;
  }
}

function routeLikeTheVpc(ns: string, env: Environment, pubNet: string, privNet: string): void {
  const publicTiers = Object.entries(env.tiers).filter(([, t]) => t.subnet === "public").map(([n]) => n);
  const ports = new Set<number>();
  for (const t of Object.values(env.tiers))
    if (t.subnet === "private")
      for (const rule of t.serves) if (rule.protocol === "tcp" && rule.from.some((p) => publicTiers.includes(p))) ports.add(rule.port);
  const allow = ports.size ? `    ip saddr ${pubNet}.0/24 ip daddr ${privNet}.0/24 tcp dport { ${[...ports].join(", ")} } accept\n` : "";
  const rules = `table inet lab {\n  chain forward {\n    type filter hook forward priority 0; policy drop;\n    ct state established,related accept\n${allow}  }\n}\n`;
  execFileSync("ip", ["netns", "exec", ns, "nft", "-f", "-"], { input: rules });
  sh("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
}

function writeInventory(s: LabState): void {
  fs.mkdirSync(s.outDir, { recursive: true });
  const hosts: Record<string, unknown> = {};
  for (const h of s.hosts)
    hosts[h.name] = {
      tier: h.tier,
      privateIp: h.address,
      user: s.user,
      volumes: Object.fromEntries(h.volumes.map((v) => [v.name, { volumeId: v.volumeId, loop: v.loop }])),
    };
  const inventory = { bastion: { publicIp: s.bastion.address, privateIp: s.bastion.address, user: s.user }, hosts };
  // fill device/mountPoint/filesystem/encryption from the environment file, as the stack does
  const env = loadEnvironmentFile(s.envFile);
  for (const h of s.hosts)
    for (const v of env.tiers[h.tier].volumes)
      Object.assign((hosts[h.name] as any).volumes[v.name], { device: v.device, mountPoint: v.mountPoint, filesystem: v.filesystem, encryption: v.encryption });
  fs.writeFileSync(s.outputsFile, JSON.stringify({ inventory: { value: inventory, type: "object", sensitive: false } }, null, 2) + "\n");
  const line = (h: LabHost) => `${h.address} ${fs.readFileSync(path.join(h.dir, "host_ed25519_key.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ")}`;
  fs.writeFileSync(s.knownHostsFile, [s.bastion, ...s.hosts].map(line).join("\n") + "\n");
}

/** The ranges the labs use; the root namespace gets an `unreachable` route for each. */
const GUARDED = ["10.213.0.0/16", "10.214.0.0/16"];

function guardLabRanges(env: Environment): void {
  for (const cidr of [...new Set([...GUARDED, env.network.vpcCidr])]) {
    try {
      sh("ip", ["route", "add", "unreachable", cidr, "metric", "4242"]);
    } catch {
      /* already there (another lab is up) */
    }
  }
}

function unguardLabRanges(): void {
  const othersUp = sh("ip", ["netns", "list"]).split("\n").some((l) => l.startsWith("mt"));
  if (othersUp) return;
  for (const cidr of GUARDED)
    try {
      sh("ip", ["route", "del", "unreachable", cidr, "metric", "4242"]);
    } catch {
      /* not there */
    }
}

export function readState(id: string, labDir = labDirOf(id)): LabState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(labDir, "state.json"), "utf8")) as LabState;
  } catch {
    return undefined;
  }
}

/** Remove everything a lab made. Safe to call twice, or for a lab that half came up. */
export async function labDown(opts: { id: string; labDir?: string }): Promise<void> {
  requireRoot();
  const labDir = opts.labDir ?? labDirOf(opts.id);
  const state = readState(opts.id, labDir);
  const prefix = `mt${opts.id}-`;
  const namespaces = sh("ip", ["netns", "list"])
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(prefix));
  for (const n of namespaces) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const pids = sh("ip", ["netns", "pids", n]).split("\n").filter(Boolean);
      if (pids.length === 0) break;
      try {
        execFileSync("kill", ["-9", ...pids], { stdio: "ignore" });
      } catch {
        /* already gone */
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    try {
      sh("ip", ["netns", "del", n]);
    } catch {
      /* gone */
    }
  }
  // loop devices: those recorded, and any still backed by an image under the lab dir
  const loops = new Set<string>();
  for (const h of state?.hosts ?? []) for (const v of h.volumes) loops.add(v.loop);
  for (const line of sh("losetup", ["-a"]).split("\n"))
    if (line.includes(labDir + "/")) loops.add(line.split(":")[0]);
  for (const l of loops) {
    try {
      const backing = sh("losetup", ["-nO", "BACK-FILE", l]).trim();
      if (backing.startsWith(labDir)) sh("losetup", ["-d", l]);
    } catch {
      /* already detached */
    }
  }
  const rootIf = `m${opts.id}r`;
  try {
    sh("ip", ["link", "del", rootIf]);
  } catch {
    /* deleted with its peer */
  }
  unguardLabRanges();
  fs.rmSync(labDir, { recursive: true, force: true });
  if (state) for (const f of [state.outputsFile, state.knownHostsFile]) fs.rmSync(f, { force: true });
}
