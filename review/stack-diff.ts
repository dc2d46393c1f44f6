/**
 * The plan-shaped difference between two sets of synthesized stacks, as close to what
 * Terraform would plan as the JSON allows without state:
 *   - resources created, destroyed, updated, or replaced (a changed force-new attribute,
 *     force-new.ts), honouring `lifecycle.ignore_changes`;
 *   - `moved` blocks: the old address's resource compared with the new one (a move, not a
 *     destroy + create), references to the old address read as the new one;
 *   - replacements cascading through references: a value read from a replaced resource is
 *     unknown until apply, so the resources using it are updated — or replaced, when the
 *     attribute is force-new (a replaced instance replaces its volume attachments; a
 *     replaced subnet, its instances); `replace_triggered_by` likewise;
 *   - data sources whose arguments changed (read again; what uses them may change);
 *   - outputs, provider configuration (region, default tags), backend (config-diff.ts).
 */
import { configChanges, defaultTagsOf } from "./config-diff";
import { FORCE_NEW } from "./force-new";
import type { ConfigChange, ResourceChange, TerraformPlan } from "./read";
import type { StackJson } from "./synth";

type Configs = Record<string, any>; // "type.name" -> config (data sources as "data.type.name")

function stripMeta(cfg: Record<string, any>): Record<string, any> {
  const { lifecycle: _l, depends_on: _d, "//": _m, provider: _p, ...rest } = cfg ?? {};
  return rest;
}

function flat(s: StackJson | undefined, section: "resource" | "data"): Configs {
  const out: Configs = {};
  for (const [type, byName] of Object.entries((s as any)?.[section] ?? {}))
    for (const [name, c] of Object.entries(byName as Record<string, any>)) out[`${section === "data" ? "data." : ""}${type}.${name}`] = c;
  return out;
}

/** Rewrite references to moved addresses (old → new), so moved resources compare equal. */
function renameRefs<T>(v: T, moves: Map<string, string>): T {
  if (moves.size === 0) return v;
  let text = JSON.stringify(v);
  for (const [from, to] of moves) text = text.split(`${from}.`).join(`${to}.`);
  return JSON.parse(text);
}

/** `type.name` (or data.type.name) and attribute of every reference in a value. */
function refsIn(v: unknown): { target: string; attr: string }[] {
  const out: { target: string; attr: string }[] = [];
  const text = typeof v === "string" ? v : JSON.stringify(v ?? null);
  for (const expr of text.match(/\$\{[^}]*\}/g) ?? [])
    for (const m of expr.matchAll(/((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)\.([a-z0-9_]+)/g)) out.push({ target: m[1], attr: m[2] });
  return out;
}

/** Is `attr` of the (replaced) resource known at plan time? Only when its config sets it literally. */
const knownLiteral = (cfg: any, attr: string) => cfg && attr in cfg && !JSON.stringify(cfg[attr]).includes("${");

