/**
 * The lab's network, shaped like the VPC:
 *
 *   root namespace (the operator's machine)
 *     m<id>r 10.214.K.1/30 ──veth── m<id>b 10.214.K.2/30  [mt<id>-bastion]
 *                                     brpub  <public subnet>.1  ── v<id>h<i> ──veth── eth0 [mt<id>-webapp] ...
 *                                     brpriv <private subnet>.1 ── v<id>h<i> ──veth── eth0 [mt<id>-database] ...
 *
 * - K differs between labs that are up at once (chosen under the lab lock), so several labs
 *   coexist; host addresses repeat between labs, but each lab's live only in its namespaces.
 * - The root namespace gets `unreachable` routes for 10.213.0.0/16 and 10.214.0.0/16: only the
 *   /30 link is routed, so a direct connection to a tier host fails at once (EHOSTUNREACH,
 *   as from outside a VPC) and no packet for a lab address can leave through the default route.
 * - The bastion namespace routes between its two bridges like the VPC router, filtered like
 *   the security groups (public → private only on ports a private tier serves to a public
 *   one); nothing is forwarded to or from the controller link.
 */
import type { Environment } from "../config/environment";
import { cidrContains, parseCidr } from "../config/cidr";
import { ipBatch, sh, shQuiet } from "./exec";
import { withLabLock } from "./lock";
import type { LabHost, LabLink } from "./state";

/** the only ranges the lab ever uses: host subnets inside the first, controller links in the second */
export const LAB_HOST_RANGE = "10.213.0.0/16";
export const LAB_LINK_RANGE = "10.214.0.0/16";
const GUARD_METRIC = "4242";

const toInt = (ip: string) => ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
const toIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");

function inside(inner: string, outer: string): boolean {
  const a = parseCidr(inner);
  const b = parseCidr(outer);
  return !!a && !!b && a.kind === "ipv4" && cidrContains(b, a);
}

/** The lab never uses addresses outside its own range: refuse an environment that would. */
export function checkLabNetwork(env: Environment): void {
  const where = `${env.file}`;
  if (env.platform !== "lab") throw new Error(`lab: ${where} platform: expected "lab", got "${env.platform}"`);
  const nets: [string, string][] = [
    ["network.vpcCidr", env.network.vpcCidr],
    ...env.network.publicSubnets.map((c, i): [string, string] => [`network.publicSubnets[${i}]`, c]),
    ...env.network.privateSubnets.map((c, i): [string, string] => [`network.privateSubnets[${i}]`, c]),
  ];
  for (const [field, cidr] of nets)
    if (!inside(cidr, LAB_HOST_RANGE)) throw new Error(`lab: ${where} ${field}: expected a range inside ${LAB_HOST_RANGE} (the lab's own), got ${cidr}`);
}

/** The gateway (.1, the bastion's bridge) and the i-th host address (.10 + i) of a subnet. */
export function subnetAddresses(cidr: string): { gateway: string; prefix: number; host: (i: number) => string } {
  const [net, bits] = cidr.split("/");
  const base = toInt(net);
  const size = 2 ** (32 - Number(bits));
  return {
    gateway: toIp(base + 1),
    prefix: Number(bits),
    host: (i: number) => {
      if (10 + i >= size - 1) throw new Error(`lab: subnet ${cidr} has no room for host ${i + 1} (addresses .10 and up)`);
      return toIp(base + 10 + i);
    },
  };
}

/** A stable first choice per id, then the next /30 no other lab holds. */
function freeLinkOctet(id: string): number {
  const used = new Set<number>();
  for (const m of sh("ip", ["-4", "-o", "addr", "show"]).matchAll(/inet 10\.214\.(\d+)\.1\/30/g)) used.add(Number(m[1]));
  let k = [...id].reduce((a, c) => (a * 31 + c.charCodeAt(0)) % 256, 7);
  for (let tries = 0; tries < 256; tries++, k = (k + 1) % 256) if (!used.has(k)) return k;
  throw new Error("lab: no free controller link in 10.214.0.0/16 (256 labs up?)");
}

/**
 * Create the bastion's namespace and its controller link, and guard the lab ranges, under
 * the lab lock (so two labs never pick the same link, and a lab going down never removes
 * the guard another one relies on).
 */
export function createBastionLink(id: string, bastionNs: string, record: (link: LabLink) => void): LabLink {
  return withLabLock(() => {
    const k = freeLinkOctet(id);
    const link: LabLink = { rootIf: `m${id}r`, cidr: `10.214.${k}.0/30`, controllerIp: `10.214.${k}.1`, bastionIp: `10.214.${k}.2` };
    record(link);
    guardLabRanges();
    ipBatch([
      `netns add ${bastionNs}`,
      `link add ${link.rootIf} type veth peer name m${id}b netns ${bastionNs}`,
      `addr add ${link.controllerIp}/30 dev ${link.rootIf}`,
      `link set ${link.rootIf} up`,
    ]);
    return link;
  });
}

