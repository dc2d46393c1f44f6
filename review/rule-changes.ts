/**
 * Security-group rules opened and closed by a plan, as people read them
 * ("ingress tcp 22 from 0.0.0.0/0"), from groups with inline rules and from rule resources.
 */
import type { ResourceChange } from "./read";
import { UNKNOWN } from "./unknown";

export interface RuleChange {
  change: "opened" | "closed";
  rule: string;
  group: string;
  address: string;
}

/** Security-group rules as people read them: "ingress tcp 22 from 0.0.0.0/0". */
function ruleText(r: any, direction?: string, unknown: any = {}): string {
  const dir = direction ?? (r.type === "egress" ? "egress" : "ingress");
  const proto = String(r.ip_protocol ?? r.protocol ?? "?") === "-1" ? "all" : String(r.ip_protocol ?? r.protocol);
  const from = r.from_port ?? "";
  const to = r.to_port ?? "";
  const ports = proto === "all" ? "all ports" : from === to ? `${from}` : `${from}-${to}`;
  const peers = [
    ...[].concat(r.cidr_blocks ?? []),
    ...[].concat(r.ipv6_cidr_blocks ?? []),
    r.cidr_ipv4,
    r.cidr_ipv6,
    r.referenced_security_group_id ?? r.source_security_group_id,
    ...[].concat(r.security_groups ?? []),
    r.self ? "self" : undefined,
  ].filter(Boolean);
  const later = ["cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6", "referenced_security_group_id", "source_security_group_id"].some((k) => unknown?.[k] === true);
  return `${dir} ${proto} ${ports} ${dir === "egress" ? "to" : "from"} ${peers.join(", ") || (later ? UNKNOWN : "?")}`;
}

export function securityGroupChanges(rc: ResourceChange): RuleChange[] {
  const c = rc.change;
  const address = rc.address ?? rc.type;
  const out: RuleChange[] = [];
  const push = (change: "opened" | "closed", rule: string, group: string) => out.push({ change, rule, group, address });
  if (rc.type === "aws_security_group") {
    for (const dir of ["ingress", "egress"] as const) {
      const before = ((c.before ?? {})[dir] ?? []).map((r: any) => ruleText(r, dir));
      const after = ((c.after ?? {})[dir] ?? []).map((r: any) => ruleText(r, dir));
      for (const r of after) if (!before.includes(r)) push("opened", r, address);
      for (const r of before) if (!after.includes(r)) push("closed", r, address);
    }
  } else if (["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule"].includes(rc.type)) {
    const dir = rc.type === "aws_vpc_security_group_ingress_rule" ? "ingress" : rc.type === "aws_vpc_security_group_egress_rule" ? "egress" : undefined;
    const group = String((c.after ?? c.before ?? {}).security_group_id ?? (c.after_unknown?.security_group_id ? UNKNOWN : "?"));
    const b = c.before ? ruleText(c.before, dir) : undefined;
    const a = c.after ? ruleText(c.after, dir, c.after_unknown) : undefined;
    if (b !== a) {
      if (a && c.actions.includes("create")) push("opened", a, group);
      else if (a && c.actions.includes("update")) push("opened", a, group);
      if (b && (c.actions.includes("delete") || c.actions.includes("update"))) push("closed", b, group);
    }
  }
  return out;
}

