/** Synthesize an environment's stack once and give tests the raw Terraform JSON. */
import * as path from "path";
import { Testing } from "../../stacks/cdk";
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

export function synthEnv(env: Environment): Synth {
  const app = Testing.app();
  const stack = new EnvironmentStack(app, env.name, { env });
  const text = Testing.synth(stack);
  const json = JSON.parse(text);
  return { env, text, json, of: (type) => Object.entries(json.resource[type] ?? {}) };
}

export function synthFile(name: string): Synth {
  return synthEnv(loadEnvironmentFile(path.join(ROOT, "hosts", `${name}.yaml`)));
}
