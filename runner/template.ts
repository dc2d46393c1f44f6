/**
 * Template rendering: handlebars in strict mode, so a variable that does not exist is an
 * error naming the template, its line and the variable — caught before anything is sent.
 * Templates live in templates/*.hbs; `inline` strings (copy content, task arguments that
 * contain {{ }}) go through the same engine.
 *
 * Helpers (for what handlebars lacks):
 *   {{join list ","}}            list joined, e.g. bindIp: {{join bindIps ","}}  (no spaces)
 *   {{first list}}               first item
 *   {{#if (eq a b)}}             equality
 *   {{default value "x"}}        value, or "x" when undefined/empty (strict mode: use with lookup)
 *   {{urlencode s}}              percent-encoding (passwords inside mongodb:// URLs)
 *   {{json v}}                   JSON (strings quoted and escaped)
 *   {{indent n text}}            indent every line but the first by n spaces (PEM blocks in YAML)
 */
import * as fs from "fs";
import * as path from "path";
import Handlebars from "handlebars";
import { InputError } from "../config/errors";

const hb = Handlebars.create();
hb.registerHelper("join", (list: unknown, sep: unknown) => (Array.isArray(list) ? list.join(typeof sep === "string" ? sep : ",") : ""));
hb.registerHelper("lookup", (obj: unknown, key: unknown) => (obj && typeof obj === "object" ? (obj as Record<string, unknown>)[String(key)] : undefined));
hb.registerHelper("first", (list: unknown) => (Array.isArray(list) ? list[0] : undefined));
hb.registerHelper("eq", (a: unknown, b: unknown) => a === b);
hb.registerHelper("ne", (a: unknown, b: unknown) => a !== b);
hb.registerHelper("default", (v: unknown, d: unknown) => (v === undefined || v === null || v === "" ? d : v));
hb.registerHelper("urlencode", (s: unknown) => encodeURIComponent(String(s ?? "")));
hb.registerHelper("json", (v: unknown) => new Handlebars.SafeString(JSON.stringify(v)));
hb.registerHelper("indent", (n: unknown, text: unknown) =>
  String(text ?? "")
    .split("\n")
    .join("\n" + " ".repeat(Number(n) || 0)),
);

/** Names of the helpers above (runner/template-vars.ts tells helpers from variables with it). */
export const HELPER_NAMES = Object.keys(hb.helpers).filter((h) => !/Missing$/.test(h));

export function templatesDir(): string {
  return process.env.MULTITIER_TEMPLATES_DIR ?? "templates";
}

const cache = new Map<string, HandlebarsTemplateDelegate>();

function compile(key: string, source: string): HandlebarsTemplateDelegate {
  let fn = cache.get(key);
  if (!fn) {
    // noEscape: these are config files, not HTML; strict: unknown variables are errors
    fn = hb.compile(source, { strict: true, noEscape: true, knownHelpersOnly: false });
    cache.set(key, fn);
  }
  return fn;
}

/**
 * Render a template file (relative to templates/) or an inline string. `where` names the
 * playbook location for inline templates. Errors are one-line InputErrors.
 */
export function render(
  source: { file?: string; inline?: string; where?: { file: string; line: number; col: number; field: string } },
  vars: Record<string, unknown>,
): string {
  let label: string;
  let text: string;
  if (source.file !== undefined) {
    label = path.join(templatesDir(), source.file);
    try {
      text = fs.readFileSync(label, "utf8");
    } catch {
      throw new InputError(label, 0, 0, "", "template not found");
    }
  } else {
    label = "inline template";
    text = source.inline ?? "";
  }
  try {
    return compile(`${label}\0${text}`, text)(vars, { allowProtoPropertiesByDefault: false });
  } catch (e) {
    const err = templateError(label, text, e as Error);
    const w = source.where;
    // an inline template is reported at its place in the playbook
    if (w) throw new InputError(w.file, w.line, w.col, w.field, `${err.field ? `variable "${err.field}" is not defined` : err.detail}`);
    throw err;
  }
}

function templateError(label: string, text: string, e: Error & { lineNumber?: number; column?: number }): InputError {
  const m = /"([^"]+)" not defined in/.exec(e.message);
  const line = e.lineNumber ?? Number(/line (\d+)/.exec(e.message)?.[1] ?? 0);
  const col = e.column !== undefined ? e.column + 1 : 0;
  if (m) {
    // handlebars names only the last segment; show the whole expression at that position
    const at = text.split("\n")[line - 1]?.slice(Math.max(0, col - 1)) ?? "";
    const expr = /^[\w.@\[\]/-]+/.exec(at)?.[0] ?? m[1];
    return new InputError(label, line, col, expr, "variable is not defined (check hosts/<env>.yaml, the vault or the playbook's vars)");
  }
  return new InputError(label, line, col, "", `template error: ${e.message.split("\n")[0]}`);
}
