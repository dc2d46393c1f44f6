/**
 * Start a process and collect what it says: the one spawn-and-collect helper of the lab, the
 * lab-based tests and the benchmarks (each used to write its own).
 *
 *   const c = startChild("bin/multitier.js", ["deploy", "all"], { cwd, env, input: "" });
 *   await c.waitFor(/PLAY RECAP/);          // stdout so far matches
 *   const { code, stdout, stderr, seconds } = await c.done;
 */
import { spawn, type ChildProcessWithoutNullStreams } from "child_process";

export interface ChildResult {
  code: number | null;
  /** the signal that ended it, if one did */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

export interface StartedChild {
  child: ChildProcessWithoutNullStreams;
  /** resolves when the process has exited and its output is closed (never rejects: a start failure is code null) */
  done: Promise<ChildResult & { error?: Error }>;
  /** what it has printed so far */
  output(): { stdout: string; stderr: string };
  /** resolves when stdout so far matches `re`; throws after `ms` with what it printed */
  waitFor(re: RegExp, ms?: number): Promise<void>;
}

/** `onStderr`: each line of stderr as it comes (progress of a long build) */
export function startChild(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; onStderr?: (line: string) => void } = {}): StartedChild {
  const t0 = Date.now();
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let error: Error | undefined;
  child.stdout.on("data", (d) => (stdout += d));
  let partial = "";
  child.stderr.on("data", (d) => {
    stderr += d;
    if (!opts.onStderr) return;
    const lines = (partial + d).split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) opts.onStderr(l);
  });
  child.on("error", (e) => (error = e));
  child.stdin.on("error", () => undefined); // a tool that exits without reading its input
  if (opts.input !== undefined) child.stdin.end(opts.input);
  const done = new Promise<ChildResult & { error?: Error }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, seconds: (Date.now() - t0) / 1000, ...(error ? { error } : {}) })));
  const waitFor = async (re: RegExp, ms = 30_000) => {
    const end = Date.now() + ms;
    while (!re.test(stdout) && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    if (!re.test(stdout)) throw new Error(`never saw ${re} in:\n${stdout}`);
  };
  return { child, done, output: () => ({ stdout, stderr }), waitFor };
}
