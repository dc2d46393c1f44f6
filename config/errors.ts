/**
 * One error type for every piece of bad input the tool reads (environment files,
 * playbooks, vault files, outputs, CLI arguments). It always renders as ONE line:
 *   hosts/production.yaml:12:5 tiers.database.volumes[0].sizeGb: expected a positive integer, got "big"
 * so the CLI can print it without a stack trace and exit with a fixed code.
 */
export class InputError extends Error {
  constructor(
    /** file path as the user typed it, or "argument" for CLI input */
    readonly file: string,
    /** 1-based line, 0 when unknown */
    readonly line: number,
    /** 1-based column, 0 when unknown */
    readonly col: number,
    /** dotted field path, e.g. tiers.database.volumes[0].sizeGb ("" for the whole file) */
    readonly field: string,
    /** what was expected / what is wrong */
    readonly detail: string,
  ) {
    super(formatInputError(file, line, col, field, detail));
    this.name = "InputError";
  }
}

/** Several one-line errors; its message is those lines joined with newlines. */
export class InputErrors extends Error {
  constructor(readonly errors: InputError[]) {
    super(errors.map((e) => e.message).join("\n"));
    this.name = "InputErrors";
  }
}

export function formatInputError(file: string, line: number, col: number, field: string, detail: string): string {
  const where = line > 0 ? `${file}:${line}:${col}` : file;
  return oneLine(field ? `${where} ${field}: ${detail}` : `${where}: ${detail}`);
}

const MAX_LINE = 600;
// C0/C1 controls (newlines included), line/paragraph separators, bidi overrides, BOM
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * Whatever the input held, an error stays ONE readable line: invisible and line-breaking
 * characters (from a key or value being quoted) are shown escaped, and a line quoting a
 * huge value is cut.
 */
export function oneLine(s: string): string {
  const escaped = s.replace(INVISIBLE, (c) => ({ "\n": "\\n", "\r": "\\r", "\t": "\\t" })[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return escaped.length > MAX_LINE ? `${escaped.slice(0, MAX_LINE)}… (${escaped.length - MAX_LINE} more characters)` : escaped;
}

/** Render a value the way the error messages quote it: strings in quotes, the rest as JSON. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

/** Turn a path like ["tiers","database","volumes",0,"sizeGb"] into tiers.database.volumes[0].sizeGb */
export function fieldPath(path: ReadonlyArray<string | number>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}
