/**
 * Running the machine's tools (ip, losetup, nsenter, ssh-keygen) for the lab, with errors
 * that say which command failed and what it printed.
 *
 *   sh("losetup", ["-f", "--show", img])            → stdout (throws on non-zero exit)
 *   await run("bash", [script], { env, input })      → stdout, asynchronously
 *   ipBatch(["link set lo up"], "mtlab-bastion")     → one `ip -n NS -batch -` process
 */
import { execFileSync, spawn } from "child_process";

export class CommandError extends Error {}

function describe(cmd: string, args: string[], code: number | null, stderr: string): string {
  const err = stderr.trim().split("\n").slice(-3).join(" | ");
  return `lab: ${cmd} ${args.join(" ").slice(0, 160)} failed (exit ${code}): ${err || "no message"}`;
}

export function sh(cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
  } catch (e) {
    const x = e as { status: number | null; stderr?: string };
    throw new CommandError(describe(cmd, args, x.status, x.stderr ?? String(e)));
  }
}

/** like sh, but an error is swallowed (for teardown of things that may be gone already) */
export function shQuiet(cmd: string, args: string[], input?: string): boolean {
  try {
    execFileSync(cmd, args, { input, stdio: ["pipe", "ignore", "ignore"] });
    return true;
  } catch {
    return false;
  }
}

/** `onStderr`: each line of stderr as it comes (progress of a long build) */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; onStderr?: (line: string) => void } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    let partial = "";
    child.stderr.on("data", (d) => {
      err += d;
      if (!opts.onStderr) return;
      const lines = (partial + d).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) opts.onStderr(l);
    });
    child.on("error", (e) => reject(new CommandError(describe(cmd, args, null, e.message))));
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new CommandError(describe(cmd, args, code, err)))));
    child.stdin.on("error", () => undefined); // a tool that exits without reading its input
    child.stdin.end(opts.input ?? "");
  });
}

/** `ip [-n ns] -batch -`: many ip commands for the price of one process */
export function ipBatch(lines: string[], ns?: string): void {
  if (lines.length) sh("ip", [...(ns ? ["-n", ns] : []), "-batch", "-"], lines.join("\n") + "\n");
}

export function ipBatchAsync(lines: string[], ns?: string): Promise<string> {
  return run("ip", [...(ns ? ["-n", ns] : []), "-batch", "-"], { input: lines.join("\n") + "\n" });
}
