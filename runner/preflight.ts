/**
 * Everything about an environment × playbooks that can be known before connecting, checked
 * before connecting (by `multitier validate` and by every run): a play whose `hosts:` matches
 * no tier or host, a service asked for that the environment has no hosts for, and every
 * template (files and inline `{{…}}` strings, `when`/`loop` expressions) compiled and each
 * variable it names checked against what the play will provide that tier (runner/vars.ts:
 * environment vars < tier vars < play vars < task vars, plus env, tier, host, groups, hosts;
 * facts, vault and loop items are only known on the host and accepted as they are).
 */
import * as fs from "fs";
import * as path from "path";
import type { Environment, HostSpec } from "../config/environment";
import { InputError } from "../config/errors";
import { playMatches } from "./selection";
import type { InventoryHost } from "./inventory";
import { loadPlaybook, playbooksDir, type Play, type Playbook, type Task } from "./playbook";
import { HELPER_NAMES, templatesDir } from "./template";
import { ANY, missingInExpression, switchedOff, missingInTemplate, type Missing } from "./template-vars";
import { layerVars } from "./vars";

const matches = (play: Play, h: HostSpec) => playMatches(play.hosts, { name: h.name, tier: h.tier } as InventoryHost);

/** The bastion as a target: only plays naming it reach it (runner/selection.ts); it has no tier spec or volumes. */
const BASTION = { name: "bastion", tier: "bastion", volumes: [] } as unknown as HostSpec;
const targetsOf = (env: Environment): HostSpec[] => [...env.hosts, BASTION];

/**
 * Errors for running `services` on `env`, sorted by file:line:col. `explicit`: the operator
 * named the services (a service with no hosts here is refused); otherwise (validate, `all`)
 * a service whose plays match no host here is simply not for this environment.
 */
export function preflight(env: Environment, services: string[], explicit: boolean, load: (service: string) => Playbook = loadPlaybook): InputError[] {
  const errors: InputError[] = [];
  const tiers = Object.keys(env.tiers);
  const common = fs.existsSync(playbookFile("common")) ? tryLoad("common", errors, load) : undefined;
  const seen = new Set<string>();
  for (const service of services) {
    const book = tryLoad(service, errors, load);
    if (!book) continue;
    // a service is for this environment when a play reaches one of its tier hosts (a play for
    // the bastion alone does not make monitoring a service of an environment without the tier)
    if (!book.plays.some((p) => env.hosts.some((h) => matches(p, h)))) {
      if (explicit)
        errors.push(new InputError("argument", 0, 0, "service", `environment ${env.name} has no tier or host for "${service}" (${book.file} targets hosts: ${[...new Set(book.plays.map((p) => p.hosts))].join(", ")}); its tiers: ${tiers.join(", ")}`));
      continue;
    }
    for (const play of [...(common?.plays ?? []), ...book.plays]) {
      const hosts = targetsOf(env).filter((h) => matches(play, h));
      if (hosts.length === 0) {
        errors.push(new InputError(play.where.file, play.where.line, play.where.col, `${play.where.field}.hosts`, `expected a tier or host of ${env.file} (tiers: ${tiers.join(", ")}), got "${play.hosts}": this play would run nowhere`));
        continue;
      }
      const perTier = [...new Map(hosts.map((h) => [h.tier, h])).values()];
      for (const h of perTier) for (const e of playErrors(env, play, h)) if (!seen.has(e.field)) (seen.add(e.field), errors.push(e.error));
    }
  }
  return errors.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}

function playbookFile(service: string): string {
  return path.join(playbooksDir(), `${service}.yml`);
}

function tryLoad(service: string, errors: InputError[], load: (service: string) => Playbook): Playbook | undefined {
  try {
    return load(service);
  } catch (e) {
    if (e instanceof InputError) errors.push(e);
    else throw e;
    return undefined;
  }
}

function hostShape(env: Environment, h: HostSpec): Record<string, unknown> {
  const user = h.tier === "bastion" ? env.bastion.user : env.tiers[h.tier].user;
  const volumes = Object.fromEntries(h.volumes.map((v) => [v.name, { ...v, volumeId: ANY }]));
  return { name: h.name, tier: h.tier, privateIp: ANY, ipv6: ANY, user: user ?? env.sshUser, volumes };
}

