/**
 * The generic command reader: what a read-only command prints and its exit status (`show`,
 * `unless` guards). Anything more specific has its own reader that parses the output.
 */
import type { ShResult } from "../agent/protocol";
import { shAnswer } from "./parse";
import type { Reader } from "./types";

export const output: Reader<{ script: string; user?: string; cwd?: string; timeout?: number }, ShResult> = {
  name: "output",
  doc: "a read-only command's rc, stdout and stderr",
  native: false,
  op: (a) => ({ op: "sh", script: a.script, ...(a.user ? { user: a.user } : {}), ...(a.cwd ? { cwd: a.cwd } : {}), ...(a.timeout ? { timeout: a.timeout } : {}) }),
  read: (r, what) => shAnswer(r, what),
};