/** the bastion's side: its link address and one bridge per subnet kind */
export function wireBastion(id: string, bastionNs: string, link: LabLink, pub: string, priv: string): void {
  const p = subnetAddresses(pub);
  const q = subnetAddresses(priv);
  ipBatch(
    [
      `addr add ${link.bastionIp}/30 dev m${id}b`,
      `link set m${id}b up`,
      `link set lo up`,
      `link add brpub type bridge`,
      `addr add ${p.gateway}/${p.prefix} dev brpub`,
      `link set brpub up`,
      `link add brpriv type bridge`,
      `addr add ${q.gateway}/${q.prefix} dev brpriv`,
      `link set brpriv up`,
    ],
    bastionNs,
  );
}

/** Every host's namespace and its veth into the right bridge: two ip processes in all. */
export function plugHosts(id: string, bastionNs: string, hosts: LabHost[]): void {
  ipBatch(hosts.flatMap((h, i) => [`netns add ${h.ns}`, `link add v${id}h${i} netns ${bastionNs} type veth peer name eth0 netns ${h.ns}`]));
  ipBatch(
    hosts.flatMap((h, i) => [`link set v${id}h${i} master ${h.subnet === "public" ? "brpub" : "brpriv"}`, `link set v${id}h${i} up`]),
    bastionNs,
  );
}

/** the ip commands a host runs in its own namespace (address, default route via the bastion) */
export function hostNetCommands(h: LabHost, subnetCidr: string): string[] {
  const s = subnetAddresses(subnetCidr);
  return [`addr add ${h.address}/${s.prefix} dev eth0`, `link set eth0 up`, `link set lo up`, `route add default via ${s.gateway}`];
}

/** the port of Prometheus's node exporter (stacks/monitoring-rules.ts opens it to the monitoring tier) */
const NODE_EXPORTER_PORT = 9100;

/**
 * The bastion's forwarding rules, like the VPC's security groups (the monitoring hosts'
 * scrapes of node exporters included); with `proxy` (systemd hosts'
 * apt proxy on the controller side) also the one way out of the subnets: to that address and
 * port only, NATed to the bastion's link address as a NAT gateway would.
 */
export function routeLikeTheVpc(bastionNs: string, env: Environment, proxy?: { ip: string; port: number }, link?: LabLink, monitors: string[] = []): void {
  const publicTiers = Object.entries(env.tiers)
    .filter(([, t]) => t.subnet === "public")
    .map(([n]) => n);
  const ports = new Set<number>();
  for (const t of Object.values(env.tiers))
    if (t.subnet === "private")
      for (const rule of t.serves) if (rule.protocol === "tcp" && rule.from.some((p) => publicTiers.includes(p))) ports.add(rule.port);
  const pub = env.network.publicSubnets.join(", ");
  const priv = env.network.privateSubnets.join(", ");
  const allow = ports.size ? `    ip saddr { ${pub} } ip daddr { ${priv} } tcp dport { ${[...ports].join(", ")} } accept\n` : "";
  const subnets = [...env.network.publicSubnets, ...env.network.privateSubnets].join(", ");
  const out = proxy ? `    ip saddr { ${subnets} } ip daddr ${proxy.ip} tcp dport ${proxy.port} accept\n` : "";
  const nat = proxy ? `table ip labnat {\n  chain postrouting {\n    type nat hook postrouting priority 100;\n    ip saddr { ${subnets} } ip daddr ${proxy.ip} tcp dport ${proxy.port} masquerade\n  }\n}\n` : "";
  // the monitoring hosts scrape every host's node exporter (9100), as the exporter's security
  // group lets only the monitoring group in: from those addresses only, to any subnet
  const scrape = monitors.length ? `    ip saddr { ${monitors.join(", ")} } tcp dport ${NODE_EXPORTER_PORT} accept\n` : "";
  const rules = `table inet lab {\n  chain forward {\n    type filter hook forward priority 0; policy drop;\n    ct state established,related accept\n${allow}${scrape}${out}  }\n}\n${nat}`;
  if (proxy && link) ipBatch([`route add ${proxy.ip}/32 via ${link.controllerIp}`], bastionNs);
  sh("ip", ["netns", "exec", bastionNs, "nft", "-f", "-"], rules);
  sh("ip", ["netns", "exec", bastionNs, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
}

function guardLabRanges(): void {
  const have = sh("ip", ["route", "show", "type", "unreachable"]);
  for (const cidr of [LAB_HOST_RANGE, LAB_LINK_RANGE])
    if (!new RegExp(`^unreachable ${cidr.replace(/\./g, "\\.")} .*metric ${GUARD_METRIC}`, "m").test(have))
      sh("ip", ["route", "add", "unreachable", cidr, "metric", GUARD_METRIC]);
}

/** names of the bastion namespaces of every lab that is up (any id) */
export function labsUp(): string[] {
  return sh("ip", ["netns", "list"])
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => /^mt[a-z0-9]{1,4}-bastion$/.test(n));
}

/** Remove the guard routes when the last lab has gone (under the lab lock). */
export function unguardIfLast(): void {
  withLabLock(() => {
    if (labsUp().length) return;
    for (const cidr of [LAB_HOST_RANGE, LAB_LINK_RANGE]) shQuiet("ip", ["route", "del", "unreachable", cidr, "metric", GUARD_METRIC]);
  });
}
