/**
 * Generated damage to the shipped environment files and playbooks (fast-check arbitraries):
 * a case is a list of mutations applied to the parsed file, serialized back to YAML, plus
 * optional raw-text damage. Mutations are plain data (indices taken modulo what exists), so
 * fast-check can print, replay and shrink them.
 */
import fc from "fast-check";
import { Document, isMap, isSeq, Node, YAMLMap, YAMLSeq } from "yaml";

type Path = (string | number)[];

export type Mutation =
  | { kind: "delete"; at: number }
  | { kind: "retype"; at: number; value: unknown }
  | { kind: "swap"; at: number; with: number }
  | { kind: "duplicate"; at: number }
  | { kind: "rename"; at: number; to: string }
  | { kind: "text"; at: number; value: string };

/**
 * merge / mergeList / alias: an anchor on one node and an alias or merge key in another,
 * anywhere (mostly nonsense, to be refused well). factor: what an operator does to share a
 * definition — B becomes `{ <<: *A, <only the keys where B differs from A> }` — which must
 * not change the meaning of the file.
 */
export type DocMutation = { kind: "merge" | "mergeList" | "alias" | "factor"; from: number; to: number };

export type RawMutation = { kind: "insert"; at: number; text: string } | { kind: "dupLine"; at: number } | { kind: "dropLine"; at: number } | { kind: "truncate"; at: number };

export interface Case {
  mutations: Mutation[];
  docMutations: DocMutation[];
  raw: RawMutation[];
}

/** Strings nobody imagined: control characters, bidi overrides, lone surrogates, emoji, YAML-looking text. */
const WEIRD = ["\u0000", "\u0007", "\t", "\r\n", "\u001b[31m", "\u202e", "\ufeff", "\ud800", "🦆", "é", "ǅ", "\u00a0", "../../etc/passwd", "*", "&a", "<<", "- x", "{", "%", "'", '"', "#", "!!binary", "~", "null", "yes", "0x1F", "1e999", "-0", ".inf"];
const weirdString = fc.oneof(
  fc.constantFrom(...WEIRD),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.tuple(fc.constantFrom(...WEIRD), fc.string({ maxLength: 8 })).map(([a, b]) => a + b),
);
/** Very long strings: 1 kB .. 100 kB, sometimes a repeated valid-looking value. */
const longString = fc.tuple(fc.constantFrom("x", "gp3", "192.168.0.1,", "é", "/data"), fc.integer({ min: 1000, max: 100000 })).map(([s, n]) => s.repeat(Math.ceil(n / s.length)));

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  weirdString,
  fc.constantFrom(0, -1, 65536, 2 ** 53, "", " ", "0750", "gp3", "io2", "private", "public", "10.0.0.0/8", "::/0", "/dev/sdf"),
  fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), { maxKeys: 3 }),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("retype" as const), at: fc.nat(), value: anyValue }),
  fc.record({ kind: fc.constant("swap" as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("rename" as const), at: fc.nat(), to: fc.oneof(weirdString, fc.constantFrom("name", "Name", "sizegb", "volume", "tier", "<<")) }),
  fc.record({ kind: fc.constant("text" as const), at: fc.nat(), value: fc.oneof(weirdString, longString) }),
);

const docMutation: fc.Arbitrary<DocMutation> = fc.record({ kind: fc.constantFrom("merge" as const, "mergeList" as const, "alias" as const, "factor" as const), from: fc.nat(), to: fc.nat() });
export const factorArb: fc.Arbitrary<DocMutation[]> = fc.array(fc.record({ kind: fc.constant("factor" as const), from: fc.nat(), to: fc.nat() }), { minLength: 1, maxLength: 4 });

