/** Narrow agent results for modules: a failed op becomes an Error with its message. */
import type { OpResult, ShResult, StatResult } from "../agent/protocol";

export function asStat(r: OpResult | undefined, what: string): StatResult {
  if (!r) throw new Error(`no answer from the host for ${what}`);
  if (!r.ok) throw new Error(`${what}: ${r.error}`);
  return r as unknown as StatResult;
}

export function asSh(r: OpResult | undefined, what: string): ShResult {
  if (!r) throw new Error(`no answer from the host for ${what}`);
  if (!r.ok) throw new Error(`${what}: ${r.error}`);
  return r as unknown as ShResult;
}

/** Octal mode strings compare as numbers: "644" == "0644". */
export function sameMode(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || parseInt(a, 8) === parseInt(b, 8);
}

export function normMode(m: string | undefined): string | undefined {
  return m === undefined ? undefined : "0" + parseInt(m, 8).toString(8).padStart(3, "0");
}
