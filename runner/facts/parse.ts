/**
 * The parsing every reader shares, once: narrowing an agent answer (a failed op becomes an
 * Error "<what>: <error>"), `key=value` lines (first value, or every value, per key), and the
 * tail of a command's output as one line.
 */
import type { OpResult, ShResult } from "../agent/protocol";

/** An op's answer as the type its op answers with; a failed op throws "<what>: <error>". */
export function answer<T>(r: OpResult | undefined, what: string): T {
  if (!r) throw new Error(`no answer from the host for ${what}`);
  if (!r.ok) throw new Error(`${what}: ${r.error}`);
  return r as unknown as T;
}

export const shAnswer = (r: OpResult | undefined, what: string): ShResult => answer<ShResult>(r, what);

/** `key=value` lines → every value per key, in order (keys: lower-case letters, digits, _). */
export function keyLists(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^([a-z_][a-z0-9_]*)=(.*)$/.exec(line);
    if (m) out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  }
  return out;
}

/** `key=value` lines → the first value per key. */
export function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of keyLists(text)) out[k] = v[0];
  return out;
}

/** The last `lines` lines of a command's stderr (else stdout), on one line. */
export function outputTail(r: { stderr?: string; stdout?: string }, lines = 2): string {
  return ((r.stderr || r.stdout || "").trim().split("\n").slice(-lines).join(" | ") || "no output").trim();
}
