/**
 * The security-group rules monitoring adds (pure, like rules.ts, which appends them): every
 * group — the bastion's and each tier's — accepts the node exporter port from the monitoring
 * tier's group only; the monitoring group may send to that port on those groups, and to the
 * alert destination: the SMTP relay's port (587) and the webhook's port when it is not 80/443
 * (which every server may already reach for package updates). Nothing else is opened.
 */
import { webhookPort, type MonitoringSpec } from "../config/monitoring";
import type { Rule } from "./rules";

/** What the monitoring rules are computed from: these fields of an environment. */
export interface MonitoringRulesInput {
  /** IPv6 peers (::/0) beside IPv4 ones when on */
  readonly network: { readonly ipv6: boolean };
  /** @default - no monitoring: no rules */
  readonly monitoring?: MonitoringSpec;
}

export function monitoringRules(env: MonitoringRulesInput, groups: string[]): Rule[] {
  const m = env.monitoring;
  if (!m?.enabled) return [];
  const rules: Rule[] = [];
  const port = m.exporterPort;
  const anywhere = env.network.ipv6 ? ["0.0.0.0/0", "::/0"] : ["0.0.0.0/0"];
  for (const g of groups) {
    rules.push({ group: g, direction: "ingress", protocol: "tcp", fromPort: port, toPort: port, peerGroup: m.tier, description: "node exporter from the monitoring tier only" });
    rules.push({ group: m.tier, direction: "egress", protocol: "tcp", fromPort: port, toPort: port, peerGroup: g, description: `scrape ${g} node exporters` });
  }
  const smtp = m.alerts.smtp;
  if (smtp)
    for (const cidr of smtp.egressCidrs ?? anywhere)
      rules.push({ group: m.tier, direction: "egress", protocol: "tcp", fromPort: smtp.port, toPort: smtp.port, cidr, description: `alerts by mail to ${smtp.relay}` });
  const hook = m.alerts.webhook;
  if (hook) {
    const p = webhookPort(hook.url);
    const host = new URL(hook.url).hostname;
    const cidrs = hook.egressCidrs ?? (/^\d+\.\d+\.\d+\.\d+$/.test(host) ? [`${host}/32`] : []);
    if (![80, 443].includes(p)) for (const cidr of cidrs) rules.push({ group: m.tier, direction: "egress", protocol: "tcp", fromPort: p, toPort: p, cidr, description: `alerts to the webhook ${host}` });
  }
  return rules;
}
