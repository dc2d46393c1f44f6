/**
 * Monitoring in the stack: the rules themselves come with every other rule (rules.ts +
 * monitoring-rules.ts); this marks the monitoring tier's security group with the tag
 * `Role = monitoring`, which is how `multitier policy` (review/monitoring-policy.ts) tells
 * the one group allowed to reach node exporters from any other peer.
 */
import type { SecurityGroup } from "./cdk";
import type { Environment } from "../config/environment";

export const MONITORING_ROLE_TAG = { key: "Role", value: "monitoring" } as const;

export function markMonitoringGroup(env: Environment, groups: Record<string, SecurityGroup>): void {
  const m = env.monitoring;
  if (!m?.enabled || !groups[m.tier]) return;
  groups[m.tier].addOverride(`tags.${MONITORING_ROLE_TAG.key}`, MONITORING_ROLE_TAG.value);
}
