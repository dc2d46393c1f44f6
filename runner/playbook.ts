/**
 * Load `playbooks/<service>.yml`: plays, tasks and handlers, every problem reported at its
 * file:line:col before anything is sent to a host (unknown module with did-you-mean, module
 * arguments checked by the module's own schema, `when` expressions compiled, `notify` names
 * resolved, template files present).
 */
import * as fs from "fs";
import * as path from "path";
import Jexl from "jexl";
import { z } from "zod";
import { InputError, fieldPath } from "../config/errors";
import { didYouMean } from "../config/validate";
import { YamlSource } from "../config/yamlsource";
import { argumentNames } from "./modules/reference";
import { modules } from "./modules";
import type { Module } from "./modules/types";
import { templatesDir } from "./template";
import { maxFailSchema, serialSchema, type SerialItem } from "./rollout";
import { ORDER_FILE } from "./order";

export interface Where {
  file: string;
  line: number;
  col: number;
  field: string;
}

export interface Task {
  name: string;
  module: Module;
  moduleName: string;
  args: Record<string, unknown>;
  when?: string;
  /** jexl expression giving a list: the task runs once per item, with `item` set */
  loop?: string;
  notify: string[];
  tags: string[];
  /** undefined: follow --check; false: always run for real; true: always check */
  checkMode?: boolean;
  become?: boolean;
  vars: Record<string, unknown>;
  where: Where;
}

export interface Play {
  name: string;
  hosts: string;
  become: boolean;
  vars: Record<string, unknown>;
  tags: string[];
  tasks: Task[];
  /** run after the handlers the tasks notified (Ansible's post_tasks): health gates go here */
  postTasks?: Task[];
  handlers: Task[];
  /** rolling deploy: batches of the play's hosts (runner/rollout.ts); undefined: all at once */
  serial?: SerialItem[];
  /** a batch with more failed hosts than this percentage stops the rollout (default with serial: any) */
  maxFailPercentage?: number;
  /** `balancer: drain`: each batch leaves the load balancer before its change, and returns after it passed (runner/balancer/) */
  balancer?: "drain";
  where: Where;
}

export interface Playbook {
  file: string;
  service: string;
  plays: Play[];
}

export const jexl = new Jexl.Jexl();
// `loop: "host.volumes|keys"` — the few transforms playbooks need
jexl.addTransform("keys", (o: unknown) => (o && typeof o === "object" ? Object.keys(o) : []));
jexl.addTransform("values", (o: unknown) => (o && typeof o === "object" ? Object.values(o) : []));

export function playbooksDir(): string {
  return process.env.MULTITIER_PLAYBOOKS_DIR ?? "playbooks";
}

export function listServices(dir = playbooksDir()): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    // `_name.yml` files hold shared tasks (import_tasks), order.yml the order of `deploy all`: not services
    .filter((f) => f.endsWith(".yml") && f !== "common.yml" && f !== ORDER_FILE && !f.startsWith("_"))
    .map((f) => f.replace(/\.yml$/, ""))
    .sort();
}

const TASK_KEYS = ["name", "when", "loop", "notify", "tags", "check_mode", "become", "vars"];
const PLAY_KEYS = ["name", "hosts", "become", "vars", "tasks", "post_tasks", "handlers", "tags", "serial", "max_fail_percentage", "balancer"];

const str = (what: string) => z.string({ errorMap: (_i, c) => ({ message: `expected ${what}, got ${JSON.stringify(c.data) ?? "nothing"}` }) }).min(1);
/** `tags: web` or `tags: [web, restart]`; anything else says what was expected and what came */
const strList = z
  .unknown()
  .refine((v) => typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string")), (v) => ({
    message: `expected a tag or a list of tags (strings, e.g. [web, restart]), got ${Array.isArray(v) ? "a list with a non-string item" : (JSON.stringify(v) ?? "nothing")}`,
  }))
  .transform((v) => (Array.isArray(v) ? (v as string[]) : [v as string]));

export function loadPlaybook(service: string, dir = playbooksDir()): Playbook {
  const file = path.join(dir, `${service}.yml`);
  // `_name.yml` holds tasks for import_tasks and `common.yml` runs before every service: neither is one
  const notService = service.startsWith("_") ? `${file} holds tasks that playbooks import`
    : `${service}.yml` === ORDER_FILE ? `${file} holds the order of deploy all`
    : !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(service) && service !== "common" ? "expected a playbook name"
    : undefined;
  if (notService) throw new InputError("argument", 0, 0, "service", `"${service}" is not a service (${notService}); services: ${listServices(dir).join(", ") || "none"}`);
  if (!fs.existsSync(file)) {
    const known = listServices(dir);
    throw new InputError("argument", 0, 0, "service", `no service "${service}" (no ${file}); known: ${known.join(", ") || "none"}${didYouMean(service, known)}`);
  }
  return parsePlaybook(YamlSource.read(file), service);
}

