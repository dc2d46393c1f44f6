/**
 * Static check of the variables a template or expression names, against the shape of what a
 * play will provide, so an undefined variable or a syntax error is found before connecting
 * (runner/preflight.ts). A shape is the real value where it is known before connecting (the
 * environment's vars, env, tier, host volumes …) and ANY where only a host or the vault can
 * say (facts, vault, addresses, loop items): ANY accepts every path below it.
 * Handlebars templates are walked on their AST (handlebars.parse), following #with/#each
 * contexts; `when`/`loop` expressions on jexl's AST.
 */
import Handlebars from "handlebars";
import { jexl } from "./playbook";

export const ANY: unknown = Object.freeze({ "(known only on the host)": true });

export interface Missing {
  /** the expression as written, e.g. emission.dbName */
  expr: string;
  /** the shortest prefix that is not defined, e.g. emission */
  missing: string;
  /** "helper": a helper call ({{shout x}}) names no helper we have */
  kind?: "helper";
  /** 1-based, 0 when unknown (expressions) */
  line: number;
  col: number;
}

type Resolved = { ok: true; value: unknown } | { ok: false; at: number };

export function resolve(root: unknown, parts: string[]): Resolved {
  let v = root;
  for (let i = 0; i < parts.length; i++) {
    if (v === ANY) return { ok: true, value: ANY };
    const part = parts[i];
    if (Array.isArray(v) && (part === "length" || /^\d+$/.test(part))) v = part === "length" ? v.length : v[Number(part)];
    else if (v && typeof v === "object" && Object.prototype.hasOwnProperty.call(v, part)) v = (v as Record<string, unknown>)[part];
    else return { ok: false, at: i };
    if (v === undefined) return { ok: false, at: i };
  }
  return { ok: true, value: v };
}

const BUILTIN_HELPERS = new Set(["if", "unless", "each", "with", "lookup", "log"]);

const asts = new Map<string, hbs.AST.Program | Error>();

/** Parsed (and compiled once, for compile-time errors) per distinct text: a run checks the same templates for every tier. */
function parsed(text: string): hbs.AST.Program {
  let ast = asts.get(text);
  if (!ast) {
    try {
      ast = Handlebars.parse(text);
      Handlebars.precompile(ast, { strict: true, noEscape: true });
    } catch (e) {
      ast = e as Error;
    }
    asts.set(text, ast);
  }
  if (ast instanceof Error) throw ast;
  return ast;
}

/** Parse a template (syntax errors throw with handlebars' message) and list the variables it names that `root` lacks. */
export function missingInTemplate(text: string, root: Record<string, unknown>, helpers: readonly string[]): Missing[] {
  const ast = parsed(text);
  const out: Missing[] = [];
  const isHelper = (name: string) => BUILTIN_HELPERS.has(name) || helpers.includes(name);

  const valueOf = (node: hbs.AST.Expression, stack: unknown[], params: Set<string>): unknown => {
    if (node.type !== "PathExpression") return ANY;
    const p = node as hbs.AST.PathExpression;
    if (p.data || params.has(p.parts[0])) return ANY;
    const r = resolve(stack[stack.length - 1 - p.depth] ?? ANY, p.parts);
    return r.ok ? r.value : ANY;
  };
  const path = (p: hbs.AST.PathExpression, stack: unknown[], params: Set<string>) => {
    if (params.has(p.parts[0]) || [...params].some((g) => p.original === g || p.original.startsWith(`${g}.`))) return;
    let base: unknown;
    let parts = p.parts;
    if (p.data) {
      if (p.parts[0] !== "root") return; // @index, @key, @first, @last
      base = stack[0];
      parts = p.parts.slice(1);
    } else base = stack[stack.length - 1 - p.depth] ?? ANY;
    const r = resolve(base, parts);
    if (!r.ok) out.push({ expr: p.original, missing: (p.data ? ["@root", ...parts] : parts).slice(0, r.at + (p.data ? 2 : 1)).join("."), line: p.loc.start.line, col: p.loc.start.column + 1 });
  };
  const expr = (node: hbs.AST.Expression, stack: unknown[], params: Set<string>) => {
    if (node.type === "PathExpression") path(node as hbs.AST.PathExpression, stack, params);
    else if (node.type === "SubExpression") call(node as hbs.AST.SubExpression, stack, params);
  };
  const call = (node: hbs.AST.MustacheStatement | hbs.AST.SubExpression | hbs.AST.BlockStatement, stack: unknown[], params: Set<string>) => {
    const name = node.path.type === "PathExpression" ? (node.path as hbs.AST.PathExpression).original : "";
    const helper = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0 || isHelper(name);
    if (!helper) expr(node.path as hbs.AST.Expression, stack, params);
    else if (!isHelper(name)) {
      const loc = node.path.loc.start;
      out.push({ expr: name, missing: name, kind: "helper", line: loc.line, col: loc.column + 1 });
    }
    for (const x of node.params) expr(x, stack, params);
    for (const pair of node.hash?.pairs ?? []) expr(pair.value, stack, params);
  };
  const walk = (prog: hbs.AST.Program | undefined, stack: unknown[], params: Set<string>) => {
    for (const s of prog?.body ?? []) {
      if (s.type === "MustacheStatement") call(s as hbs.AST.MustacheStatement, stack, params);
      else if (s.type === "BlockStatement") {
        const b = s as hbs.AST.BlockStatement;
        const name = (b.path as hbs.AST.PathExpression).original;
        const test = b.params[0];
        if ((name === "if" || name === "unless") && test?.type === "PathExpression" && (test as hbs.AST.PathExpression).parts.length > 1) {
          // {{#if a.b}} tests whether an optional a.b is there: only its parent a must exist
          const t = test as hbs.AST.PathExpression;
          path({ ...t, parts: t.parts.slice(0, -1), original: t.original.slice(0, t.original.lastIndexOf(".")) }, stack, params);
        } else call(b, stack, params);
        const inner = new Set([...params, ...(b.program?.blockParams ?? [])]);
        // inside {{#if a.b}} or {{#if (lookup a "b")}}, a.b is known to exist (a guard); {{#unless}}: in its else
        const guard = guardOf(b.params[0]);
        const guarded = guard ? new Set([...params, guard]) : params;
        const v = b.params[0] ? valueOf(b.params[0], stack, params) : ANY;
        const ctx =
          name === "if" || name === "unless" ? undefined
          : name === "with" ? v
          : name === "each" ? (Array.isArray(v) ? (v[0] ?? ANY) : v && typeof v === "object" && v !== ANY ? (Object.values(v)[0] ?? ANY) : ANY)
          : ANY;
        walk(b.program, ctx === undefined ? stack : [...stack, ctx], name === "if" ? new Set([...inner, ...guarded]) : inner);
        walk(b.inverse, stack, name === "unless" ? guarded : params);
      }
    }
  };
  walk(ast, [root], new Set());
  return out;
}

