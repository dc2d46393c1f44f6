/**
 * Read `terraform show -json <planfile>` output the way it reaches us in practice: plain,
 * preceded by other text (wrappers print banners), one plan per line (Terragrunt), or
 * UTF-16 (PowerShell redirection), with or without a byte-order mark. A state (what
 * `terraform show -json` prints without a plan file) is refused, and so is a plan whose
 * parts are not what Terraform's JSON format documents: one line naming the part and what
 * was expected.
 */
import { z } from "zod";
import { PlanReadError } from "./read-error";
export interface ResourceChange {
  address?: string;
  previous_address?: string;
  mode?: string;
  type: string;
  name?: string;
  index?: unknown;
  change: {
    actions: string[];
    before?: any;
    after?: any;
    after_unknown?: any;
    before_sensitive?: any;
    after_sensitive?: any;
    replace_paths?: (string | number)[][];
    importing?: unknown;
  };
  action_reason?: string;
}

/** A change that is not a resource: provider configuration, backend (synth diff only). */
export interface ConfigChange {
  stack: string;
  subject: string;
  before: string;
  after: string;
  /** what it means, when it puts the state or the resources at risk (raises the banner) */
  danger?: string;
}

export interface TerraformPlan {
  format_version?: string;
  terraform_version?: string;
  resource_changes?: ResourceChange[];
  resource_drift?: ResourceChange[];
  output_changes?: Record<string, { actions: string[]; before?: unknown; after?: unknown; after_unknown?: unknown; before_sensitive?: unknown; after_sensitive?: unknown }>;
  /** Terraform ≥ 1.6: planning stopped on an error */
  errored?: boolean;
  /** Terraform ≥ 1.14: action invocations (counted in the Plan line as "Actions: N to invoke.") */
  action_invocations?: unknown[];
  /** our own field, set by the synth diff: provider and backend changes */
  configuration_changes?: ConfigChange[];
}

export { PlanReadError }; // defined in read-error.ts: the CLI reports it without loading zod

export function decode(buf: Buffer): string {
  if (buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString("utf16le");
  if (buf[0] === 0xfe && buf[1] === 0xff) return Buffer.from(buf.subarray(2)).swap16().toString("utf16le");
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return buf.subarray(3).toString("utf8");
  // UTF-16 without a mark: every other byte of ASCII text is zero
  const sample = buf.subarray(0, 200);
  let zeroOdd = 0;
  let zeroEven = 0;
  for (let i = 0; i < sample.length; i++) if (sample[i] === 0) (i % 2 ? zeroOdd++ : zeroEven++);
  if (zeroOdd > sample.length / 4) return buf.toString("utf16le");
  if (zeroEven > sample.length / 4) return Buffer.from(buf).swap16().toString("utf16le");
  return buf.toString("utf8");
}

/** keys only a plan has (internal/command/jsonplan/plan.go) */
const PLAN_KEYS = ["resource_changes", "planned_values", "output_changes", "resource_drift", "prior_state", "configuration", "errored", "applyable", "complete", "action_invocations"];
const isObject = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === "object" && !Array.isArray(v);
const isPlan = (v: unknown): v is TerraformPlan => isObject(v) && PLAN_KEYS.some((k) => k in v);
/** a state: `values`, or only the version fields (no state at all) */
const isState = (v: unknown) => isObject(v) && !isPlan(v) && "format_version" in v && Object.keys(v).every((k) => ["format_version", "terraform_version", "values", "checks"].includes(k));

const actions = z.array(z.string());
const resourceChange = z.object({ type: z.string(), address: z.string().optional(), mode: z.string().optional(), change: z.object({ actions }).passthrough() }).passthrough();
const planShape = z
  .object({
    resource_changes: z.array(resourceChange).optional(),
    resource_drift: z.array(resourceChange).optional(),
    output_changes: z.record(z.object({ actions }).passthrough()).optional(),
    errored: z.boolean().optional(),
    action_invocations: z.array(z.unknown()).optional(),
  })
  .passthrough();

const NAMES: Record<string, string> = { array: "a list", object: "an object", string: "a string", boolean: "true or false", number: "a number", null: "null", undefined: "nothing" };
const named = (t: string) => NAMES[t] ?? t;

/** The first place where the plan is not shaped as Terraform documents, as one line. */
function shapeError(plan: unknown): string | undefined {
  const r = planShape.safeParse(plan);
  if (r.success) return undefined;
  const issue = r.error.issues[0];
  const where = issue.path.reduce<string>((out, p) => (typeof p === "number" ? `${out}[${p}]` : out ? `${out}.${p}` : p), "");
  const what = issue.code === "invalid_type" ? `expected ${named(issue.expected)}, got ${named(issue.received)}` : issue.message.toLowerCase();
  return `${where || "the plan"}: ${what} (Terraform's JSON plan format)`;
}

const STATE = "this is a Terraform state (what `terraform show -json` prints without a plan file), not a plan; expected `terraform show -json <planfile>`";

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Every plan found in the input (one, or several when given one per line). */
export function readPlans(buf: Buffer): TerraformPlan[] {
  const text = decode(buf).replace(/^\uFEFF/, "");
  if (!text.trim()) throw new PlanReadError("the input is empty; expected the output of `terraform show -json <planfile>`");
  const found = candidates(text);
  const plans = found.filter(isPlan);
  if (plans.length === 0) {
    if (found.some(isState)) throw new PlanReadError(STATE);
    if (found.length) throw new PlanReadError("the JSON is not a Terraform plan (no format_version or resource_changes); expected `terraform show -json <planfile>`");
    throw new PlanReadError("no Terraform plan JSON found; expected the output of `terraform show -json <planfile>`");
  }
  for (const p of plans) {
    const bad = shapeError(p);
    if (bad) throw new PlanReadError(bad);
  }
  return plans;
}

/** The JSON values in the input: the whole text, else one per line, else from the first "{" that parses. */
function candidates(text: string): unknown[] {
  const whole = tryParse(text);
  if (isObject(whole)) return [whole];
  const perLine = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith("{"))
    .map(tryParse)
    .filter(isObject);
  if (perLine.some((v) => isPlan(v) || isState(v))) return perLine;
  // text before the JSON: start at the first "{" from which the rest parses
  for (let i = text.indexOf("{"); i >= 0; i = text.indexOf("{", i + 1)) {
    const v = tryParse(text.slice(i));
    if (isObject(v)) return [v];
  }
  return whole === undefined ? [] : [whole];
}

/** Several plans reviewed as one (Terragrunt's one-plan-per-module output). */
export function mergePlans(plans: TerraformPlan[]): TerraformPlan {
  if (plans.length === 1) return plans[0];
  return {
    format_version: plans[0].format_version,
    terraform_version: plans[0].terraform_version,
    resource_changes: plans.flatMap((p) => p.resource_changes ?? []),
    resource_drift: plans.flatMap((p) => p.resource_drift ?? []),
    output_changes: Object.assign({}, ...plans.map((p) => p.output_changes ?? {})),
    errored: plans.some((p) => p.errored === true),
    action_invocations: plans.flatMap((p) => p.action_invocations ?? []),
  };
}
