/**
 * One task on one host, one way: the executor and both test harnesses (test/modules,
 * test/storage) run every task through this file, so what a test proves about a module is
 * what a deploy does with it.
 *
 *   parseArgs    `{{ }}` rendered in every string argument (strict), then the module's schema
 *   prepareTask  the module's optional `prepare` (e.g. a template rendered once), whose result
 *                `probe` and `plan` receive: one record per task, nothing kept on the side
 *   runTask      probe (unless the caller batched it) → plan → apply (not in --check) →
 *                verify; the apply may carry the next task's probe in the same round trip
 */
import type { Op, OpResult } from "./agent/protocol";
import { AgentLostError, type AgentClient } from "./agent/client";
import { SecretRefusedError } from "./agent/guard";
import type { Module, Plan, TaskContext } from "./modules/types";
import type { Dial } from "./health";
import { outputTail } from "./facts/parse";
import { render } from "./template";
import { InputError } from "../config/errors";

/** Where a task's arguments stand (a playbook's file:line:col and field), for one-line errors. */
export interface ArgsWhere {
  file: string;
  line: number;
  col: number;
  field: string;
}

/** A task ready to run: its module, parsed arguments, context and what `prepare` made. */
export interface PreparedTask<A = unknown, P = unknown> {
  module: Module<A, P>;
  args: A;
  ctx: TaskContext;
  prepared: P;
}

export interface TaskOutcome {
  plan: Plan;
  /** what the host answered to the apply ops (when they were sent) */
  applied?: OpResult[];
  /** why the apply did not work (verify's message, masked); undefined = it worked */
  problem?: string;
  /** answers to `alsoProbe`, sent with the apply */
  next?: OpResult[];
}

/** Bad arguments: with `where` a playbook InputError (file:line:col field), else "<module>.<path>: message". */
export class ArgsError extends Error {}

/** Render `{{ }}` in string arguments (strict), then let the module's schema apply defaults. */
export function parseArgs<A>(module: Module<A, unknown>, raw: unknown, vars: Record<string, unknown>, where?: ArgsWhere): A {
  const walk = (v: unknown, field: string): unknown => {
    if (typeof v === "string" && v.includes("{{")) return render({ inline: v, ...(where ? { where: { ...where, field: `${where.field}.${field}` } } : {}) }, vars);
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${field}[${i}]`));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, `${field}.${k}`)]));
    return v;
  };
  const parsed = module.args.safeParse(walk(raw, module.name));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (where) throw new InputError(where.file, where.line, where.col, `${where.field}.${module.name}.${issue.path.join(".")}`, issue.message);
  throw new ArgsError(`${module.name}.${issue.path.join(".")}: ${issue.message}`);
}

/** The record a task runs from; `prepare` throws (a bad template …) before anything is sent. */
export function prepareTask<A, P>(module: Module<A, P>, args: A, ctx: TaskContext): PreparedTask<A, P> {
  const prepared = (module.prepare ? module.prepare(args, ctx) : undefined) as P;
  return { module, args, ctx, prepared };
}

/** The task's probe ops (a probe that throws sends nothing; `plan` then reports the problem). */
export function probeOps(t: PreparedTask): Op[] {
  try {
    return t.module.probe(t.args, t.ctx, t.prepared);
  } catch {
    return [];
  }
}

/** The module's plan from what the probes saw; a plan that throws is a failed plan. */
export function planTask(t: PreparedTask, seen: OpResult[]): Plan {
  try {
    return t.module.plan(t.args, seen, t.ctx, t.prepared);
  } catch (e) {
    return { status: "failed", msg: oneLine(e) };
  }
}

/** Nothing to ask (tasks without probes, e.g. a handler that always runs): no round trip. */
export function callUnlessEmpty(agent: AgentClient, ops: Op[]): Promise<OpResult[]> {
  return ops.length ? agent.call(ops) : Promise.resolve([]);
}

/**
 * Run one prepared task. `seen`: its probe results when the caller batched them; `alsoProbe`:
 * ops sent with the apply (the next task's probe); `afterChanges`: under --check, an earlier
 * task on this host would have changed something, so a plan failing only for the absence of
 * what that change makes (`plan.pending`) is reported as what it would do. The secret guard's
 * refusal fails the task; a lost agent (AgentLostError) is thrown for the caller to report the
 * host unreachable.
 */
export async function runTask(agent: AgentClient, t: PreparedTask, opts: { seen?: OpResult[]; alsoProbe?: Op[]; afterChanges?: boolean; dial?: Dial } = {}): Promise<TaskOutcome> {
  // a gate run from the controller (`from: controller`): no probe, no apply on the host
  const dial: Dial = opts.dial ?? (() => Promise.reject(new Error("this connection cannot open TCP streams from the controller")));
  const onController = t.module.onController?.(t.args, t.ctx, dial);
  if (onController) return { plan: await onController.catch((e): Plan => ({ status: "failed", msg: t.ctx.mask(oneLine(e)) })) };
  let seen = opts.seen;
  if (!seen) {
    try {
      seen = await callUnlessEmpty(agent, t.module.probe(t.args, t.ctx, t.prepared));
    } catch (e) {
      if (e instanceof AgentLostError) throw e;
      return { plan: uncheckable(t, { status: "failed", msg: t.ctx.mask(oneLine(e)) }, opts.afterChanges) };
    }
  }
  const plan = planTask(t, seen);
  if (plan.status === "failed" && plan.pending && t.ctx.check && opts.afterChanges) return { plan: { status: "changed", msg: t.ctx.mask(`would ${plan.pending}`) } };
  if (plan.status === "failed" && t.ctx.check && opts.afterChanges) return { plan: uncheckable(t, plan, true) };
  if (plan.status !== "changed" || t.ctx.check) return { plan };
  const apply = plan.apply ?? [];
  const also = opts.alsoProbe ?? [];
  let results: OpResult[];
  try {
    results = await agent.call([...apply, ...also]);
  } catch (e) {
    if (e instanceof SecretRefusedError) return { plan, problem: e.message };
    throw e;
  }
  const applied = results.slice(0, apply.length);
  const problem = plan.verify ? plan.verify(applied) : defaultVerify(apply, applied);
  return { plan, applied, problem: problem === undefined ? undefined : t.ctx.mask(problem), next: results.slice(apply.length) };
}

/**
 * Under --check, after an earlier task on this host would have changed something, a task that
 * cannot be checked before that change (its user, package, file or service does not exist yet)
 * is reported as what it would run, with the reason it could not be checked: a first dry run
 * on a fresh host lists every change and exits 0. Anywhere else a failure stays a failure.
 */
function uncheckable(t: PreparedTask, plan: Plan, afterChanges: boolean | undefined): Plan {
  if (!t.ctx.check || !afterChanges || plan.status !== "failed") return plan;
  return { status: "changed", msg: t.ctx.mask(`would run after the earlier changes (cannot be checked before them: ${plan.msg})`) };
}

/** Every op ok and every sh op exit 0; else the last lines of what the command said. */
export function defaultVerify(ops: Op[], results: OpResult[]): string | undefined {
  for (let i = 0; i < ops.length; i++) {
    const r = results[i];
    if (!r) return "no result from the host";
    if (!r.ok) return r.error;
    if (ops[i].op === "sh" && "rc" in r && r.rc !== 0) return `command failed (rc ${r.rc}): ${outputTail(r, 3)}`;
  }
  return undefined;
}

export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n")[0];
}