/** The dotted path an {{#if}} tests: a.b for `a.b` and for `(lookup a "b")`. */
function guardOf(node: hbs.AST.Expression | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === "PathExpression") return (node as hbs.AST.PathExpression).original;
  if (node.type !== "SubExpression") return undefined;
  const sub = node as hbs.AST.SubExpression;
  const [obj, key] = sub.params;
  if ((sub.path as hbs.AST.PathExpression).original !== "lookup" || obj?.type !== "PathExpression" || key?.type !== "StringLiteral") return undefined;
  return `${(obj as hbs.AST.PathExpression).original}.${(key as hbs.AST.StringLiteral).value}`;
}

/** The variables a `when`/`loop` expression names that `root` lacks (item and relative paths aside). */
/**
 * A `when` whose top-level `&&` holds a bare variable this environment does not define
 * (`when: "aptProxy && …"`): the variable is the task's switch, so the task cannot run here and
 * neither the expression nor the task's templates need it.
 */
export function switchedOff(expression: string, root: Record<string, unknown>): boolean {
  const ast = (jexl.compile(expression) as unknown as { _getAst(): any })._getAst();
  const conjuncts = (n: any): any[] => (n?.type === "BinaryExpression" && n.operator === "&&" ? [...conjuncts(n.left), ...conjuncts(n.right)] : [n]);
  return conjuncts(ast).some((n) => {
    const parts: string[] = [];
    let at: any = n;
    while (at && at.type === "Identifier" && !at.relative) {
      parts.unshift(at.value);
      at = at.from;
    }
    return parts.length > 0 && !at && !resolve(root, parts).ok;
  });
}

export function missingInExpression(expression: string, root: Record<string, unknown>): Missing[] {
  const ast = (jexl.compile(expression) as unknown as { _getAst(): any })._getAst();
  const out: Missing[] = [];
  const visit = (n: any): void => {
    if (!n || typeof n !== "object") return;
    if (Array.isArray(n)) return n.forEach(visit);
    if (n.type === "Identifier" && !n.relative) {
      const parts: string[] = [];
      let at: any = n;
      while (at && at.type === "Identifier" && !at.relative) {
        parts.unshift(at.value);
        at = at.from;
      }
      if (at) return visit(at); // a chain on a computed value (a[0].b, x[item].y): check what it starts from
      const r = resolve(root, parts);
      if (!r.ok) out.push({ expr: parts.join("."), missing: parts.slice(0, r.at + 1).join("."), line: 0, col: 0 });
      return;
    }
    if (n.type === "FilterExpression") return visit(n.subject); // the filter itself may use relative paths or item
    for (const k of ["left", "right", "test", "consequent", "alternate", "args", "subject", "expr"]) visit(n[k]);
    if (n.type === "ArrayLiteral") visit(n.value);
    if (n.type === "ObjectLiteral") visit(Object.values(n.value ?? {}));
  };
  visit(ast);
  return out;
}