const rawMutation: fc.Arbitrary<RawMutation> = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.oneof(weirdString, fc.constantFrom(": ", "\n  - ", "&x ", "*x", "<<: *x\n", "\t", "? ", "---\n", "...\n")) }),
  fc.record({ kind: fc.constant("dupLine" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("dropLine" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

export const caseArb: fc.Arbitrary<Case> = fc.record({
  mutations: fc.array(mutation, { minLength: 0, maxLength: 3 }),
  docMutations: fc.array(docMutation, { maxLength: 1 }),
  raw: fc.oneof({ weight: 4, arbitrary: fc.constant([] as RawMutation[]) }, { weight: 1, arbitrary: fc.array(rawMutation, { minLength: 1, maxLength: 2 }) }),
}).filter((c) => c.mutations.length + c.docMutations.length + c.raw.length > 0);

/** Every path in a value: [] for the root, then every key / index, depth first. */
export function paths(v: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function parentOf(root: unknown, p: Path): [Record<string | number, unknown> | unknown[], string | number] | undefined {
  if (p.length === 0) return undefined;
  let node: unknown = root;
  for (const part of p.slice(0, -1)) node = (node as Record<string | number, unknown>)[part];
  return node && typeof node === "object" ? [node as Record<string, unknown>, p[p.length - 1]] : undefined;
}

const get = (root: unknown, p: Path) => p.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)?.[k], root);
const isPrefix = (a: Path, b: Path) => a.length <= b.length && a.every((x, i) => x === b[i]);

/** Apply the mutations to a deep copy of `value` (each picks its target modulo the paths that exist then). */
export function mutate(value: unknown, mutations: Mutation[]): unknown {
  const root = { v: structuredClone(value) };
  for (const m of mutations) {
    const all = paths(root.v).map((p) => ["v", ...p]);
    const p = all[m.at % all.length];
    const parent = parentOf(root, p);
    if (!parent) continue;
    const [obj, key] = parent;
    if (m.kind === "delete") {
      if (Array.isArray(obj)) obj.splice(Number(key), 1);
      else delete (obj as Record<string, unknown>)[key];
    } else if (m.kind === "retype") {
      (obj as Record<string | number, unknown>)[key] = structuredClone(m.value);
    } else if (m.kind === "text") {
      (obj as Record<string | number, unknown>)[key] = m.value;
    } else if (m.kind === "swap") {
      const q = all[m.with % all.length];
      const other = parentOf(root, q);
      if (!other || isPrefix(p, q) || isPrefix(q, p)) continue;
      const a = get(root, p);
      (obj as Record<string | number, unknown>)[key] = get(root, q);
      (other[0] as Record<string | number, unknown>)[other[1]] = a;
    } else if (m.kind === "duplicate") {
      if (Array.isArray(obj)) obj.splice(Number(key), 0, structuredClone(obj[Number(key)]));
      else {
        // a map key cannot repeat in a parsed value (dupLine does that in the text): repeat a list's first entry
        const list = (obj as Record<string, unknown>)[key];
        if (Array.isArray(list) && list.length) list.push(structuredClone(list[0]));
      }
    } else if (m.kind === "rename" && !Array.isArray(obj)) {
      const o = obj as Record<string, unknown>;
      const v = o[key];
      delete o[key];
      o[m.to] = v;
    }
  }
  return root.v;
}

/** Serialize, then add anchors + aliases / merge keys between two nodes of the document. */
export function toYaml(value: unknown, docMutations: DocMutation[]): string {
  const doc = new Document(value);
  for (const m of docMutations) {
    const all = paths(value);
    const from = all[m.from % all.length];
    const to = all[m.to % all.length];
    if (m.kind === "factor") {
      factor(doc, value, all, m);
      continue;
    }
    const src = doc.getIn(from, true) as Node | undefined;
    if (!src || to.length === 0) continue;
    const alias = doc.createAlias(src as never);
    if (m.kind === "alias") {
      doc.setIn(to, alias);
      continue;
    }
    const target = doc.getIn(to, true);
    if (!isMap(target)) continue;
    const merged = m.kind === "mergeList" ? Object.assign(new YAMLSeq(), { items: [alias] }) : alias;
    target.items.unshift(doc.createPair("<<", merged));
    if (isSeq(merged)) merged.flow = true;
  }
  // an alias before its anchor (or to a node replaced since) is written as is: a real mistake to test
  return doc.toString({ lineWidth: 0, verifyAliasOrder: false });
}

/** Share map A's keys with a later map B through `<<: *A`, keeping in B only what differs. */
function factor(doc: Document, value: unknown, all: Path[], m: DocMutation): void {
  const maps = all.filter((p) => { const v = get(value, p); return v && typeof v === "object" && !Array.isArray(v); });
  // A: the first map (from `from` on) that a later, unrelated map B has every key of
  for (let k = 0; k < maps.length; k++) {
    const a = maps[(m.from + k) % maps.length];
    const av = get(value, a) as Record<string, unknown>;
    const bs = maps.filter((b) => all.indexOf(b) > all.indexOf(a) && !isPrefix(a, b) && Object.keys(av).every((key) => key in (get(value, b) as object)));
    if (!bs.length) continue;
    const b = bs[m.to % bs.length];
    const src = doc.getIn(a, true);
    const target = doc.getIn(b, true);
    if (!isMap(src) || !isMap(target) || target.items.some((p) => isScalarKey(p.key, "<<"))) return;
    share(doc, src, target, av, get(value, b) as Record<string, unknown>);
    return;
  }
}

function share(doc: Document, src: YAMLMap, target: YAMLMap, av: Record<string, unknown>, bv: Record<string, unknown>): void {
  target.items = target.items.filter((p) => {
    const k = String((p.key as { value?: unknown })?.value ?? p.key);
    return !(k in av && JSON.stringify(av[k]) === JSON.stringify(bv[k]));
  });
  target.items.unshift(doc.createPair("<<", doc.createAlias(src as never)));
}

function isScalarKey(key: unknown, name: string): boolean {
  return typeof key === "object" && key !== null && (key as { value?: unknown }).value === name;
}

export function damage(text: string, raw: RawMutation[]): string {
  for (const r of raw) {
    const lines = text.split("\n");
    if (r.kind === "insert") {
      const at = r.at % (text.length + 1);
      text = text.slice(0, at) + r.text + text.slice(at);
    } else if (r.kind === "dupLine") {
      const i = r.at % lines.length;
      lines.splice(i, 0, lines[i]);
      text = lines.join("\n");
    } else if (r.kind === "dropLine") {
      lines.splice(r.at % lines.length, 1);
      text = lines.join("\n");
    } else {
      text = text.slice(0, r.at % (text.length + 1));
    }
  }
  return text;
}

export function render(value: unknown, c: Case): string {
  return damage(toYaml(mutate(value, c.mutations), c.docMutations), c.raw);
}