export function parsePlaybook(src: YamlSource, service: string): Playbook {
  const syntax = src.syntaxError();
  if (syntax) throw syntax;
  const raw = src.value();
  if (!Array.isArray(raw)) throw src.error([], "expected a list of plays");
  const plays = raw.map((p, i) => parsePlay(src, p, [i]));
  return { file: src.file, service, plays };
}

function where(src: YamlSource, p: ReadonlyArray<string | number>, keyOnly = false): Where {
  const [line, col] = src.positionOf(p, keyOnly);
  return { file: src.file, line, col, field: fieldPath(p) };
}

function check<T>(src: YamlSource, p: (string | number)[], schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw src.error([...p, ...issue.path], issue.message);
  }
  return r.data;
}

function parsePlay(src: YamlSource, raw: unknown, p: (string | number)[]): Play {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw src.error(p, "expected a play (a mapping with name, hosts and tasks)");
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!PLAY_KEYS.includes(k)) throw src.error([...p, k], `unknown play key${didYouMean(k, PLAY_KEYS) || `; expected one of ${PLAY_KEYS.join(", ")}`}`, true);
  const name = check(src, [...p, "name"], str("a play name"), o.name);
  const hosts = check(src, [...p, "hosts"], str("a tier, host name, glob or all"), o.hosts);
  const become = check(src, [...p, "become"], z.boolean({ errorMap: () => ({ message: "expected true or false" }) }).default(true), o.become);
  const vars = check(src, [...p, "vars"], z.record(z.unknown(), { errorMap: () => ({ message: "expected a mapping of variables" }) }).default({}), o.vars);
  const tags = check(src, [...p, "tags"], strList.default([]), o.tags);
  if (!Array.isArray(o.tasks)) throw src.error([...p, "tasks"], "expected a list of tasks");
  const handlerList = o.handlers === undefined ? [] : o.handlers;
  if (!Array.isArray(handlerList)) throw src.error([...p, "handlers"], "expected a list of handlers");
  const handlers = handlerList.map((t, i) => parseTask(src, t, [...p, "handlers", i]));
  const tasks = o.tasks.flatMap((t, i) => importOrParse(src, t, [...p, "tasks", i]));
  if (o.post_tasks !== undefined && !Array.isArray(o.post_tasks)) throw src.error([...p, "post_tasks"], "expected a list of tasks (they run after the handlers: health gates)");
  const postTasks = ((o.post_tasks ?? []) as unknown[]).flatMap((t, i) => importOrParse(src, t, [...p, "post_tasks", i]));
  const serial = o.serial === undefined ? undefined : check(src, [...p, "serial"], serialSchema, o.serial);
  const maxFailPercentage = o.max_fail_percentage === undefined ? undefined : check(src, [...p, "max_fail_percentage"], maxFailSchema, o.max_fail_percentage);
  const balancer =
    o.balancer === undefined ? undefined : check(src, [...p, "balancer"], z.literal("drain", { errorMap: (_i, c) => ({ message: `expected drain (take each batch out of the load balancer during its change), got ${JSON.stringify(c.data) ?? "nothing"}` }) }), o.balancer);
  const handlerNames = handlers.map((h) => h.name);
  for (const t of [...tasks, ...postTasks])
    for (const n of t.notify)
      if (!handlerNames.includes(n)) throw new InputError(t.where.file, t.where.line, t.where.col, `${t.where.field}.notify`, `no handler named "${n}" in this play${didYouMean(n, handlerNames)}`);
  return { name, hosts, become, vars, tags, tasks, postTasks, handlers, serial, maxFailPercentage, balancer, where: where(src, p) };
}

/**
 * `- import_tasks: _shared.yml` splices the task list of playbooks/_shared.yml here (static,
 * at load time, with positions pointing into that file).
 */
function importOrParse(src: YamlSource, raw: unknown, p: (string | number)[], depth = 0): Task[] {
  if (!raw || typeof raw !== "object" || !("import_tasks" in (raw as object))) return [parseTask(src, raw, p)];
  const o = raw as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !["import_tasks", "name", "vars", "when"].includes(k));
  if (extra.length) throw src.error([...p, extra[0]], "import_tasks takes only name, vars and when (put tags on the imported tasks)", true);
  const when = o.when === undefined ? undefined : check(src, [...p, "when"], z.union([z.string(), z.boolean()]).transform(String), o.when);
  const vars = check(src, [...p, "vars"], z.record(z.unknown(), { errorMap: () => ({ message: "expected a mapping of variables" }) }).default({}), o.vars);
  const name = check(src, [...p, "import_tasks"], str("a file under playbooks/, such as _volumes.yml"), o.import_tasks);
  const file = path.join(path.dirname(src.file), name);
  if (!fs.existsSync(file)) throw src.error([...p, "import_tasks"], `${file} not found`);
  if (depth > 5) throw src.error([...p, "import_tasks"], "imports nested too deep (a cycle?)");
  const inner = YamlSource.read(file);
  const syntax = inner.syntaxError();
  if (syntax) throw syntax;
  const list = inner.value();
  if (!Array.isArray(list)) throw inner.error([], "expected a list of tasks");
  return list
    .flatMap((t, i) => importOrParse(inner, t, [i], depth + 1))
    .map((t) => ({ ...t, vars: { ...vars, ...t.vars }, when: when === undefined ? t.when : t.when === undefined ? when : `(${when}) && (${t.when})` }));
}

