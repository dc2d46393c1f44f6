/**
 * Synthesize the working tree once: `make synth` (or `make plan`'s synth step) has just written
 * cdktf.out/stacks/<env>/cdk.tf.json, and `policy` / `review --synth-diff` read those stacks
 * instead of synthesizing the same thing again — when every stack they need is there and newer
 * than every input of the synthesis (main.ts, cdktf.json, package-lock.json, the .ts files under
 * stacks/ and config/, the environment files under hosts/). Anything newer, missing or synthesized
 * elsewhere ($MULTITIER_HOSTS_DIR, $CDKTF_OUTDIR) means a fresh synthesis, as before.
 */
import * as fs from "fs";
import * as path from "path";
import { environmentNameFromFile } from "../config/environment";
import { listEnvironmentFiles, loadEnvironmentFile } from "../config/load";
import { synthesize, type StackJson } from "./synth";

/** The newest mtime (ms) of the files the app's synthesis reads in `repo`. */
export function newestInput(repo: string): number {
  let newest = 0;
  const see = (f: string) => {
    try {
      newest = Math.max(newest, fs.statSync(f).mtimeMs);
    } catch {
      /* an optional input that is not there */
    }
  };
  const walk = (dir: string, keep: (name: string) => boolean) => {
    if (!fs.existsSync(dir)) return;
    see(dir); // a file added or removed
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p, keep);
      else if (keep(e.name)) see(p);
    }
  };
  for (const f of ["main.ts", "cdktf.json", "package-lock.json"]) see(path.join(repo, f));
  for (const d of ["stacks", "config"]) walk(path.join(repo, d), (n) => n.endsWith(".ts"));
  walk(path.join(repo, "hosts"), (n) => /\.ya?ml$/.test(n));
  return newest;
}

/**
 * The stacks `names` as cdktf.out holds them when that output is newer than every input, else
 * undefined. Only the stacks asked for are read (a stack of a removed environment may linger).
 */
export function reusableStacks(repo: string, names: string[]): Record<string, StackJson> | undefined {
  if (process.env.CDKTF_OUTDIR || (process.env.MULTITIER_HOSTS_DIR && path.resolve(process.env.MULTITIER_HOSTS_DIR) !== path.resolve(repo, "hosts"))) return undefined;
  const out = path.join(repo, "cdktf.out");
  const files = names.map((n) => path.join(out, "stacks", n, "cdk.tf.json"));
  const newest = newestInput(repo);
  for (const f of files) if (!fs.existsSync(f) || fs.statSync(f).mtimeMs <= newest) return undefined;
  return Object.fromEntries(names.map((n, i) => [n, JSON.parse(fs.readFileSync(files[i], "utf8")) as StackJson]));
}

/**
 * The working tree's stacks: cdktf.out's when fresh (said on stderr), else one synthesis.
 * `synth` is the synthesis to run (tests count its calls).
 */
export function workingTreeStacks(repo: string, names: string[], synth: typeof synthesize = synthesize): Record<string, StackJson> {
  const reused = reusableStacks(repo, names);
  if (reused) {
    process.stderr.write(`(using the stacks in cdktf.out: synthesized after the last change to their inputs)\n`);
    return reused;
  }
  return synth(repo, "the working tree");
}

/** The stacks main.ts makes from `hostsDir`: one per environment file that is not a lab's. */
export function stackNames(hostsDir: string): string[] {
  return listEnvironmentFiles(hostsDir)
    .filter((f) => loadEnvironmentFile(f).platform !== "lab")
    .map((f) => environmentNameFromFile(f));
}