function diffOneStack(stack: string, base: StackJson | undefined, head: StackJson | undefined): { changes: ResourceChange[]; outputs: TerraformPlan["output_changes"]; config: ConfigChange[] } {
  const moves = new Map<string, string>();
  for (const m of ((head as any)?.moved ?? []) as { from: string; to: string }[]) moves.set(m.from, m.to);
  const b: Configs = renameRefs({ ...flat(base, "resource"), ...flat(base, "data") }, moves);
  const h: Configs = { ...flat(head, "resource"), ...flat(head, "data") };
  const previous = new Map<string, string>(); // new address -> old address
  for (const [from, to] of moves)
    if (b[from] && h[to] && !b[to]) {
      b[to] = b[from];
      delete b[from];
      previous.set(to, from);
    }
  const config = configChanges(stack, base, head);
  // default tags land in every tagged resource's tags_all: a change there updates them all
  const tagsBefore = defaultTagsOf(base);
  const tagsAfter = defaultTagsOf(head);
  const defaultTagsChanged = base && head && JSON.stringify(tagsBefore) !== JSON.stringify(tagsAfter);

  type Entry = { addr: string; before?: any; after?: any; changed: Set<string>; forced: Set<string>; unknown: Set<string>; triggered?: string };
  const entries = new Map<string, Entry>();
  const all = [...new Set([...Object.keys(b), ...Object.keys(h)])].sort();
  for (const addr of all) {
    const before = b[addr] ? stripMeta(b[addr]) : undefined;
    const after = h[addr] ? stripMeta(h[addr]) : undefined;
    const e: Entry = { addr, before, after, changed: new Set(), forced: new Set(), unknown: new Set() };
    if (before && after) {
      for (const k of new Set<string>(h[addr].lifecycle?.ignore_changes ?? [])) if (k in before) after[k] = before[k]; // Terraform will not act on these
      for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) e.changed.add(k);
      if (defaultTagsChanged && !addr.startsWith("data.") && ("tags" in after || "tags" in before)) {
        before.tags_all = { ...tagsBefore, ...(before.tags ?? {}) };
        after.tags_all = { ...tagsAfter, ...(after.tags ?? {}) };
        e.changed.add("tags_all");
      }
    }
    entries.set(addr, e);
  }
  const type = (addr: string) => addr.replace(/^data\./, "").split(".")[0];
  const forceNew = (addr: string, k: string) => !addr.startsWith("data.") && (FORCE_NEW[type(addr)]?.attributes.includes(k) ?? false);
  for (const e of entries.values()) for (const k of e.changed) if (forceNew(e.addr, k)) e.forced.add(k);

  // cascade: values read from replaced resources (or re-read data sources) are unknown until apply
  const uncertain = (e: Entry) => e.before && e.after && (e.addr.startsWith("data.") ? e.changed.size > 0 : e.forced.size > 0 || e.triggered);
  for (let round = 0, grew = true; grew && round < 100; round++) {
    grew = false;
    for (const e of entries.values()) {
      if (!e.before || !e.after || e.addr.startsWith("data.")) continue;
      const ignored = new Set<string>(h[e.addr].lifecycle?.ignore_changes ?? []);
      for (const [k, v] of Object.entries(e.after)) {
        if (ignored.has(k) || e.unknown.has(k)) continue;
        const hit = refsIn(v).find((r) => {
          const t = entries.get(r.target);
          return t && uncertain(t) && !(!r.target.startsWith("data.") && knownLiteral(t.after, r.attr));
        });
        if (!hit) continue;
        e.unknown.add(k);
        e.changed.add(k);
        if (forceNew(e.addr, k)) e.forced.add(k);
        grew = true;
      }
      for (const t of refsIn(h[e.addr].lifecycle?.replace_triggered_by ?? [])) {
        const src = entries.get(t.target);
        if (!e.triggered && src && src.before && src.after && src.changed.size > 0) {
          e.triggered = t.target;
          grew = true;
        }
      }
    }
  }

  const changes: ResourceChange[] = [];
  for (const e of entries.values()) {
    const data = e.addr.startsWith("data.");
    const [t, ...rest] = e.addr.replace(/^data\./, "").split(".");
    const base: Omit<ResourceChange, "change"> = { address: `${stack}:${e.addr}`, mode: data ? "data" : "managed", type: t, name: rest.join(".") };
    const prev = previous.get(e.addr);
    if (prev) base.previous_address = `${stack}:${prev}`;
    const afterUnknown = Object.fromEntries([...e.unknown].map((k) => [k, true]));
    if (!e.before) changes.push({ ...base, change: { actions: [data ? "read" : "create"], before: null, after: e.after, after_unknown: afterUnknown } });
    else if (!e.after) {
      if (!data) changes.push({ ...base, change: { actions: ["delete"], before: e.before, after: null } });
    } else if (data) {
      if (e.changed.size) changes.push({ ...base, change: { actions: ["read"], before: e.before, after: e.after } });
    } else if (e.forced.size || e.triggered) {
      changes.push({
        ...base,
        change: { actions: ["delete", "create"], before: e.before, after: e.after, after_unknown: afterUnknown, replace_paths: [...e.forced].map((k) => [k]) },
        action_reason: e.triggered ? "replace_by_triggers" : "replace_because_cannot_update",
      });
    } else if (e.changed.size) changes.push({ ...base, change: { actions: ["update"], before: e.before, after: e.after, after_unknown: afterUnknown } });
    else if (prev) changes.push({ ...base, change: { actions: ["no-op"], before: e.before, after: e.after } });
  }

  // outputs: a changed expression, or one reading an unknown value
  const outputs: NonNullable<TerraformPlan["output_changes"]> = {};
  const ob = renameRefs((base as any)?.output ?? {}, moves);
  const oh = (head as any)?.output ?? {};
  for (const name of [...new Set([...Object.keys(ob), ...Object.keys(oh)])].sort()) {
    const before = ob[name]?.value;
    const after = oh[name]?.value;
    const readsUnknown = refsIn(after).some((r) => {
      const t = entries.get(r.target);
      return t && (!t.before || (uncertain(t) && !knownLiteral(t.after, r.attr)));
    });
    if (before === undefined) outputs[name] = { actions: ["create"], before: null, after, after_unknown: readsUnknown };
    else if (after === undefined) outputs[name] = { actions: ["delete"], before, after: null };
    else if (JSON.stringify(before) !== JSON.stringify(after) || readsUnknown) outputs[name] = { actions: ["update"], before, after, after_unknown: readsUnknown };
  }
  return { changes, outputs, config };
}

/** The plan-shaped difference between two sets of synthesized stacks (stack name → JSON). */
export function diffStacks(base: Record<string, StackJson>, head: Record<string, StackJson>): TerraformPlan {
  const resource_changes: ResourceChange[] = [];
  const output_changes: NonNullable<TerraformPlan["output_changes"]> = {};
  const configuration_changes: ConfigChange[] = [];
  for (const stack of [...new Set([...Object.keys(base), ...Object.keys(head)])].sort()) {
    const d = diffOneStack(stack, base[stack], head[stack]);
    resource_changes.push(...d.changes);
    for (const [name, o] of Object.entries(d.outputs ?? {})) output_changes[`${stack}:${name}`] = o;
    configuration_changes.push(...d.config);
  }
  return { format_version: "synth-diff", resource_changes, output_changes, configuration_changes };
}
