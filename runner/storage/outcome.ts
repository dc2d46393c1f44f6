/**
 * Small helpers the storage modules share to read agent results: key=value probe output,
 * and the first failed apply op as one line a person can act on.
 */
import { createTwoFilesPatch } from "diff";
import type { OpResult } from "../agent/protocol";
import { GUARD_EXIT } from "./contents";

/** key=value lines → first value per key */
export function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)=(.*)$/.exec(line);
    if (m && !(m[1] in out)) out[m[1]] = m[2];
  }
  return out;
}

export function stdoutOf(r: OpResult | undefined, what: string): string {
  if (!r) throw new Error(`no answer from the host for ${what}`);
  if (!r.ok) throw new Error(`${what}: ${r.error}`);
  return (r as { stdout?: string }).stdout ?? "";
}

/** The last lines of a command's stderr (or stdout), on one line. */
export function tail(r: OpResult, lines = 2): string {
  if (!r.ok) return r.error;
  const x = r as { stderr?: string; stdout?: string };
  return ((x.stderr || x.stdout || "").trim().split("\n").slice(-lines).join(" | ") || "no output").trim();
}

/**
 * The first apply op that failed, described with `labels[i]` ("luksFormat", "crypttab" …);
 * a guard refusal (exit 65) is reported with its own words, which say nothing was changed.
 */
export function firstFailure(results: OpResult[], labels: string[]): string | undefined {
  for (let i = 0; i < labels.length; i++) {
    const r = results[i];
    if (!r) return `${labels[i]}: no result from the host`;
    if (!r.ok) return `${labels[i]} failed: ${r.error}`;
    const rc = (r as { rc?: number }).rc;
    if (rc === GUARD_EXIT) return tail(r, 1);
    if (rc !== undefined && rc !== 0) return `${labels[i]} failed (exit ${rc}): ${tail(r)}`;
  }
  return undefined;
}

export function fileDiff(path: string, before: string, after: string): string {
  return createTwoFilesPatch(before ? path : "/dev/null", path, before, after, undefined, undefined, { context: 3 });
}
