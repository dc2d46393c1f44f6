/**
 * YAML with positions: parse a file once and answer "where is the node at this path?"
 * so every validation error (schema or semantic) can name file:line:col.
 * Used for environment files, playbooks and vault files alike.
 *
 * Anchors, aliases and YAML merge keys (`<<: *shared`, `<<: [*a, *b]`) are accepted, so
 * operators can share e.g. volume definitions; a value that comes from an anchor or a merge
 * is reported where it is written (in the anchored mapping). Explicit keys win over merged
 * ones, and earlier merge sources over later ones (https://yaml.org/type/merge.html).
 */
import * as fs from "fs";
import { Document, LineCounter, parseDocument, isAlias, isMap, isSeq, isPair, isScalar, Node, Pair, YAMLMap } from "yaml";
import { InputError, fieldPath } from "./errors";

export type Path = ReadonlyArray<string | number>;

export class YamlSource {
  readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();
  private converted?: { value: unknown };

  constructor(readonly file: string, readonly text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false, merge: true });
  }

  static read(file: string): YamlSource {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new InputError(file, 0, 0, "", code === "ENOENT" ? "file not found" : `cannot read file (${code})`);
    }
    return new YamlSource(file, text);
  }

  /** The first YAML syntax error (bad indentation, duplicate key …) as one line, or undefined. */
  syntaxError(): InputError | undefined {
    const err = this.doc.errors[0];
    if (!err) {
      // what only shows when the document becomes a value: bad merge keys, alias explosions
      try {
        this.value();
        return undefined;
      } catch (e) {
        if (e instanceof InputError) return e;
        throw e;
      }
    }
    const [line, col] = this.position(err.pos[0]);
    const detail = err.code === "DUPLICATE_KEY" ? "duplicate key (each name may appear once)" : `invalid YAML: ${firstLine(err.message)}`;
    return new InputError(this.file, line, col, this.keyAt(err.pos[0]), detail);
  }

  /**
   * Plain JS value of the document. A merge key whose value is not a mapping (or an alias of
   * one, or a list of those) and an alias explosion ("billion laughs") are one-line errors.
   */
  value(): unknown {
    if (this.converted) return this.converted.value;
    const bad = this.badMerge(this.doc.contents, new Set());
    if (bad) throw bad;
    let value: unknown;
    try {
      value = this.doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      const detail = /alias count/i.test(msg) ? "too many alias expansions (at most 100): expand the anchors by hand" : `invalid YAML: ${firstLine(msg)}`;
      return this.throwAtFirstAlias(detail);
    }
    if (circular(value, new Set())) this.throwAtFirstAlias("an alias inside its own anchor (the value would contain itself)");
    this.converted = { value };
    return value;
  }

  position(offset: number): [number, number] {
    const p = this.lines.linePos(offset);
    return [p.line, p.col];
  }

  /** Position of the node at `path`; when it does not exist, of its nearest existing parent. */
  positionOf(path: Path, keyOnly = false): [number, number] {
    for (let n = path.length; n >= 0; n--) {
      const found = this.find(path.slice(0, n), keyOnly && n === path.length);
      if (found?.range) return this.position(found.range[0]);
    }
    return [1, 1];
  }

  error(path: Path, detail: string, keyOnly = false): InputError {
    const [line, col] = this.positionOf(path, keyOnly);
    return new InputError(this.file, line, col, fieldPath(path), detail);
  }

  private find(path: Path, wantKey: boolean): Node | undefined {
    let node: unknown = this.doc.contents;
    for (let i = 0; i < path.length; i++) {
      const part = path[i];
      node = this.deref(node);
      if (isMap(node)) {
        const pair = this.pairIn(node, String(part), new Set());
        if (!pair) return undefined;
        if (wantKey && i === path.length - 1) return pair.key as Node;
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof part === "number") {
        node = node.items[part];
      } else {
        return undefined;
      }
    }
    if (isPair(node)) return node.key as Node;
    return node as Node | undefined;
  }

  /** The node an alias stands for (the anchored node, where its text is). */
  private deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  /** The pair holding `key` in `map`, itself or through its merge keys, in YAML's precedence. */
  private pairIn(map: YAMLMap, key: string, seen: Set<unknown>): Pair | undefined {
    if (seen.has(map)) return undefined;
    seen.add(map);
    const own = map.items.find((p: Pair) => isScalar(p.key) && !isMergeKey(p.key) && String(p.key.value) === key);
    if (own) return own;
    for (const p of map.items) {
      if (!isMergeKey(p.key)) continue;
      const value = this.deref(p.value);
      for (const source of isSeq(value) ? value.items.map((n) => this.deref(n)) : [value]) {
        const found = isMap(source) ? this.pairIn(source, key, seen) : undefined;
        if (found) return found;
      }
    }
    return undefined;
  }

  /** A merge key with a value YAML cannot merge, as a one-line error at that value. */
  private badMerge(node: unknown, seen: Set<unknown>): InputError | undefined {
    if (seen.has(node)) return undefined;
    seen.add(node);
    if (isMap(node)) {
      for (const p of node.items) {
        if (isMergeKey(p.key)) {
          const value = this.deref(p.value);
          const sources = isSeq(value) ? value.items.map((n) => this.deref(n)) : [value];
          if (!sources.every((s) => isMap(s))) {
            const at = (p.value as Node | null)?.range?.[0] ?? (p.key as Node).range?.[0] ?? 0;
            const [line, col] = this.position(at);
            return new InputError(this.file, line, col, "<<", "a merge key takes a mapping, an alias of one (*name) or a list of them");
          }
        }
        const inner = this.badMerge(p.value, seen);
        if (inner) return inner;
      }
    } else if (isSeq(node)) {
      for (const item of node.items) {
        const inner = this.badMerge(item, seen);
        if (inner) return inner;
      }
    }
    return undefined;
  }

  private throwAtFirstAlias(detail: string): never {
    let at = 0;
    const visit = (n: unknown): boolean => {
      if (isAlias(n)) {
        at = n.range?.[0] ?? 0;
        return true;
      }
      if (isMap(n)) return n.items.some((p) => visit(p.key) || visit(p.value));
      if (isSeq(n)) return n.items.some(visit);
      return false;
    };
    visit(this.doc.contents);
    const [line, col] = this.position(at);
    throw new InputError(this.file, line, col, "", detail);
  }

  /** Best-effort dotted path of the key that starts at `offset` (for syntax errors). */
  private keyAt(_offset: number): string {
    return "";
  }
}

/** `<<` as a merge key (the yaml library resolves it to a Symbol when merge keys are on). */
function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const v = key.value;
  return (typeof v === "symbol" && v.description === "<<") || (v === "<<" && key.type === "PLAIN");
}

function circular(v: unknown, path: Set<unknown>): boolean {
  if (!v || typeof v !== "object") return false;
  if (path.has(v)) return true;
  path.add(v);
  const found = Object.values(v as object).some((x) => circular(x, path));
  path.delete(v);
  return found;
}

function firstLine(s: string): string {
  return s.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}
