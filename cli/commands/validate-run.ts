/**
 * What `multitier validate` does (cli/commands/validate.ts registers it): every environment file
 * checked (schema, semantics, removals, the playbooks against it), then terraform validate of
 * the good AWS stacks when terraform is installed. Returns the exit code.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Environment } from "../../config/environment";
import { environmentNameFromFile } from "../../config/environment";
import { InputError } from "../../config/errors";
import { checkRemovals } from "../../config/identities";
import { checkEnvironment, environmentFile, listEnvironmentFiles, misnamedEnvironmentFiles } from "../../config/load";
import { publicKeyFileErrors } from "../../config/public-key-file";
import { YamlSource } from "../../config/yamlsource";
import { listServices, loadPlaybook, playbooksDir, type Playbook } from "../../runner/playbook";
import { readOrder } from "../../runner/order";
import { preflight } from "../../runner/preflight";
import { diagnosticLine, findProviderMirror, providerSetup, terraformVersion, validateStacks } from "../../terraform/validate";
import { EXIT } from "../exit";

export interface ValidateOptions {
  env?: string;
  base: string;
  terraform: boolean;
}

export async function validate(opts: ValidateOptions): Promise<number> {
  const files = opts.env ? [environmentFile(opts.env)] : listEnvironmentFiles();
  let bad = 0;
  if (!opts.env)
    for (const f of misnamedEnvironmentFiles()) {
      process.stderr.write(`${f}: expected a file name <env>.yaml with <env> matching ^[a-z][a-z0-9-]*$ (lower-case letters, digits, dashes)\n`);
      bad++;
    }
  // playbooks/order.yml (the order of deploy all), when there is one
  for (const e of readOrder(playbooksDir(), listServices())?.errors ?? []) {
    process.stderr.write(`${e.message}\n`);
    bad++;
  }
  const good: Environment[] = [];
  const books = new Map<string, Playbook>(); // each playbook parsed once for all environments
  const load = (service: string) => books.get(service) ?? books.set(service, loadPlaybook(service)).get(service)!;
  for (const file of files) {
    let errors: InputError[];
    let env: Environment | undefined;
    let source: YamlSource | undefined;
    try {
      source = YamlSource.read(file);
      ({ env, errors } = checkEnvironment(source));
      // hosts that exist (outputs, git HEAD) and would go with their data: refused unless retired
      if (env) {
        errors = checkRemovals(source, env, opts.base);
        if (errors.length) env = undefined;
      }
    } catch (e) {
      errors = [e as InputError];
    }
    // the playbooks against this environment: plays that match nothing, templates and their variables
    if (env) errors = preflight(env, listServices(), false, load);
    // Terraform's file() reads keyPair.publicKeyFile: said here, at the field, before terraform runs
    if (env && source && opts.terraform && env.platform === "aws") errors = [...errors, ...publicKeyFileErrors(source, env)];
    for (const e of errors) process.stderr.write(`${e.message}\n`);
    if (errors.length) bad++;
    else {
      process.stdout.write(`${file}: ok (${environmentNameFromFile(file)})\n`);
      if (env) good.push(env);
    }
  }
  if (opts.terraform) bad += await terraformStep(good.filter((e) => e.platform === "aws"));
  return bad ? EXIT.badInput : EXIT.ok;
}

/** Run terraform validate on the stacks of `envs`; returns how many stacks it refused. */
async function terraformStep(envs: Environment[]): Promise<number> {
  if (envs.length === 0) return 0;
  const version = terraformVersion();
  if (!version) {
    process.stdout.write("terraform validate: skipped — no `terraform` on PATH (install Terraform ≥ 1.10 to have the AWS provider check the stacks)\n");
    return 0;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "mt-tfvalidate-"));
  try {
    // the operator's own TF_CLI_CONFIG_FILE wins; else a filesystem mirror when one is found
    // (re-pinned to its version); else the registry (the operator's own download, cached)
    const own = !!process.env.TF_CLI_CONFIG_FILE && fs.existsSync(process.env.TF_CLI_CONFIG_FILE);
    const setup = providerSetup({ workDir: work, cacheDir: path.resolve(".cache", "terraform-plugins"), mirror: own ? undefined : findProviderMirror() });
    const { synthStacks } = require("../../terraform/synth") as typeof import("../../terraform/synth"); // cdktf: only when there are stacks to validate
    const stacks = synthStacks(envs, path.join(work, "synth"));
    const results = await validateStacks(stacks, { workDir: path.join(work, "stacks"), setup, parallel: 2 });
    let refused = 0;
    for (const r of results) {
      const file = envs.find((e) => e.name === r.name)!.file;
      if (r.failure) {
        process.stdout.write(`${file}: terraform validate skipped — ${r.failure}\n`);
        continue;
      }
      for (const d of r.diagnostics) process.stderr.write(`${file}: ${diagnosticLine(r.name, d)}\n`);
      if (r.valid) process.stdout.write(`${file}: terraform validate ok (terraform ${version}, ${setup.source})\n`);
      else refused++;
    }
    return refused;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
