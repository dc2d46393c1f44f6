/**
 * Checks that need the whole environment at once: address plans, cross references,
 * duplicates. Each returns errors as [path, message] so the loader can place them.
 */
import { closest } from "fastest-levenshtein";
import { Cidr, cidrContains, cidrsOverlap, isAwsReserved, ipInCidr, parseCidr, parseIp } from "./cidr";
import { RULES } from "../review/policy";
import { awsErrors } from "./aws-checks";
import type { EnvironmentSpec } from "./schema";
import type { Path } from "./yamlsource";

export interface SemanticError {
  path: Path;
  message: string;
  /** place the error on the key rather than the value */
  onKey?: boolean;
}

export function didYouMean(word: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return "";
  const best = closest(word, [...candidates]);
  return best && levenshteinOk(word, best) ? `; did you mean "${best}"?` : "";
}

function levenshteinOk(a: string, b: string): boolean {
  // "closest" always answers; only suggest when the two are plausibly the same word
  let same = 0;
  for (const ch of new Set(a)) if (b.includes(ch)) same++;
  return same >= Math.min(a.length, b.length) / 2;
}

export function semanticErrors(env: EnvironmentSpec): SemanticError[] {
  const errors: SemanticError[] = [];
  const add = (path: Path, message: string, onKey = false) => errors.push({ path, message, onKey });
  const net = env.network;
  const vpc = parseCidr(net.vpcCidr)!;
  if (vpc.kind !== "ipv4") add(["network", "vpcCidr"], `expected an IPv4 CIDR block, got "${net.vpcCidr}"`);
  else if (vpc.prefix < 16 || vpc.prefix > 28) add(["network", "vpcCidr"], `expected a prefix between /16 and /28 (AWS limit), got /${vpc.prefix}`);

  const azCount = env.availabilityZones.length;
  const subnets: { path: Path; cidr: Cidr }[] = [];
  for (const kind of ["publicSubnets", "privateSubnets"] as const) {
    const listed = net[kind];
    if (listed.length !== azCount)
      add(["network", kind], `expected one subnet per availability zone (${azCount}), got ${listed.length}`);
    listed.forEach((text, i) => {
      const c = parseCidr(text)!;
      const path = ["network", kind, i];
      if (!cidrContains(vpc, c)) add(path, `subnet ${text} is outside the VPC ${net.vpcCidr}`);
      for (const other of subnets)
        if (cidrsOverlap(other.cidr, c)) add(path, `subnet ${text} overlaps ${other.cidr.text} (network.${String(other.path[1])}[${String(other.path[2])}])`);
      subnets.push({ path, cidr: c });
    });
  }
  const zoneDup = env.availabilityZones.findIndex((z, i) => env.availabilityZones.indexOf(z) !== i);
  if (zoneDup >= 0) add(["availabilityZones", zoneDup], `availability zone "${env.availabilityZones[zoneDup]}" is listed twice`);

  if (!env.keyPair.name === !env.keyPair.publicKeyFile)
    add(["keyPair"], "expected exactly one of name (an existing key pair) or publicKeyFile (a public key to import)");
  else if (env.keyPair.publicKeyFile && !/^(\/|~\/)/.test(env.keyPair.publicKeyFile))
    add(["keyPair", "publicKeyFile"], `expected an absolute path or one under ~/ (Terraform reads it from cdktf.out/stacks/<env>/, not from here), got "${env.keyPair.publicKeyFile}"`);

  const tierNames = Object.keys(env.tiers);
  if (tierNames.length === 0) add(["tiers"], "expected at least one tier");
  const usedIps = new Map<string, string>();
  const claimIp = (ip: string, path: Path, owner: string) => {
    const prev = usedIps.get(ip);
    if (prev) add(path, `IP ${ip} is already used by ${prev}`);
    else usedIps.set(ip, owner);
  };
  const subnetFor = (kind: "public" | "private", azIndex: number) =>
    parseCidr(net[kind === "public" ? "publicSubnets" : "privateSubnets"][azIndex] ?? net[kind === "public" ? "publicSubnets" : "privateSubnets"][0])!;

  if (env.bastion.privateIp) {
    const ip = parseIp(env.bastion.privateIp)!;
    const sn = subnetFor("public", 0);
    if (!ipInCidr(ip, sn)) add(["bastion", "privateIp"], `IP ${env.bastion.privateIp} is outside the public subnet ${sn.text}`);
    else if (isAwsReserved(ip, sn)) add(["bastion", "privateIp"], `IP ${env.bastion.privateIp} is reserved by AWS in ${sn.text} (first four and last address)`);
    claimIp(env.bastion.privateIp, ["bastion", "privateIp"], "the bastion");
  }

  const operatorPeers = new Set(["operators"]);
  for (const [tierName, tier] of Object.entries(env.tiers)) {
    const tp = ["tiers", tierName];
    if (!/^[a-z][a-z0-9-]{0,20}$/.test(tierName)) add(tp, `expected a tier name (lower-case letters, digits, dashes), got "${tierName}"`, true);
    if (tierName === "bastion" || tierName === "all") add(tp, `"${tierName}" is reserved and cannot name a tier`, true);

    const ips = tier.privateIps ?? [];
    if (tier.privateIps && tier.count > ips.length)
      add([...tp, "count"], `count is ${tier.count} but only ${ips.length} fixed IP(s) are listed in privateIps`);
    if (ips.length > tier.count)
      add([...tp, "privateIps", tier.count], `expected at most ${tier.count} fixed IP(s) (one per instance: count is ${tier.count}), got ${ips.length}`);
    ips.forEach((text, i) => {
      const ip = parseIp(text)!;
      const sn = subnetFor(tier.subnet, i % azCount);
      const path = [...tp, "privateIps", i];
      if (!ipInCidr(ip, sn)) add(path, `IP ${text} is outside the ${tier.subnet} subnet ${sn.text}`);
      else if (isAwsReserved(ip, sn)) add(path, `IP ${text} is reserved by AWS in ${sn.text} (first four and last address)`);
      claimIp(text, path, `${tierName}.privateIps[${i}]`);
    });

    const seen = { name: new Map<string, number>(), device: new Map<string, number>(), mountPoint: new Map<string, number>() };
    tier.volumes.forEach((v, i) => {
      const vp = [...tp, "volumes", i];
      for (const key of ["name", "device", "mountPoint"] as const) {
        const value = key === "device" ? v.device.replace("/dev/xvd", "/dev/sd") : v[key];
        const prev = seen[key].get(value);
        if (prev !== undefined) add([...vp, key], `${key === "name" ? "volume name" : key === "device" ? "device name" : "mount point"} "${v[key]}" is already used by volumes[${prev}]`);
        else seen[key].set(value, i);
      }
      // iops/throughput/size per volume type: config/aws-checks.ts
      if (v.mountPoint.split("/").some((seg) => seg === ".." || seg === "."))
        add([...vp, "mountPoint"], `expected an absolute path without "." or ".." segments, got "${v.mountPoint}"`);
      else if (["/", "/boot", "/etc", "/usr", "/var", "/proc", "/sys", "/dev"].includes(v.mountPoint.replace(/(.)\/+$/, "$1"))) add([...vp, "mountPoint"], `"${v.mountPoint}" is a system directory; choose another mount point`);
    });

    const checkPeer = (p: string, path: Path, direction: "from" | "to") => {
      if (operatorPeers.has(p) || tierNames.includes(p)) return;
      const c = parseCidr(p);
      if (!c) {
        add(path, `expected a tier name, "operators" or a CIDR block, got "${p}"${didYouMean(p, [...tierNames, "operators"])}`);
        return;
      }
      if (c.kind === "ipv6" && !net.ipv6) {
        add(path, `expected an IPv4 CIDR block or a tier name (network.ipv6 is false: nothing would answer on IPv6), got "${p}"`);
        return;
      }
      if (direction === "from" && tier.subnet === "private" && !cidrContains(vpc, c))
        add(path, `tier "${tierName}" is in the private subnet and cannot serve the public address range ${p}; use a tier name or a CIDR inside ${net.vpcCidr}`);
    };
    // AWS: "up to 255 characters; a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*" (IpRange.Description)
    const describe = (d: string | undefined, path: Path) => {
      if (d !== undefined && !/^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]{1,255}$/.test(d))
        add(path, `expected a rule description of at most 255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* (what AWS accepts), got "${d}"`);
    };
    tier.serves.forEach((rule, i) => describe(rule.description, [...tp, "serves", i, "description"]));
    tier.egress.forEach((rule, i) => describe(rule.description, [...tp, "egress", i, "description"]));
    tier.serves.forEach((rule, i) => {
      if (rule.toPort !== undefined && rule.toPort < rule.port) add([...tp, "serves", i, "toPort"], `expected toPort ≥ port (${rule.port}), got ${rule.toPort}`);
      if (rule.port === 22) add([...tp, "serves", i, "port"], "SSH (22) is served to the bastion only and cannot be opened here");
      rule.from.forEach((p, j) => {
        checkPeer(p, [...tp, "serves", i, "from", j], "from");
        if (p === "operators" && tier.subnet === "private")
          add([...tp, "serves", i, "from", j], `tier "${tierName}" is in the private subnet and cannot serve the operators' public addresses`);
      });
    });
    tier.egress.forEach((rule, i) => {
      if (rule.toPort !== undefined && rule.toPort < rule.port) add([...tp, "egress", i, "toPort"], `expected toPort ≥ port (${rule.port}), got ${rule.toPort}`);
      rule.to.forEach((p, j) => checkPeer(p, [...tp, "egress", i, "to", j], "to"));
    });
  }
  env.operatorCidrs.forEach((c, i) => {
    if (!net.ipv6 && parseCidr(c)?.kind === "ipv6") add(["operatorCidrs", i], `expected an IPv4 CIDR block (network.ipv6 is false), got "${c}"`);
  });
  if (env.snapshots.retainDays > 1000) add(["snapshots", "retainDays"], `expected at most 1000 (the most snapshots a DLM schedule keeps), got ${env.snapshots.retainDays}`);
  const ruleIds = RULES.map((r) => r.id);
  env.waivers.forEach((w, i) => {
    if (!ruleIds.includes(w.rule)) add(["waivers", i, "rule"], `expected a policy rule id (${ruleIds.join(", ")}), got "${w.rule}"${didYouMean(w.rule, ruleIds)}`);
  });
  errors.push(...awsErrors(env));
  return errors;
}
