/**
 * Small helpers the storage modules share for what their applies answered: the first failed
 * apply op as one line a person can act on, and file diffs. (Reading probe answers is
 * runner/facts/.)
 */
import type { OpResult } from "../agent/protocol";
import { outputTail } from "../facts/parse";
import { GUARD_EXIT } from "./contents";
import { unifiedDiff } from "../unified-diff";

/** The last lines of a command's stderr (or stdout), on one line; a failed op's error. */
export function tail(r: OpResult, lines = 2): string {
  return r.ok ? outputTail(r as { stderr?: string; stdout?: string }, lines) : r.error;
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
  return unifiedDiff(before ? path : "/dev/null", path, before, after, 3);
}
