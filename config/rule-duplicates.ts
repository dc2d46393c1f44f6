/**
 * Security-group rules declared twice. AWS refuses a duplicate rule at apply
 * (InvalidPermission.Duplicate) and the stack cannot even be synthesized (two constructs with
 * one id), so a repeated `from`/`to` entry, two `serves` rules covering the same port and
 * peer, an `operators` entry that repeats a listed CIDR, an `egress` rule the tool already
 * adds itself (HTTP/HTTPS anywhere, the other side of a tier's `serves`), or a repeated
 * operator CIDR is one error at the later occurrence. Mirrors stacks/rules.ts (which derives
 * the rules) without depending on it.
 */
import { D } from "./defaults";
import { parseCidr } from "./cidr";
import type { EnvironmentSpec } from "./schema";
import type { SemanticError } from "./validate";
import type { Path } from "./yamlsource";
import { fieldPath } from "./errors";

const BASTION = "bastion";

export function duplicateRuleErrors(env: EnvironmentSpec): SemanticError[] {
  const errors: SemanticError[] = [];
  const seen = new Map<string, string>();
  const tiers = Object.keys(env.tiers);
  const anywhere = env.network.ipv6 ? ["0.0.0.0/0", "::/0"] : ["0.0.0.0/0"];
  const usable = (cidr: string) => env.network.ipv6 || parseCidr(cidr)?.kind !== "ipv6";
  // the same peer however it is spelt (::/0 and 0::/0; a tier group)
  const peerKey = (p: string) => (tiers.includes(p) ? `sg:${p}` : `${parseCidr(p)?.addr.toNormalizedString() ?? p}/${parseCidr(p)?.prefix ?? ""}`);

  /** Record a rule; when it was seen already, an error at `path` (if the rule is the user's own). */
  const rule = (group: string, dir: "in" | "out", protocol: string, port: number, toPort: number | undefined, peer: string, origin: string, path?: Path) => {
    const key = `${group} ${dir} ${protocol} ${port}-${toPort ?? port} ${peerKey(peer)}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, origin);
    else if (path) errors.push({ path, message: `duplicates the rule ${dir === "in" ? "from" : "to"} "${peer}" on ${protocol} ${port}${toPort && toPort !== port ? `-${toPort}` : ""} of ${first}: AWS refuses a security-group rule twice` });
  };
  /** The peers a `from`/`to` list stands for, each with the path it is written at. */
  const expand = (list: string[], at: Path): [string, Path, string][] =>
    list.flatMap((p, j): [string, Path, string][] => {
      const path = [...at, j];
      if (p === "operators") return env.operatorCidrs.filter(usable).map((c): [string, Path, string] => [c, path, `${fieldPath(path)} (operators)`]);
      return tiers.includes(p) || usable(p) ? [[p, path, fieldPath(path)]] : [];
    });

  env.operatorCidrs.forEach((c, i) => usable(c) && rule(BASTION, "in", "tcp", 22, 22, c, `operatorCidrs[${i}]`, ["operatorCidrs", i]));
  for (const [name, tier] of Object.entries(env.tiers)) {
    tier.serves.forEach((s, i) => {
      for (const [p, path, origin] of expand(s.from, ["tiers", name, "serves", i, "from"])) rule(name, "in", s.protocol, s.port, s.toPort, p, origin, path);
    });
  }
  for (const name of tiers) {
    for (const port of D.baseEgressPorts) for (const c of anywhere) rule(name, "out", "tcp", port, port, c, "the HTTP/HTTPS egress every server has");
    for (const [other, o] of Object.entries(env.tiers))
      o.serves.forEach((s, i) => {
        if (s.from.includes(name)) rule(name, "out", s.protocol, s.port, s.toPort, other, `the other side of tiers.${other}.serves[${i}] (added automatically)`);
      });
    env.tiers[name].egress.forEach((e, i) => {
      for (const [p, path, origin] of expand(e.to, ["tiers", name, "egress", i, "to"])) rule(name, "out", e.protocol, e.port, e.toPort, p, origin, path);
    });
  }
  return errors;
}
