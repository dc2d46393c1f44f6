/**
 * YAML with positions: parse a file once and answer "where is the node at this path?"
 * so every validation error (schema or semantic) can name file:line:col.
 * Used for environment files, playbooks and vault files alike.
 */
import * as fs from "fs";
import { Document, LineCounter, parseDocument, isMap, isSeq, isPair, isScalar, Node, Pair } from "yaml";
import { InputError, fieldPath } from "./errors";

export type Path = ReadonlyArray<string | number>;

export class YamlSource {
  readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();

  constructor(readonly file: string, readonly text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
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
    if (!err) return undefined;
    const [line, col] = this.position(err.pos[0]);
    const detail = err.code === "DUPLICATE_KEY" ? "duplicate key (each name may appear once)" : `invalid YAML: ${firstLine(err.message)}`;
    return new InputError(this.file, line, col, this.keyAt(err.pos[0]), detail);
  }

  /** Plain JS value of the document. */
  value(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
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
      if (isMap(node)) {
        const pair = node.items.find((p: Pair) => isScalar(p.key) && String(p.key.value) === String(part));
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

  /** Best-effort dotted path of the key that starts at `offset` (for syntax errors). */
  private keyAt(_offset: number): string {
    return "";
  }
}

function firstLine(s: string): string {
  return s.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}
