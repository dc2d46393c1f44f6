/**
 * Synthesize environments' stacks in-process into a directory of our choosing (what main.ts
 * does for cdktf.out/), and hand back each stack's Terraform JSON: the input of
 * terraform/validate.ts for `multitier validate` and the terraform-validate test.
 */
import * as fs from "fs";
import * as path from "path";
import { App } from "../stacks/cdk";
import type { Environment } from "../config/environment";
import { EnvironmentStack } from "../stacks/environment-stack";

export function synthStacks(envs: Environment[], outdir: string): { name: string; json: Record<string, any> }[] {
  const app = new App({ outdir });
  for (const env of envs) new EnvironmentStack(app, env.name, { env });
  app.synth();
  return envs.map((env) => ({ name: env.name, json: JSON.parse(fs.readFileSync(path.join(outdir, "stacks", env.name, "cdk.tf.json"), "utf8")) }));
}
