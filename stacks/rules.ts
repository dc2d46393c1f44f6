/**
 * The security-group rules of an environment, computed from the file: a pure function with no
 * cdktf in it (security-groups.ts turns each rule into one resource).
 *
 *   bastion  in : 22 from each operator CIDR
 *            out: 22 to every tier group; 80/443 anywhere (package updates)
 *   tier     in : 22 from the bastion group only; each `serves` port from its peers
 *            out: 80/443 anywhere; every port this tier is allowed INTO on another tier
 *                 (e.g. 27017 to the database group); the tier's own `egress` list
 * IPv6 peers (::/0) are added beside IPv4 ones when the environment has IPv6.
 * Monitoring (monitoring-rules.ts) adds the node exporter port from the monitoring tier only;
 * a load balancer (load-balancer-rules.ts) its own group and the target port from it only.
 */
import { D } from "../config/defaults";
import type { TierSpec } from "../config/schema";
import { isIpv6 } from "./names";
import { monitoringRules, type MonitoringRulesInput } from "./monitoring-rules";
import { loadBalancerRules, type LoadBalancerRulesInput } from "./load-balancer-rules";

/** "bastion" or a tier name */
export type GroupName = string;

export interface Rule {
  group: GroupName;
  direction: "ingress" | "egress";
  protocol: "tcp" | "udp";
  fromPort: number;
  toPort: number;
  /** exactly one of the peers */
  cidr?: string;
  peerGroup?: GroupName;
  description: string;
}

export const BASTION = "bastion";

/** What the rules are computed from: these fields of an environment (an Environment is one). */
export interface SecurityRulesInput extends MonitoringRulesInput, LoadBalancerRulesInput {
  /** CIDRs that may SSH to the bastion; `operators` in a tier's peers means these */
  readonly operatorCidrs: readonly string[];
  /** each tier's served ports and egress list, by tier name */
  readonly tiers: Readonly<Record<string, Pick<TierSpec, "serves" | "egress">>>;
}

export function securityRules(env: SecurityRulesInput): Rule[] {
  const rules: Rule[] = [];
  const anywhere = env.network.ipv6 ? ["0.0.0.0/0", "::/0"] : ["0.0.0.0/0"];
  const usable = (cidr: string) => env.network.ipv6 || !isIpv6(cidr);
  const tiers = Object.keys(env.tiers);
  const add = (r: Rule) => rules.push(r);
  type Peer = { cidr?: string; peerGroup?: string };
  const peers = (names: string[]): Peer[] =>
    names.flatMap((p): Peer[] => {
      if (p === "operators") return env.operatorCidrs.filter(usable).map((cidr) => ({ cidr }));
      if (tiers.includes(p)) return [{ peerGroup: p }];
      return usable(p) ? [{ cidr: p }] : [];
    });

  for (const cidr of env.operatorCidrs.filter(usable))
    add({ group: BASTION, direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, cidr, description: "SSH from the operators" });
  for (const t of tiers) add({ group: BASTION, direction: "egress", protocol: "tcp", fromPort: 22, toPort: 22, peerGroup: t, description: `SSH to ${t}` });
  for (const port of D.baseEgressPorts)
    for (const cidr of anywhere) add({ group: BASTION, direction: "egress", protocol: "tcp", fromPort: port, toPort: port, cidr, description: port === 80 ? "HTTP out" : "HTTPS out" });

  for (const [name, tier] of Object.entries(env.tiers)) {
    add({ group: name, direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, peerGroup: BASTION, description: "SSH from the bastion only" });
    for (const s of tier.serves)
      for (const peer of peers(s.from))
        add({ group: name, direction: "ingress", protocol: s.protocol, fromPort: s.port, toPort: s.toPort ?? s.port, ...peer, description: s.description ?? `port ${s.port}` });
    for (const port of D.baseEgressPorts)
      for (const cidr of anywhere) add({ group: name, direction: "egress", protocol: "tcp", fromPort: port, toPort: port, cidr, description: port === 80 ? "HTTP out" : "HTTPS out" });
    // the other side of every tier-to-tier ingress: e.g. webapp may reach the database on 27017
    for (const [other, o] of Object.entries(env.tiers))
      for (const s of o.serves)
        if (s.from.includes(name))
          add({ group: name, direction: "egress", protocol: s.protocol, fromPort: s.port, toPort: s.toPort ?? s.port, peerGroup: other, description: `to ${other} port ${s.port}` });
    for (const e of tier.egress)
      for (const peer of peers(e.to))
        add({ group: name, direction: "egress", protocol: e.protocol, fromPort: e.port, toPort: e.toPort ?? e.port, ...peer, description: e.description ?? `port ${e.port} out` });
  }
  rules.push(...monitoringRules(env, [BASTION, ...tiers]));
  rules.push(...loadBalancerRules(env));
  return rules;
}

/** A stable, readable logical id for a rule: bastion-in-tcp-22-203_0_113_0_24 */
export function ruleId(r: Rule): string {
  const peer = r.peerGroup ? `sg-${r.peerGroup}` : r.cidr!.replace(/[^0-9a-fA-F]+/g, "_");
  const ports = r.fromPort === r.toPort ? `${r.fromPort}` : `${r.fromPort}-${r.toPort}`;
  return `${r.group}-${r.direction === "ingress" ? "in" : "out"}-${r.protocol}-${ports}-${peer}`;
}
