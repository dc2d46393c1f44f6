/**
 * Policy rule `exporter-monitoring-only`: the node exporter port (9100, and any port the
 * monitoring group scrapes) may be opened to the monitoring tier's security group only —
 * the group tagged Role = monitoring (stacks/monitoring.ts). An ingress rule covering that
 * port from a CIDR block, from another group, or for all protocols is a finding: an exporter
 * tells whoever asks what runs where, which disks are full and when the pipeline ran.
 */
import { MONITORING_ROLE_TAG } from "../stacks/monitoring";
import type { Rule } from "./policy";
import type { StackJson } from "./synth";

const EXPORTER_PORT = 9100;

type Ingress = { resource: string; proto: string; from: number; to: number; peers: string[]; groupRef?: string };

const refName = (ref: unknown): string | undefined => (typeof ref === "string" ? /\$\{aws_security_group\.([^.}]+)\.id\}/.exec(ref)?.[1] : undefined);

function ingressRules(s: StackJson): Ingress[] {
  const out: Ingress[] = [];
  for (const [n, c] of Object.entries<any>(s.resource?.aws_vpc_security_group_ingress_rule ?? {}))
    out.push({
      resource: `aws_vpc_security_group_ingress_rule.${n}`,
      proto: String(c.ip_protocol),
      from: Number(c.from_port ?? 0),
      to: Number(c.to_port ?? 65535),
      peers: [c.cidr_ipv4, c.cidr_ipv6, c.prefix_list_id].filter(Boolean),
      groupRef: c.referenced_security_group_id,
    });
  for (const [n, c] of Object.entries<any>(s.resource?.aws_security_group_rule ?? {}))
    if (c.type === "ingress")
      out.push({
        resource: `aws_security_group_rule.${n}`,
        proto: String(c.protocol),
        from: Number(c.from_port ?? 0),
        to: Number(c.to_port ?? 65535),
        peers: [...(c.cidr_blocks ?? []), ...(c.ipv6_cidr_blocks ?? []), ...(c.self ? ["self"] : [])],
        groupRef: c.source_security_group_id,
      });
  for (const [n, c] of Object.entries<any>(s.resource?.aws_security_group ?? {}))
    for (const i of c.ingress ?? [])
      out.push({
        resource: `aws_security_group.${n}`,
        proto: String(i.protocol),
        from: Number(i.from_port ?? 0),
        to: Number(i.to_port ?? 65535),
        peers: [...(i.cidr_blocks ?? []), ...(i.ipv6_cidr_blocks ?? []), ...(i.security_groups ?? []).map((g: string) => `group ${refName(g) ?? g}`)],
      });
  return out;
}

export const exporterMonitoringOnly: Rule = {
  id: "exporter-monitoring-only",
  reason: `node exporters (port ${EXPORTER_PORT}, and every port the monitoring group scrapes) accept the monitoring tier's group only`,
  check: (s) => {
    const groups = Object.entries<any>(s.resource?.aws_security_group ?? {});
    const monitoring = new Set(groups.filter(([, c]) => c.tags?.[MONITORING_ROLE_TAG.key] === MONITORING_ROLE_TAG.value).map(([n]) => n));
    // the ports the monitoring group sends to other groups are exporter ports too
    const ports = new Set([EXPORTER_PORT]);
    for (const c of Object.values<any>(s.resource?.aws_vpc_security_group_egress_rule ?? {}))
      if (monitoring.has(refName(c.security_group_id) ?? "") && c.referenced_security_group_id && Number(c.from_port) === Number(c.to_port)) ports.add(Number(c.from_port));
    const findings: { resource: string; detail: string }[] = [];
    for (const i of ingressRules(s))
      for (const port of ports) {
        if (!(i.proto === "-1" || ((i.proto === "tcp" || i.proto === "6") && i.from <= port && port <= i.to))) continue;
        const from = refName(i.groupRef);
        if (i.groupRef !== undefined && from && monitoring.has(from) && i.peers.length === 0) continue;
        const what = [...i.peers, ...(i.groupRef !== undefined ? [`group ${from ?? i.groupRef}`] : [])].join(", ") || "an unknown peer";
        findings.push({ resource: i.resource, detail: `port ${port} open to ${what}${monitoring.size ? "" : " (no group is tagged Role = monitoring)"}` });
      }
    return findings;
  },
};
