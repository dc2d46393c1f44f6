/**
 * What a plan does, in the terms a reviewer needs: Terraform's own counts, the stateful
 * resources it destroys or replaces (the banner), changes grouped by tier and action with
 * their attributes (unknown and sensitive values shown as such), security-group rules
 * opened and closed, drift, output changes.
 */
import type { ResourceChange, TerraformPlan } from "./read";

export type Action = "create" | "update" | "delete" | "replace" | "read" | "forget" | "no-op";

export interface Counts {
  add: number;
  change: number;
  destroy: number;
  replace: number;
  import: number;
  move: number;
  forget: number;
}

export interface AttributeChange {
  path: string;
  before: string;
  after: string;
}

export interface ResourceReport {
  address: string;
  type: string;
  tier: string;
  action: Action;
  /** attributes whose change forces the replacement */
  forcedBy: string[];
  reason?: string;
  attributes: AttributeChange[];
  imported: boolean;
  movedFrom?: string;
}

export interface Danger {
  address: string;
  action: "destroy" | "replace";
  why: string;
  forcedBy: string[];
  reason?: string;
}

export interface RuleChange {
  change: "opened" | "closed";
  rule: string;
  group: string;
  address: string;
}

export interface Analysis {
  planLine: string;
  counts: Counts;
  danger: Danger[];
  groups: { tier: string; action: Action; resources: ResourceReport[] }[];
  securityGroups: RuleChange[];
  drift: { address: string; type: string; action: Action }[];
  outputs: { name: string; action: Action; before: string; after: string }[];
}

export const UNKNOWN = "(known after apply)";
export const SENSITIVE = "(sensitive)";

export function actionOf(actions: string[]): Action {
  const a = [...actions].sort().join(",");
  if (a === "create,delete") return "replace";
  if (a === "create,forget") return "replace";
  if (actions.length === 1) return actions[0] as Action;
  return "update";
}

function tagsOf(rc: ResourceChange): Record<string, string> {
  const after = rc.change.after && typeof rc.change.after === "object" ? rc.change.after : {};
  const before = rc.change.before && typeof rc.change.before === "object" ? rc.change.before : {};
  return { ...(before.tags_all ?? {}), ...(before.tags ?? {}), ...(after.tags_all ?? {}), ...(after.tags ?? {}) };
}

/** The tier a resource belongs to: its Tier tag, else a tier-like word in its address. */
export function tierOf(rc: ResourceChange, knownTiers: string[]): string {
  const t = tagsOf(rc).Tier;
  if (typeof t === "string" && t) return t;
  const addr = rc.address ?? `${rc.type}.${rc.name}`;
  const hit = knownTiers.find((k) => new RegExp(`(^|[^a-z])${k}([^a-z]|$)`).test(addr));
  return hit ?? "shared";
}

const STATEFUL_TYPES = new Set(["aws_ebs_volume", "aws_volume_attachment", "aws_nat_gateway", "aws_eip", "aws_db_instance", "aws_rds_cluster", "aws_efs_file_system", "aws_s3_bucket", "aws_dynamodb_table"]);

function statefulWhy(rc: ResourceChange, tier: string): string | undefined {
  const tags = tagsOf(rc);
  if (STATEFUL_TYPES.has(rc.type)) return rc.type === "aws_nat_gateway" || rc.type === "aws_eip" ? "the NAT gateway / its public address" : "holds or attaches data";
  if (String(tags.HoldsData) === "true") return "tagged HoldsData=true";
  if (rc.type === "aws_instance" && tier === "database") return "the database tier's instance";
  return undefined;
}

/** Flatten a value to dotted paths (arrays by index). */
function flatten(v: unknown, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  if (v && typeof v === "object") {
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
    if (entries.length === 0) out[prefix] = Array.isArray(v) ? [] : {};
    for (const [k, x] of entries) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = v;
  return out;
}

function flag(tree: unknown, path: string): boolean {
  if (tree === true) return true;
  let node: unknown = tree;
  for (const part of path.split(".")) {
    if (node === true) return true;
    if (!node || typeof node !== "object") return false;
    node = (node as Record<string, unknown>)[part];
  }
  return node === true;
}

export function show(v: unknown): string {
  if (v === undefined) return "—";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  return JSON.stringify(v);
}

export function attributeChanges(rc: ResourceChange): AttributeChange[] {
  const c = rc.change;
  const before = flatten(c.before ?? {});
  const after = flatten(c.after ?? {});
  const unknown = flatten(c.after_unknown ?? {});
  const keys = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown).filter((k) => unknown[k] === true)]);
  const out: AttributeChange[] = [];
  for (const k of [...keys].sort()) {
    if (!k || k.startsWith("tags_all")) continue;
    const isUnknown = flag(c.after_unknown, k);
    const b = flag(c.before_sensitive, k) ? SENSITIVE : show(before[k]);
    const a = isUnknown ? UNKNOWN : flag(c.after_sensitive, k) ? SENSITIVE : show(after[k]);
    // a sensitive value shows as "(sensitive)" on both sides: compare the values themselves
    // (the plan JSON carries them) so a changed password still shows as a changed attribute
    const sensitive = b === SENSITIVE || a === SENSITIVE;
    if (!isUnknown && (sensitive ? JSON.stringify(before[k]) === JSON.stringify(after[k]) : b === a)) continue;
    if (isUnknown && c.before === null) continue; // a new resource's computed attributes: noise
    out.push({ path: k, before: c.before === null || c.before === undefined ? "—" : b, after: c.after === null || c.after === undefined ? "—" : a });
  }
  return out;
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

