/**
 * `multitier review --synth-diff <base-ref>`: what a change does to the infrastructure, with
 * no cloud credentials. Synthesize the base ref (in a temporary git worktree that borrows
 * this checkout's node_modules) and the working tree (or reuse cdktf.out when it is up to date), then turn the difference into a
 * plan-shaped list of changes the same report renders (stack-diff.ts: resources, moves,
 * cascading replacements, data sources, outputs, provider configuration and backend).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { TerraformPlan } from "./read";
import { diffStacks } from "./stack-diff";
import { checkEnvironmentFiles, synthesize } from "./synth";
import { stackNames, workingTreeStacks } from "./synth-reuse";

export { diffStacks };

/** Synthesize `baseRef` in a temporary worktree and the working tree; always removes the worktree. */
export function synthDiff(baseRef: string, repo = process.cwd()): TerraformPlan {
  checkEnvironmentFiles(repo === process.cwd() ? undefined : path.join(repo, "hosts")); // the working tree's files first, as validate says it
  const wt = fs.mkdtempSync(path.join(os.tmpdir(), "mt-base-"));
  fs.rmdirSync(wt);
  try {
    execFileSync("git", ["-C", repo, "worktree", "add", "--detach", "--quiet", wt, baseRef], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    throw new Error(`cannot check out ${baseRef}: ${String((e as any).stderr ?? (e as Error).message).trim().split("\n")[0]}`);
  }
  try {
    fs.symlinkSync(path.join(repo, "node_modules"), path.join(wt, "node_modules"));
    // the working tree: what `make synth` just wrote when it is newer than every input (synth-reuse.ts)
    return diffStacks(synthesize(wt, baseRef), workingTreeStacks(repo, stackNames(path.join(repo, "hosts"))));
  } finally {
    execFileSync("git", ["-C", repo, "worktree", "remove", "--force", wt], { stdio: "ignore" });
    fs.rmSync(wt, { recursive: true, force: true });
  }
}
