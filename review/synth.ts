/**
 * Synthesize the stacks of a checkout into a directory and read every stack's JSON. Used to
 * review a change without cloud credentials (synth diff) and by the policy checks.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputError } from "../config/errors";
import { environmentFileErrors, hostsDir, InputErrors, listEnvironmentFiles } from "../config/load";

export type StackJson = { resource?: Record<string, Record<string, any>>; terraform?: any; output?: any; data?: any };

/**
 * The environment files of the working tree, checked as `validate` checks them: a broken one
 * stops policy and review with the same one-line errors (and exit code) instead of a failed
 * synth command.
 */
export function checkEnvironmentFiles(dir = hostsDir()): void {
  const errors: InputError[] = listEnvironmentFiles(dir).flatMap(environmentFileErrors);
  if (errors.length) throw new InputErrors(errors);
}

/** Run the app of `checkout` (main.ts) into a fresh output dir; returns stack name -> JSON. */
export function synthesize(checkout: string, label = checkout): Record<string, StackJson> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "mt-synth-"));
  try {
    try {
      execFileSync(process.execPath, ["--import", "tsx", "main.ts"], {
        cwd: checkout,
        env: { ...process.env, CDKTF_OUTDIR: out, CHECKPOINT_DISABLE: "1", MULTITIER_HOSTS_DIR: path.join(checkout, "hosts") },
        stdio: ["ignore", "ignore", "pipe"],
      });
    } catch (e) {
      // main.ts prints one line per problem: pass the first on, not the command line
      const said = String((e as { stderr?: Buffer }).stderr ?? "").trim().split("\n").filter(Boolean);
      throw new Error(`synthesis of ${label} failed${said.length ? `: ${said[0]}${said.length > 1 ? ` (and ${said.length - 1} more line(s))` : ""}` : ""}`);
    }
    return readStacks(out);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

export function readStacks(outdir: string): Record<string, StackJson> {
  const stacks: Record<string, StackJson> = {};
  const dir = path.join(outdir, "stacks");
  if (!fs.existsSync(dir)) return stacks;
  for (const name of fs.readdirSync(dir)) {
    const f = path.join(dir, name, "cdk.tf.json");
    if (fs.existsSync(f)) stacks[name] = JSON.parse(fs.readFileSync(f, "utf8"));
  }
  return stacks;
}
