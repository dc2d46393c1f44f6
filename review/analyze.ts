/**
 * What a plan does, in the terms a reviewer needs: Terraform's own Plan line (counted as
 * Terraform's renderer counts: internal/command/jsonformat/plan.go), our extra counts, the
 * stateful resources it destroys or replaces (the banner: stateful.ts), the load balancer's
 * parts it destroys or replaces (service-affecting.ts, their own section), changes grouped by
 * tier and action with their attributes (unknown and sensitive values shown as such),
 * security-group rules opened and closed, drift, output changes, and — from the synth diff —
 * provider and backend changes.
 */
import type { ConfigChange, ResourceChange, TerraformPlan } from "./read";
import { securityGroupChanges, type RuleChange } from "./rule-changes";
import { statefulRow } from "./stateful";
import { serviceAffectingWhy } from "./service-affecting";
import { SENSITIVE, UNKNOWN } from "./unknown";

export { SENSITIVE, UNKNOWN, type RuleChange };

export type Action = "create" | "update" | "delete" | "replace" | "read" | "forget" | "no-op";

export interface Counts {
  add: number;
  change: number;
  destroy: number;
  replace: number;
  import: number;
  move: number;
  forget: number;
  /** data sources read during apply (not in Terraform's Plan line) */
  read: number;
  /** Terraform 1.14 action invocations ("Actions: N to invoke.") */
  invoke: number;
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
  /** change: a provider region or backend change (synth diff) */
  action: "destroy" | "replace" | "change";
  why: string;
  forcedBy: string[];
  reason?: string;
}

export interface Analysis {
  planLine: string;
  /** the plan has "errored": true — Terraform stopped planning on an error */
  errored: boolean;
  counts: Counts;
  danger: Danger[];
  /** destroyed or replaced resources that interrupt the service without losing data (the load balancer's parts) */
  serviceAffecting: Danger[];
  groups: { tier: string; action: Action; resources: ResourceReport[] }[];
  securityGroups: RuleChange[];
  drift: { address: string; type: string; action: Action }[];
  outputs: { name: string; action: Action; before: string; after: string }[];
  /** provider configuration and backend changes (synth diff) */
  config: ConfigChange[];
}


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

function statefulWhy(rc: ResourceChange, tier: string): string | undefined {
  const row = statefulRow(rc);
  if (row) return row.why;
  if (String(tagsOf(rc).HoldsData) === "true") return "tagged HoldsData=true";
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
  const same = (k: string) => JSON.stringify(before[k]) === JSON.stringify(after[k]);
  for (const k of [...keys].sort()) {
    if (!k) continue;
    // tags_all repeats tags; it is shown only for what tags does not show (default tags)
    if (k.startsWith("tags_all") && (k === "tags_all" || !same(`tags${k.slice(8)}`) || same(k))) continue;
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

const ACTION_ORDER: Action[] = ["replace", "delete", "create", "update", "forget", "read"];

export function analyze(plan: TerraformPlan, knownTiers: string[] = ["database", "webapp", "analysis", "notebook", "bastion"]): Analysis {
  const counts: Counts = { add: 0, change: 0, destroy: 0, replace: 0, import: 0, move: 0, forget: 0, read: 0, invoke: (plan.action_invocations ?? []).length };
  const danger: Danger[] = [];
  const serviceAffecting: Danger[] = [];
  const reports: ResourceReport[] = [];
  const securityGroups: RuleChange[] = [];
  for (const rc of plan.resource_changes ?? []) {
    const action = actionOf(rc.change.actions);
    const address = rc.address ?? `${rc.type}.${rc.name}`;
    const imported = Boolean(rc.change.importing);
    const moved = rc.previous_address && rc.previous_address !== rc.address ? rc.previous_address : undefined;
    // what Terraform shows and counts: no no-ops (unless moved or imported), no deleted data sources
    if (action === "no-op" && !imported && !moved) continue;
    if (action === "delete" && rc.mode && rc.mode !== "managed") continue;
    if (imported) counts.import++;
    if (moved) counts.move++;
    const acts = rc.change.actions;
    if (acts.includes("forget")) counts.forget++;
    if (action === "create") counts.add++;
    else if (action === "update") counts.change++;
    else if (action === "delete") counts.destroy++;
    else if (action === "read") counts.read++;
    else if (action === "replace") {
      counts.replace++;
      counts.add++;
      if (acts.includes("delete")) counts.destroy++;
    }
    const tier = tierOf(rc, knownTiers);
    const forcedBy = (rc.change.replace_paths ?? []).map((p) => p.join("."));
    reports.push({ address, type: rc.type, tier, action, forcedBy, reason: rc.action_reason, attributes: attributeChanges(rc), imported, movedFrom: moved });
    securityGroups.push(...securityGroupChanges(rc));
    if ((action === "delete" || action === "replace") && rc.mode !== "data") {
      const why = statefulWhy(rc, tier);
      if (why) danger.push({ address, action: action === "delete" ? "destroy" : "replace", why, forcedBy, reason: rc.action_reason });
      const service = serviceAffectingWhy(rc);
      if (service) serviceAffecting.push({ address, action: action === "delete" ? "destroy" : "replace", why: service, forcedBy, reason: rc.action_reason });
    }
  }
  const config = plan.configuration_changes ?? [];
  for (const c of config) if (c.danger) danger.push({ address: `${c.stack}: ${c.subject}`, action: "change", why: `${c.before} → ${c.after}. ${c.danger}`, forcedBy: [] });
  const outputChanged = Object.values(plan.output_changes ?? {}).some((o) => !o.actions.includes("no-op"));
  const errored = plan.errored === true;
  const planLine = planLineOf(counts, reports.length > 0 || config.length > 0, outputChanged, errored);

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
  return { planLine, errored, counts, danger, serviceAffecting, groups, securityGroups, drift, outputs, config };
}

/** Terraform's own summary line for these counts (forgets and reads are never in it). */
export function planLineOf(c: Counts, changes: boolean, outputsChanged: boolean, errored: boolean): string {
  if (!changes && !c.invoke) {
    if (errored) return "Planning failed. Terraform encountered an error while generating this plan.";
    if (outputsChanged) return "You can apply this plan to save these new output values to the Terraform state, without changing any real infrastructure.";
    return "No changes. Your infrastructure matches the configuration.";
  }
  const imports = c.import ? `${c.import} to import, ` : "";
  const actions = c.invoke ? ` Actions: ${c.invoke} to invoke.` : "";
  return `Plan: ${imports}${c.add} to add, ${c.change} to change, ${c.destroy} to destroy.${actions}`;
}
