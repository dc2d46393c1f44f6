/**
 * Rolling deploys, the pure part: how a play's hosts split into batches (`serial`) and when a
 * batch's failures stop the rollout (`max_fail_percentage`), with Ansible's semantics so a
 * playbook reads as an Ansible user expects. The executor (runner/executor.ts) runs the
 * batches; nothing here talks to a host.
 *
 *   serial: 1              one host at a time
 *   serial: "30%"          30% of the play's hosts per batch (rounded down, at least 1)
 *   serial: [1, "50%"]     a first batch of 1, then batches of 50%: the last size repeats
 *   max_fail_percentage: 0..100
 *                          the rollout stops when the failed (or unreachable) hosts of a
 *                          batch are MORE than this percentage of the batch; a batch whose
 *                          every host failed always stops it (Ansible does the same)
 */
import { z } from "zod";

/** One element of `serial`: a count of hosts or a percentage of the play's hosts. */
export type SerialItem = { count: number } | { percent: number };

const SERIAL_EXPECTED = 'expected a positive number of hosts, a percentage such as "30%", or a list of them such as [1, "50%"]';

/** Parse one `serial` element (a number, "3" or "30%"); undefined when it is none of them. */
export function serialItem(v: unknown): SerialItem | undefined {
  if (typeof v === "number") return Number.isInteger(v) && v > 0 ? { count: v } : undefined;
  if (typeof v !== "string") return undefined;
  const m = /^\s*(\d+)\s*(%?)\s*$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2]) return n > 0 && n <= 100 ? { percent: n } : undefined;
  return n > 0 ? { count: n } : undefined;
}

/** The `serial` keyword (a scalar or a non-empty list), as a schema giving SerialItem[]. */
export const serialSchema = z.unknown().transform((v, ctx) => {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${SERIAL_EXPECTED}, got an empty list` });
    return z.NEVER;
  }
  const out: SerialItem[] = [];
  for (let i = 0; i < list.length; i++) {
    const item = serialItem(list[i]);
    if (!item) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${SERIAL_EXPECTED}, got ${JSON.stringify(list[i]) ?? "nothing"}`, path: Array.isArray(v) ? [i] : [] });
      return z.NEVER;
    }
    out.push(item);
  }
  return out;
});

export const maxFailSchema = z.unknown().transform((v, ctx) => {
  const n = typeof v === "string" && /^\s*\d+(\.\d+)?\s*%?\s*$/.test(v) ? Number(v.replace("%", "")) : v;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0 || n > 100) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected a percentage from 0 to 100, got ${JSON.stringify(v) ?? "nothing"}` });
    return z.NEVER;
  }
  return n;
});

/** `--serial 1`, `--serial 30%`, `--serial 1,50%` (the CLI's spelling of a list). */
export function parseSerialFlag(text: string): SerialItem[] {
  const items = text.split(",").map((s) => s.trim());
  const out = items.map(serialItem);
  const bad = out.findIndex((x) => !x);
  if (bad >= 0 || !items.length) throw new Error(`--serial: ${SERIAL_EXPECTED.replace("or a list of them such as [1, \"50%\"]", 'or a comma-separated list such as 1,50%')}, got "${text}"`);
  return out as SerialItem[];
}

/** The batch sizes for `total` hosts (Ansible: percentages of the play's hosts, floored, at least 1). */
export function batchSizes(total: number, serial: SerialItem[] | undefined): number[] {
  if (!serial || serial.length === 0 || total === 0) return total ? [total] : [];
  const sizes: number[] = [];
  let left = total;
  for (let k = 0; left > 0; k = Math.min(k + 1, serial.length - 1)) {
    const s = serial[k];
    const n = "count" in s ? s.count : Math.floor((s.percent / 100) * total) || 1;
    const take = Math.min(n, left);
    sizes.push(take);
    left -= take;
  }
  return sizes;
}

/** The play's hosts, in inventory order, split into batches. */
export function planBatches<T>(hosts: readonly T[], serial: SerialItem[] | undefined): T[][] {
  const out: T[][] = [];
  let i = 0;
  for (const n of batchSizes(hosts.length, serial)) {
    out.push(hosts.slice(i, i + n));
    i += n;
  }
  return out;
}

/**
 * Does this batch stop the rollout? Without max_fail_percentage any failed host does (our
 * default: a health gate that fails on one host must not let the next batch start; Ansible's
 * default stops only when the whole batch failed). With it: more than that percentage of the
 * batch failed, or all of it.
 */
export function batchStops(failed: number, batchSize: number, maxFailPercentage: number | undefined): boolean {
  if (failed === 0 || batchSize === 0) return false;
  if (failed >= batchSize) return true;
  return failed / batchSize > (maxFailPercentage ?? 0) / 100;
}

/** How a rollout is shown: "batch 1/3: webapp; batch 2/3: webapp-2; batch 3/3: webapp-3". */
export function describeBatches(batches: string[][]): string {
  return batches.map((b, i) => `batch ${i + 1}/${batches.length}: ${b.join(", ")}`).join("; ");
}
