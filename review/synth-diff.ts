/**
 * `multitier review --synth-diff <base-ref>`: what a change does to the infrastructure, with
 * no cloud credentials. Synthesize the base ref (in a temporary git worktree that borrows
 * this checkout's node_modules) and the working tree, then turn the resource-level
 * difference into a plan-shaped list of changes the same report renders. Replacements are
 * predicted from force-new.ts; attributes under `lifecycle.ignore_changes` are ignored.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FORCE_NEW } from "./force-new";
import type { ResourceChange, TerraformPlan } from "./read";
import { checkEnvironmentFiles, synthesize, type StackJson } from "./synth";

function stripMeta(cfg: Record<string, any>): Record<string, any> {
  const { lifecycle: _l, depends_on: _d, "//": _m, provider: _p, ...rest } = cfg ?? {};
  return rest;
}

/** The plan-shaped difference between two sets of synthesized stacks. */
export function diffStacks(base: Record<string, StackJson>, head: Record<string, StackJson>): TerraformPlan {
  const changes: ResourceChange[] = [];
  for (const stack of [...new Set([...Object.keys(base), ...Object.keys(head)])].sort()) {
    const b = base[stack]?.resource ?? {};
    const h = head[stack]?.resource ?? {};
    for (const type of [...new Set([...Object.keys(b), ...Object.keys(h)])].sort()) {
      for (const name of [...new Set([...Object.keys(b[type] ?? {}), ...Object.keys(h[type] ?? {})])].sort()) {
        const before = b[type]?.[name];
        const after = h[type]?.[name];
        const address = `${stack}:${type}.${name}`;
        if (!before) changes.push({ address, type, name, change: { actions: ["create"], before: null, after: stripMeta(after) } });
        else if (!after) changes.push({ address, type, name, change: { actions: ["delete"], before: stripMeta(before), after: null } });
        else {
          const ignored = new Set<string>(after.lifecycle?.ignore_changes ?? []);
          const bb = stripMeta(before);
          const aa = stripMeta(after);
          for (const k of ignored) if (k in bb) aa[k] = bb[k]; // Terraform will not act on these
          const changed = [...new Set([...Object.keys(bb), ...Object.keys(aa)])].filter((k) => JSON.stringify(bb[k]) !== JSON.stringify(aa[k]));
          if (changed.length === 0) continue;
          const forced = changed.filter((k) => FORCE_NEW[type]?.attributes.includes(k));
          changes.push({
            address,
            type,
            name,
            change: { actions: forced.length ? ["delete", "create"] : ["update"], before: bb, after: aa, replace_paths: forced.map((k) => [k]) },
            ...(forced.length ? { action_reason: "replace_because_cannot_update" } : {}),
          });
        }
      }
    }
  }
  return { format_version: "synth-diff", resource_changes: changes };
}

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
    return diffStacks(synthesize(wt, baseRef), synthesize(repo, "the working tree"));
  } finally {
    execFileSync("git", ["-C", repo, "worktree", "remove", "--force", wt], { stdio: "ignore" });
    fs.rmSync(wt, { recursive: true, force: true });
  }
}
