/**
 * Running the machine's tools (ip, losetup, nsenter, ssh-keygen) for the lab, with errors
 * that say which command failed and what it printed.
 *
 *   sh("losetup", ["-f", "--show", img])            → stdout (throws on non-zero exit)
 *   await run("bash", [script], { env, input })      → stdout, asynchronously
 *   ipBatch(["link set lo up"], "mtlab-bastion")     → one `ip -n NS -batch -` process
 */
import { execFileSync } from "child_process";
import { startChild } from "./child";

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
export async function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; onStderr?: (line: string) => void } = {}): Promise<string> {
  const r = await startChild(cmd, args, { env: opts.env, input: opts.input ?? "", onStderr: opts.onStderr }).done;
  if (r.error) throw new CommandError(describe(cmd, args, null, r.error.message));
  if (r.code !== 0) throw new CommandError(describe(cmd, args, r.code, r.stderr));
  return r.stdout;
}

/** `ip [-n ns] -batch -`: many ip commands for the price of one process */
export function ipBatch(lines: string[], ns?: string): void {
  if (lines.length) sh("ip", [...(ns ? ["-n", ns] : []), "-batch", "-"], lines.join("\n") + "\n");
}

export function ipBatchAsync(lines: string[], ns?: string): Promise<string> {
  return run("ip", [...(ns ? ["-n", ns] : []), "-batch", "-"], { input: lines.join("\n") + "\n" });
}
