/**
 * Synthesize the stacks of a checkout into a directory and read every stack's JSON. Used to
 * review a change without cloud credentials (synth diff) and by the policy checks.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export type StackJson = { resource?: Record<string, Record<string, any>>; terraform?: any; output?: any; data?: any };

/** Run the app of `checkout` (main.ts) into a fresh output dir; returns stack name -> JSON. */
export function synthesize(checkout: string): Record<string, StackJson> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "mt-synth-"));
  try {
    execFileSync(process.execPath, ["--import", "tsx", "main.ts"], {
      cwd: checkout,
      env: { ...process.env, CDKTF_OUTDIR: out, CHECKPOINT_DISABLE: "1", MULTITIER_HOSTS_DIR: path.join(checkout, "hosts") },
      stdio: ["ignore", "ignore", "pipe"],
    });
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