/**
 * Module arguments are checked at load time; a value that is a template ("{{mongod_user}}")
 * can only be checked once rendered for a host, so issues on such values wait until then.
 */
function checkArgs(src: YamlSource, p: (string | number)[], module: Module, raw: unknown): Record<string, unknown> {
  const r = module.args.safeParse(raw);
  if (r.success) return r.data as Record<string, unknown>;
  const templated = (path: (string | number)[]): boolean => {
    let v: unknown = raw;
    for (const part of path) {
      if (typeof v === "string") break;
      v = (v as any)?.[part];
    }
    return typeof v === "string" && v.includes("{{");
  };
  const issue = r.error.issues.find((i) => !templated(i.path));
  if (issue?.code === "unrecognized_keys") {
    // zod says "Unrecognized key(s) in object: 'x'": name the key where it stands, and what fits
    const key = issue.keys[0];
    const allowed = issue.path.length === 0 ? argumentNames(module.args) : [];
    const hint = didYouMean(key, allowed) || (allowed.length ? `; expected one of ${allowed.join(", ")}` : "");
    throw src.error([...p, ...issue.path, key], `unknown argument of ${module.name}${hint}`, true);
  }
  if (issue) throw src.error([...p, ...issue.path], issue.message);
  return (raw ?? {}) as Record<string, unknown>;
}

function parseTask(src: YamlSource, raw: unknown, p: (string | number)[]): Task {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw src.error(p, "expected a task (a mapping with name and one module)");
  const o = raw as Record<string, unknown>;
  const name = check(src, [...p, "name"], str("a task name"), o.name);
  const moduleKeys = Object.keys(o).filter((k) => !TASK_KEYS.includes(k));
  const known = Object.keys(modules);
  if (moduleKeys.length === 0) throw src.error(p, `expected one module (${known.join(", ")}), got none`);
  for (const k of moduleKeys)
    if (!modules[k]) throw src.error([...p, k], `unknown module or task key${didYouMean(k, [...known, ...TASK_KEYS]) || `; modules: ${known.join(", ")}`}`, true);
  if (moduleKeys.length > 1) throw src.error([...p, moduleKeys[1]], `expected one module per task, got ${moduleKeys.join(" and ")}`, true);
  const moduleName = moduleKeys[0];
  const module = modules[moduleName];
  const rawArgs = o[moduleName] ?? {};
  const args = checkArgs(src, [...p, moduleName], module, rawArgs);
  if (moduleName === "template" && typeof args.src === "string" && !args.src.includes("{{")) {
    const tf = path.join(templatesDir(), args.src);
    if (!fs.existsSync(tf)) throw src.error([...p, moduleName, "src"], `template ${tf} not found`);
  }
  let when: string | undefined;
  if (o.when !== undefined) {
    when = check(src, [...p, "when"], z.union([z.string(), z.boolean()]).transform(String), o.when);
    try {
      jexl.compile(when);
    } catch (e) {
      throw src.error([...p, "when"], `expected an expression such as "env.network.ipv6 && facts.pkgManager == 'apt'": ${(e as Error).message}`);
    }
  }
  let loop: string | undefined;
  if (o.loop !== undefined) {
    loop = check(src, [...p, "loop"], z.string({ errorMap: () => ({ message: 'expected an expression giving a list, such as "host.volumes|keys"' }) }), o.loop);
    try {
      jexl.compile(loop);
    } catch (e) {
      throw src.error([...p, "loop"], `expected an expression giving a list, such as "host.volumes|keys": ${(e as Error).message}`);
    }
  }
  return {
    name,
    module,
    moduleName,
    args: rawArgs as Record<string, unknown>,
    when,
    loop,
    notify: check(src, [...p, "notify"], strList.default([]), o.notify),
    tags: check(src, [...p, "tags"], strList.default([]), o.tags),
    checkMode: check(src, [...p, "check_mode"], z.boolean().optional(), o.check_mode),
    become: check(src, [...p, "become"], z.boolean().optional(), o.become),
    vars: check(src, [...p, "vars"], z.record(z.unknown()).default({}), o.vars),
    where: where(src, p),
  };
}
