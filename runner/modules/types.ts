/**
 * What a module is. Modules are pure planners: they never talk to a host themselves.
 *
 *   prepare?(args, ctx)                   -> P     optional local work done once (a template
 *                                                  rendered); throws before anything is sent
 *   probe(args, ctx, prepared)            -> Op[]  state reads, batched with every other task's
 *   plan(args, results, ctx, prepared)    -> Plan  compare desired state with what probes saw
 *
 * runner/task.ts runs one task through these steps; the executor and the test harnesses all
 * use it.
 *
 * The executor sends all probes of a host in one round trip, calls `plan`, and only when the
 * plan says "changed" (and not --check) sends `plan.apply` (again one round trip, together
 * with the re-probes of the tasks that follow). A module that finds nothing to do returns
 * `{ status: "ok", msg: "nothing to do …" }` and nothing is sent.
 *
 * One module per file in runner/modules/, each with a doc comment listing its arguments and
 * an example, and a zod schema for its arguments (errors point at the playbook line).
 */
import type { z } from "zod";
import type { Facts, Op, OpResult } from "../agent/protocol";
import type { Dial } from "../health";

export interface HostVars {
  name: string;
  tier: string;
  privateIp: string;
  ipv6?: string;
  user: string;
  volumes: Record<string, { volumeId?: string; device: string; mountPoint: string; filesystem: string; encryption: string; [k: string]: unknown }>;
}

export interface TaskContext {
  host: HostVars;
  facts: Facts;
  /** all variables visible to this task (env, tier, host, play, task, vault, facts) */
  vars: Record<string, unknown>;
  check: boolean;
  diff: boolean;
  /** the play runs with become (agent is root) */
  become: boolean;
  /** render a template file (templates/<name>) or an inline template string, strict mode */
  render(source: { file?: string; inline?: string }): string;
  /** secrets to keep out of messages/diffs and command lines */
  mask(text: string): string;
  isSecret(text: string): boolean;
  /** per-host, per-run memo (e.g. "apt cache refreshed") */
  runState: Map<string, unknown>;
}

export type PlanStatus = "ok" | "changed" | "failed" | "skipped";

export interface Plan {
  status: PlanStatus;
  /** one line a person reads: "nothing to do", "would write /etc/mongod.conf", the failure … */
  msg: string;
  /** unified diff of files (masked by the executor before printing) */
  diff?: string;
  /**
   * On a failed plan only: the failure is the ABSENCE of something an earlier task makes (a
   * filesystem, an open LUKS mapping, a file, a supervisord program), and this says what the
   * task would do once it exists ("mount /code after its filesystem is made"). Under --check,
   * after an earlier task on the host would have changed something, runTask reports it as a
   * would-be change instead of a failure; in a real run it stays a failure.
   */
  pending?: string;
  /** ops that make the change; run only when status is "changed" and not in check mode */
  apply?: Op[];
  /**
   * Optional check of the apply results (default: every op ok and every sh rc 0).
   * Return a failure message, or undefined when the change worked.
   */
  verify?: (results: OpResult[]) => string | undefined;
}

export interface Module<A = any, P = any> {
  name: string;
  /** one line: what the module does (`multitier modules` shows it with the arguments from `args`) */
  doc: string;
  args: z.ZodType<A, z.ZodTypeDef, unknown>;
  /** local work done once per task before its probe (a bad template fails here, nothing sent) */
  prepare?(args: A, ctx: TaskContext): P;
  probe(args: A, ctx: TaskContext, prepared: P): Op[];
  plan(args: A, results: OpResult[], ctx: TaskContext, prepared: P): Plan;
  /**
   * A health gate (wait_for, http_check): never a change; probed at its own turn, after the
   * changes before it (never batched ahead of them, never carried with an earlier apply).
   */
  gate?: boolean;
  /**
   * Run from the controller rather than on the host (`from: controller`): the executor calls
   * this instead of probing, with a way to open TCP streams through the bastion. Returns
   * undefined when the arguments say the host.
   */
  onController?(args: A, ctx: TaskContext, dial: Dial): Promise<Plan> | undefined;
  /** handlers and tasks that must always act when asked (e.g. service restarted) may still probe */
}

/** Shell-quote one word for /bin/sh (single quotes). */
export function shq(word: string): string {
  return `'${String(word).replace(/'/g, `'\\''`)}'`;
}

export function b64(text: string | Buffer): string {
  return Buffer.from(text).toString("base64");
}

export function unb64(text: string | undefined): Buffer {
  return Buffer.from(text ?? "", "base64");
}
