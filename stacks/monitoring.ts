/**
 * Monitoring in the stack: the rules themselves come with every other rule (rules.ts +
 * monitoring-rules.ts); this marks the monitoring tier's security group with the tag
 * `Role = monitoring`, which is how `multitier policy` (review/monitoring-policy.ts) tells
 * the one group allowed to reach node exporters from any other peer.
 */
import type { SecurityGroup } from "./cdk";

export const MONITORING_ROLE_TAG = { key: "Role", value: "monitoring" } as const;

/** `tier`: the monitoring tier, undefined when monitoring is off (then nothing is marked). */
export function markMonitoringGroup(tier: string | undefined, groups: Record<string, SecurityGroup>): void {
  if (tier === undefined || !groups[tier]) return;
  groups[tier].addOverride(`tags.${MONITORING_ROLE_TAG.key}`, MONITORING_ROLE_TAG.value);
}
