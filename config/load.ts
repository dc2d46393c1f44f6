/**
 * Read and validate `hosts/<env>.yaml`. Order of checks: YAML syntax (incl. duplicate keys),
 * schema (types, unknown keys with did-you-mean), then semantic checks (validate.ts).
 * All problems come back as one-line InputErrors sorted by position; `loadEnvironment`
 * throws them as one EnvironmentErrors.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { InputError, InputErrors } from "./errors";
import { environmentSchema, EnvironmentSpec } from "./schema";
import { didYouMean, semanticErrors } from "./validate";
import { duplicateRuleErrors } from "./rule-duplicates";
import { monitoringErrors } from "./monitoring";
import { loadBalancerErrors } from "./load-balancer";
import { YamlSource } from "./yamlsource";
import { Environment, environmentNameFromFile, expandHosts } from "./environment";
import { retireErrors } from "./retire";

export { InputErrors } from "./errors"; // defined there: the CLI reports it without loading this module

/** The directory holding environment files: $MULTITIER_HOSTS_DIR or ./hosts */
export function hostsDir(): string {
  return process.env.MULTITIER_HOSTS_DIR ?? "hosts";
}

/** Environment files are `<env>.yaml`; `<env>.vault.yml`, known_hosts and outputs live beside them. */
export function listEnvironmentFiles(dir = hostsDir()): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /^[a-z][a-z0-9-]*\.yaml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** What an environment name (file name and `--env`) must look like: it becomes a path under hosts/. */
export const ENV_NAME = /^[a-z][a-z0-9-]*$/;

/** `name` when it is a well-formed environment name; else a one-line error on `--env` (never a path outside hosts/). */
export function checkEnvName(name: string, field = "--env"): string {
  if (!ENV_NAME.test(name))
    throw new InputError("argument", 0, 0, field, `expected an environment name matching ^[a-z][a-z0-9-]*$ (lower-case letters, digits, dashes; the file hosts/<name>.yaml), got ${JSON.stringify(name)}`);
  return name;
}

export function environmentFile(env: string, dir = hostsDir()): string {
  return path.join(dir, `${checkEnvName(env)}.yaml`);
}

/**
 * Files in the hosts directory that look like environment files but whose name is not an
 * environment name (e.g. `Prod_1.yaml`): listEnvironmentFiles skips them, validate refuses them.
 */
export function misnamedEnvironmentFiles(dir = hostsDir()): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && !/\.(vault|outputs|inventory)\.ya?ml$/.test(f) && !/^[a-z][a-z0-9-]*\.yaml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Parse + validate; returns every error found (empty when the file is good). */
export function checkEnvironment(source: YamlSource): { env?: Environment; errors: InputError[] } {
  const syntax = source.syntaxError();
  if (syntax) return { errors: [syntax] };
  const raw = source.value();
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) return { errors: sortErrors(withoutTypoEchoes(parsed.error.issues).map((i) => zodIssueToError(source, i))) };
  const spec = parsed.data;
  const errors: InputError[] = [];
  const expectedName = environmentNameFromFile(source.file);
  if (spec.name !== expectedName) errors.push(source.error(["name"], `expected "${expectedName}" (the file's name), got "${spec.name}"`));
  for (const e of [...semanticErrors(spec), ...duplicateRuleErrors(spec), ...retireErrors(spec), ...monitoringErrors(spec), ...loadBalancerErrors(spec)]) errors.push(source.error(e.path, e.message, e.onKey));
  if (errors.length) return { errors: sortErrors(errors) };
  return { env: { ...spec, file: source.file, hosts: expandHosts(spec) }, errors: [] };
}

export function loadEnvironmentFile(file: string): Environment {
  const { env, errors } = checkEnvironment(YamlSource.read(file));
  if (!env) throw new InputErrors(errors);
  return env;
}

/** Load by environment name from the hosts directory; an unknown name lists the known ones. */
export function loadEnvironment(name: string, dir = hostsDir()): Environment {
  const file = environmentFile(name, dir); // refuses a name that is not ^[a-z][a-z0-9-]*$
  if (!fs.existsSync(file)) {
    const known = listEnvironmentFiles(dir).map(environmentNameFromFile);
    throw new InputError("argument", 0, 0, "--env", `no environment "${name}" (no ${path.relative(process.cwd(), file) || file}); known: ${known.join(", ") || "none"}${didYouMean(name, known)}`);
  }
  return loadEnvironmentFile(file);
}

/**
 * A misspelt required key shows up twice: as an unknown key and as a missing one. Keep only
 * the unknown-key error, which carries the did-you-mean.
 */
function withoutTypoEchoes(issues: z.ZodIssue[]): z.ZodIssue[] {
  const suggested = new Set<string>();
  for (const i of issues)
    if (i.code === "unrecognized_keys")
      for (const k of i.keys) {
        const m = /did you mean "([^"]+)"/.exec(didYouMean(k, allowedKeys(i.path)));
        if (m) suggested.add(JSON.stringify([...i.path, m[1]]));
      }
  return issues.filter((i) => !(i.code === "invalid_type" && i.received === "undefined" && suggested.has(JSON.stringify(i.path))));
}

function sortErrors(errors: InputError[]): InputError[] {
  return errors.sort((a, b) => a.line - b.line || a.col - b.col);
}

function zodIssueToError(source: YamlSource, issue: z.ZodIssue): InputError {
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0];
    const allowed = allowedKeys(issue.path);
    const more = issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).map((k) => `"${k}"`).join(", ")})` : "";
    return source.error([...issue.path, key], `unknown key${more}${didYouMean(key, allowed) || `; expected one of ${allowed.join(", ")}`}`, true);
  }
  if (issue.code === "too_small" && issue.type === "array")
    return source.error(issue.path, `expected at least ${issue.minimum} item(s), got ${issue.minimum === 1 ? "an empty list" : "fewer"}`);
  if (issue.code === "too_small" && issue.type === "string" && issue.minimum === 1)
    return source.error(issue.path, "expected a non-empty string, got \"\"");
  return source.error(issue.path, issue.message);
}

/** Keys an object schema accepts at `path` (for did-you-mean on unknown keys). */
function allowedKeys(p: ReadonlyArray<string | number>): string[] {
  let schema: z.ZodTypeAny = environmentSchema;
  for (const part of p) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) schema = schema.shape[part as string];
    else if (schema instanceof z.ZodRecord) schema = schema.valueSchema;
    else if (schema instanceof z.ZodArray) schema = schema.element;
    if (!schema) return [];
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(s: z.ZodTypeAny): z.ZodTypeAny {
  for (;;) {
    if (s instanceof z.ZodDefault) s = s._def.innerType;
    else if (s instanceof z.ZodOptional) s = s._def.innerType;
    else if (s instanceof z.ZodEffects) s = s._def.schema;
    else return s;
  }
}

export type { EnvironmentSpec };

/** Every problem of one environment file, as `validate` prints them (a file that cannot be read is one). */
export function environmentFileErrors(file: string): InputError[] {
  try {
    return checkEnvironment(YamlSource.read(file)).errors;
  } catch (e) {
    if (e instanceof InputError) return [e];
    throw e;
  }
}
