/**
 * Synthesize an environment's stack once and give tests the raw Terraform JSON. cdktf's
 * Testing.app() makes a temp directory per app and never removes it: these helpers give it one
 * and remove it after the synth (a test run used to leave ~1000 cdktf.outdir.* in /tmp).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Testing, TerraformStack, type Construct } from "../../stacks/cdk";
import { loadEnvironmentFile } from "../../config/load";
import type { Environment } from "../../config/environment";
import { EnvironmentStack } from "../../stacks/environment-stack";

export const ROOT = path.join(__dirname, "..", "..");

export interface Synth {
  env: Environment;
  /** the string cdktf's matchers take */
  text: string;
  json: { resource: Record<string, Record<string, any>>; data: Record<string, Record<string, any>>; output: Record<string, any>; terraform: any };
  /** all resources of one type, as [logicalId, config] */
  of(type: string): [string, any][];
}

/** An app whose output directory is removed once `fn` returns. */
function withApp<T>(fn: (app: ReturnType<typeof Testing.app>) => T): T {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-synth-"));
  try {
    return fn(Testing.app({ outdir }));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Testing.synthScope without the directory it leaves behind. */
export function synthScope(fn: (scope: Construct) => void): string {
  return withApp((app) => {
    const stack = new TerraformStack(app, "stack");
    fn(stack);
    return Testing.synth(stack);
  });
}

export function synthEnv(env: Environment): Synth {
  const text = withApp((app) => Testing.synth(new EnvironmentStack(app, env.name, { env })));
  const json = JSON.parse(text);
  return { env, text, json, of: (type) => Object.entries(json.resource[type] ?? {}) };
}

export function synthFile(name: string): Synth {
  return synthEnv(loadEnvironmentFile(path.join(ROOT, "hosts", `${name}.yaml`)));
}