/** The variables a task sees on host `h`, as far as they are known before connecting (layered as runner/vars.ts does at run time). */
function shape(env: Environment, play: Play, task: Task | undefined, h: HostSpec): Record<string, unknown> {
  const groups: Record<string, unknown[]> = {};
  for (const x of env.hosts) (groups[x.tier] ??= []).push(hostShape(env, x));
  const hosts = Object.fromEntries(env.hosts.map((x) => [x.name, hostShape(env, x)]));
  // the bastion's address comes from the inventory; facts and vault are known only on the host
  const vars = layerVars({ env, tier: h.tier, play, task, host: hostShape(env, h), groups, hosts, bastion: { privateIp: ANY }, facts: ANY, vault: ANY });
  return task?.loop ? { ...vars, item: ANY } : vars;
}

type Found = { field: string; error: InputError };

function playErrors(env: Environment, play: Play, h: HostSpec): Found[] {
  const out: Found[] = [];
  const say = (file: string, line: number, col: number, field: string, m: Missing) => {
    const builtin = /^(env|tier|host|groups|hosts)\b/.test(m.missing);
    const detail = m.kind === "helper"
      ? `expected a helper (${HELPER_NAMES.join(", ")}), got "${m.missing}"`
      : builtin
      ? `expected ${m.missing} to exist for tier ${h.tier} of ${env.file}, got nothing`
      : `expected variable "${m.missing}" under vars: in ${env.file} (tier ${h.tier} uses it here), got nothing`;
    out.push({ field: m.missing, error: new InputError(file, line, col, field || m.expr, detail) });
  };
  const inline = (text: string, root: Record<string, unknown>, w: { file: string; line: number; col: number; field: string }) => {
    try {
      for (const m of missingInTemplate(text, root, HELPER_NAMES)) say(w.file, w.line, w.col, w.field, m);
    } catch (e) {
      out.push({ field: `${w.file}:${w.line}:${w.field}`, error: new InputError(w.file, w.line, w.col, w.field, `template error: ${(e as Error).message.split("\n")[0]}`) });
    }
  };
  const strings = (v: unknown, field: string, fn: (s: string, field: string) => void): void => {
    if (typeof v === "string" && v.includes("{{")) fn(v, field);
    else if (Array.isArray(v)) v.forEach((x, i) => strings(x, `${field}[${i}]`, fn));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) strings(x, `${field}.${k}`, fn);
  };
  const playRoot = shape(env, play, undefined, h);
  strings(play.vars, `${play.where.field}.vars`, (s, f) => inline(s, playRoot, { ...play.where, field: f }));
  for (const task of [...play.tasks, ...(play.postTasks ?? []), ...play.handlers]) {
    const root = shape(env, play, task, h);
    if (task.when && switchedOff(task.when, root)) continue; // its switch is off in this environment
    const w = task.where;
    strings(task.name, `${w.field}.name`, (s, f) => inline(s, root, { ...w, field: f }));
    strings(task.vars, `${w.field}.vars`, (s, f) => inline(s, root, { ...w, field: f }));
    strings(task.args, `${w.field}.${task.moduleName}`, (s, f) => inline(s, root, { ...w, field: f }));
    for (const [key, expr] of [["when", task.when], ["loop", task.loop]] as const)
      if (expr) for (const m of missingInExpression(expr, root)) say(w.file, w.line, w.col, `${w.field}.${key}`, m);
    const src = task.moduleName === "template" ? task.args.src : undefined;
    if (typeof src === "string" && !src.includes("{{")) {
      const file = path.join(templatesDir(), src);
      let text: string;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch {
        continue; // the playbook loader reports a missing template file
      }
      try {
        for (const m of missingInTemplate(text, root, HELPER_NAMES)) say(file, m.line, m.col, m.expr, m);
      } catch (e) {
        const { line, col, detail } = syntaxError(e as Error);
        out.push({ field: `${file}:${line}`, error: new InputError(file, line, col, "", `template error: ${detail}`) });
      }
    }
  }
  return out;
}

/** Position and gist of a handlebars parse/compile error ("Parse error on line 2: … Expecting 'OPEN_ENDBLOCK', got 'EOF'"). */
function syntaxError(e: Error & { hash?: { loc?: { first_line?: number; first_column?: number } }; lineNumber?: number; column?: number }): { line: number; col: number; detail: string } {
  const lines = e.message.split("\n");
  const line = e.lineNumber ?? e.hash?.loc?.first_line ?? Number(/line (\d+)/.exec(lines[0])?.[1] ?? 1);
  const col = (e.column ?? e.hash?.loc?.first_column ?? 0) + 1;
  const expecting = lines.find((l) => /^Expecting /.test(l));
  return { line, col, detail: expecting ? `${lines[0].replace(/:$/, "")}: ${expecting}` : lines[0] };
}
