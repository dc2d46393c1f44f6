/**
 * Small helpers shared by the modules: narrowing agent results (a failed op becomes an Error
 * with its message), argument schemas every module uses, and the last step of every plan
 * (secrets masked in the message and the diff).
 */
import { z } from "zod";
import type { AccountResult, CrontabResult, OpResult, ShResult, StatResult } from "../agent/protocol";
import type { Plan, TaskContext } from "./types";

/** An op's result as the type its op answers with; a failed op throws "<what>: <error>". */
function answer<T>(r: OpResult | undefined, what: string): T {
  if (!r) throw new Error(`no answer from the host for ${what}`);
  if (!r.ok) throw new Error(`${what}: ${r.error}`);
  return r as unknown as T;
}

export const asStat = (r: OpResult | undefined, what: string) => answer<StatResult>(r, what);
export const asSh = (r: OpResult | undefined, what: string) => answer<ShResult>(r, what);
export const asAccount = (r: OpResult | undefined, what: string) => answer<AccountResult>(r, what);
export const asCrontab = (r: OpResult | undefined, what: string) => answer<CrontabResult>(r, what);

/** Octal mode strings compare as numbers: "644" == "0644". */
export function sameMode(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || parseInt(a, 8) === parseInt(b, 8);
}

export function normMode(m: string | undefined): string | undefined {
  return m === undefined ? undefined : "0" + parseInt(m, 8).toString(8).padStart(3, "0");
}

/**
 * An absolute path on the host. No trailing slash (a file module writing "/etc/app/" would
 * mean a directory), no newline or NUL (they would break the agent's shell steps).
 */
export const absPath = z
  .string()
  .startsWith("/", { message: "expected an absolute path" })
  .refine((p) => p === "/" || !p.endsWith("/"), { message: "expected a path without a trailing slash" })
  .refine((p) => !/[\n\0]/.test(p), { message: "expected a path without newlines" });

/** A user or group name as useradd accepts it (also what is safe to put after `-u`). */
export const userName = z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}\$?$/, "expected a user name");

/** `key=value` lines (what the status probes print) → object; the first `=` splits. */
export function keyValues(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of stdout.split("\n")) {
    const i = l.indexOf("=");
    if (i > 0 && !(l.slice(0, i) in out)) out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

/** Every plan leaves its module through here: no secret in what a person reads. */
export function masked(plan: Plan, ctx: TaskContext): Plan {
  return { ...plan, msg: ctx.mask(plan.msg), ...(plan.diff !== undefined ? { diff: ctx.mask(plan.diff) } : {}) };
}

/** Refuse (before anything is sent) a value that would put a secret on a command line. */
export function noSecretIn(ctx: TaskContext, what: string, ...values: (string | undefined)[]): void {
  if (values.some((v) => v !== undefined && ctx.isSecret(v)))
    throw new Error(`${what} contains a secret value; secrets go on stdin or into a file, never on a command line`);
}
