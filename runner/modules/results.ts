/**
 * Small helpers shared by the modules: argument schemas every module uses, mode comparison,
 * and the last step of every plan (secrets masked in the message and the diff). Reading what
 * a probe answered is runner/facts/.
 */
import { z } from "zod";
import type { Plan, TaskContext } from "./types";

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

/** Every plan leaves its module through here: no secret in what a person reads. */
export function masked(plan: Plan, ctx: TaskContext): Plan {
  return { ...plan, msg: ctx.mask(plan.msg), ...(plan.diff !== undefined ? { diff: ctx.mask(plan.diff) } : {}) };
}

/** Refuse (before anything is sent) a value that would put a secret on a command line. */
export function noSecretIn(ctx: TaskContext, what: string, ...values: (string | undefined)[]): void {
  if (values.some((v) => v !== undefined && ctx.isSecret(v)))
    throw new Error(`${what} contains a secret value; secrets go on stdin or into a file, never on a command line`);
}