function securityGroupChanges(rc: ResourceChange): RuleChange[] {
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

const ACTION_ORDER: Action[] = ["replace", "delete", "create", "update", "forget", "read"];

export function analyze(plan: TerraformPlan, knownTiers: string[] = ["database", "webapp", "analysis", "notebook", "bastion"]): Analysis {
  const counts: Counts = { add: 0, change: 0, destroy: 0, replace: 0, import: 0, move: 0, forget: 0 };
  const danger: Danger[] = [];
  const reports: ResourceReport[] = [];
  const securityGroups: RuleChange[] = [];
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode === "data") continue;
    const action = actionOf(rc.change.actions);
    const address = rc.address ?? `${rc.type}.${rc.name}`;
    const imported = Boolean(rc.change.importing);
    const moved = rc.previous_address && rc.previous_address !== rc.address ? rc.previous_address : undefined;
    if (imported) counts.import++;
    if (moved) counts.move++;
    if (rc.change.actions.includes("forget")) counts.forget++;
    if (action === "create") counts.add++;
    else if (action === "update") counts.change++;
    else if (action === "delete") counts.destroy++;
    else if (action === "replace") {
      counts.replace++;
      counts.add++;
      if (rc.change.actions.includes("delete")) counts.destroy++;
    }
    if (action === "no-op" && !imported && !moved) continue;
    const tier = tierOf(rc, knownTiers);
    const forcedBy = (rc.change.replace_paths ?? []).map((p) => p.join("."));
    reports.push({ address, type: rc.type, tier, action, forcedBy, reason: rc.action_reason, attributes: attributeChanges(rc), imported, movedFrom: moved });
    securityGroups.push(...securityGroupChanges(rc));
    if (action === "delete" || action === "replace") {
      const why = statefulWhy(rc, tier);
      if (why) danger.push({ address, action: action === "delete" ? "destroy" : "replace", why, forcedBy, reason: rc.action_reason });
    }
  }
  const parts = [`${counts.add} to add`, `${counts.change} to change`, `${counts.destroy} to destroy`];
  if (counts.import) parts.unshift(`${counts.import} to import`);
  if (counts.forget) parts.push(`${counts.forget} to forget`);
  const noChanges = reports.length === 0 && !Object.values(plan.output_changes ?? {}).some((o) => !o.actions.includes("no-op"));
  const planLine = noChanges ? "No changes. Your infrastructure matches the configuration." : `Plan: ${parts.join(", ")}.`;

  const groupsMap = new Map<string, ResourceReport[]>();
  for (const r of reports) {
    const key = `${r.tier}\u0000${r.action}`;
    groupsMap.set(key, [...(groupsMap.get(key) ?? []), r]);
  }
  const tierOrder = (t: string) => (knownTiers.includes(t) ? knownTiers.indexOf(t) : knownTiers.length);
  const groups = [...groupsMap.entries()]
    .map(([k, resources]) => ({ tier: k.split("\u0000")[0], action: k.split("\u0000")[1] as Action, resources }))
    .sort((a, b) => tierOrder(a.tier) - tierOrder(b.tier) || a.tier.localeCompare(b.tier) || ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action));

  const drift = (plan.resource_drift ?? []).map((d) => ({ address: d.address ?? `${d.type}${d.name ? "." + d.name : ""} (no address given)`, type: d.type, action: actionOf(d.change.actions) }));
  const outputs = Object.entries(plan.output_changes ?? {})
    .filter(([, o]) => !o.actions.includes("no-op"))
    .map(([name, o]) => ({
      name,
      action: actionOf(o.actions),
      before: o.before_sensitive === true ? SENSITIVE : show(o.before),
      after: o.after_unknown === true ? UNKNOWN : o.after_sensitive === true ? SENSITIVE : show(o.after),
    }));
  return { planLine, counts, danger, groups, securityGroups, drift, outputs };
}
