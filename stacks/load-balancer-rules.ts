/**
 * The security-group rules a load balancer adds (pure, like rules.ts, which appends them):
 *   alb   in : 443 and 80 from `loadBalancer.from` (anywhere by default; `operators` = the operator CIDRs)
 *         out: the target port (and the health-check port) to the tier's group only
 *   tier  in : the same ports from the load balancer's group only
 * The tier behind it is private (config/load-balancer.ts), so nothing else reaches those ports.
 */
import { LB_GROUP, type LoadBalancerSpec } from "../config/load-balancer";
import { parseCidr } from "../config/cidr";
import type { Rule } from "./rules";

/** What the rules are computed from: these fields of an environment. */
export interface LoadBalancerRulesInput {
  /** IPv6 peers (::/0) beside IPv4 ones when on */
  readonly network: { readonly ipv6: boolean };
  /** what `operators` in `loadBalancer.from` stands for */
  readonly operatorCidrs: readonly string[];
  /** @default - no load balancer: no rules */
  readonly loadBalancer?: LoadBalancerSpec;
}

/** The ports the load balancer opens on its targets: the target port and the health check's. */
export function targetPorts(lb: Pick<LoadBalancerSpec, "targetPort" | "healthCheck">): number[] {
  return [...new Set([lb.targetPort, lb.healthCheck.port ?? lb.targetPort])];
}

export function loadBalancerRules(env: LoadBalancerRulesInput): Rule[] {
  const lb = env.loadBalancer;
  if (!lb?.enabled) return [];
  const usable = (cidr: string) => env.network.ipv6 || parseCidr(cidr)?.kind !== "ipv6";
  const anywhere = env.network.ipv6 ? ["0.0.0.0/0", "::/0"] : ["0.0.0.0/0"];
  const listed = (lb.from ?? anywhere).flatMap((p) => (p === "operators" ? env.operatorCidrs : [p])).filter(usable);
  // one rule per peer however often it is listed (an operator CIDR also named on its own)
  const byKey = new Map(listed.map((c) => [`${parseCidr(c)?.addr.toNormalizedString()}/${parseCidr(c)?.prefix}`, c]));
  const rules: Rule[] = [];
  for (const port of [443, 80])
    for (const cidr of byKey.values())
      rules.push({ group: LB_GROUP, direction: "ingress", protocol: "tcp", fromPort: port, toPort: port, cidr, description: port === 443 ? "HTTPS to the load balancer" : "HTTP, redirected to HTTPS" });
  for (const port of targetPorts(lb)) {
    rules.push({ group: LB_GROUP, direction: "egress", protocol: "tcp", fromPort: port, toPort: port, peerGroup: lb.tier, description: `requests and health checks to ${lb.tier}` });
    rules.push({ group: lb.tier, direction: "ingress", protocol: "tcp", fromPort: port, toPort: port, peerGroup: LB_GROUP, description: "from the load balancer only" });
  }
  return rules;
}
