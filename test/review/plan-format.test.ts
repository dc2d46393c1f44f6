/**
 * Terraform's documented JSON plan format, case by case, with small stand-in plans (named
 * so: no Terraform 1.14 here for action invocations): the Plan line's wording, malformed
 * input as one line without JavaScript internals, an empty state, and the banner's table
 * of stateful AWS types — one test per row — plus instances with ebs_block_device data.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { analyze } from "../../review/analyze";
import { PlanReadError, readPlans } from "../../review/read";
import { STATEFUL } from "../../review/stateful";
import type { ResourceChange } from "../../review/read";
import { ROOT } from "./plans";

const CLI = path.join(ROOT, "bin", "multitier.js");
const plan = (v: unknown) => Buffer.from(JSON.stringify(v));
const rc = (type: string, actions: string[], before: any = { id: "x" }, extra: Partial<ResourceChange> = {}): ResourceChange => ({
  address: `${type}.this`,
  mode: "managed",
  type,
  name: "this",
  change: { actions, before, after: actions.includes("create") ? { id: null } : null, after_unknown: {} },
  ...extra,
});

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mt-planfmt-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("the Plan line (stand-in plans in the documented format)", () => {
  test("Terraform 1.14 action invocations: Actions: N to invoke.", () => {
    const p = { format_version: "1.2", resource_changes: [rc("aws_s3_object", ["create"], null)], action_invocations: [{ address: "action.aws_lambda_invoke.a" }, { address: "action.aws_lambda_invoke.b" }] };
    expect(analyze(readPlans(plan(p))[0]).planLine).toBe("Plan: 1 to add, 0 to change, 0 to destroy. Actions: 2 to invoke.");
    expect(analyze(readPlans(plan({ format_version: "1.2", action_invocations: [{}] }))[0]).planLine).toBe("Plan: 0 to add, 0 to change, 0 to destroy. Actions: 1 to invoke.");
  });

  test("create-then-forget counts as an add only; deleted data sources are not counted", () => {
    const p = { format_version: "1.2", resource_changes: [rc("aws_instance", ["create", "forget"]), rc("aws_ami", ["delete"], { id: "a" }, { mode: "data", address: "data.aws_ami.this" })] };
    const a = analyze(readPlans(plan(p))[0]);
    expect(a.planLine).toBe("Plan: 1 to add, 0 to change, 0 to destroy.");
    expect(a.counts).toMatchObject({ forget: 1, replace: 1 });
  });
});

describe("input that is not a plan: one line, exit 1", () => {
  const cases: [string, unknown, string][] = [
    ["resource_changes is not a list", { format_version: "1.2", resource_changes: { "aws_instance.a": {} } }, "resource_changes: expected a list, got an object (Terraform's JSON plan format)"],
    ["a change without actions", { format_version: "1.2", resource_changes: [{ type: "aws_instance", change: { before: null } }] }, "resource_changes[0].change.actions: expected a list, got nothing (Terraform's JSON plan format)"],
    ["output_changes that is a list", { format_version: "1.2", output_changes: [] }, "output_changes: expected an object, got a list (Terraform's JSON plan format)"],
    ["errored that is a string", { format_version: "1.2", errored: "yes" }, "errored: expected true or false, got a string (Terraform's JSON plan format)"],
    ["an empty state (terraform show -json with no state)", { format_version: "1.0" }, "this is a Terraform state (what `terraform show -json` prints without a plan file), not a plan; expected `terraform show -json <planfile>`"],
  ];
  test.each(cases)("%s", (_n, value, line) => {
    expect(() => readPlans(plan(value))).toThrow(new PlanReadError(line));
    const f = path.join(tmp, "bad.json");
    fs.writeFileSync(f, JSON.stringify(value));
    const r = spawnSync(CLI, ["review", f], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`review: ${f}: ${line}\n`);
    expect(r.stderr).not.toMatch(/TypeError|undefined|at \w+ \(/);
  });
});

describe("the banner: stateful AWS types (review/stateful.ts), one test per row", () => {
  const rows = STATEFUL.filter((r) => !r.when).map((r) => [r.type, r.why] as const);
  test.each(rows)("%s destroyed or replaced", (type, why) => {
    for (const actions of [["delete"], ["delete", "create"], ["create", "delete"]]) {
      const a = analyze({ format_version: "1.2", resource_changes: [rc(type, actions)] });
      expect(a.danger).toEqual([expect.objectContaining({ address: `${type}.this`, why })]);
    }
    expect(analyze({ format_version: "1.2", resource_changes: [rc(type, ["update"])] }).danger).toEqual([]);
  });

  test("aws_instance with ebs_block_device volumes deleted on termination (the default) raises it; kept volumes do not", () => {
    const row = STATEFUL.find((r) => r.type === "aws_instance")!;
    const inst = (devices: unknown[]) => rc("aws_instance", ["delete"], { id: "i-1", tags: { Tier: "webapp" }, ebs_block_device: devices });
    expect(analyze({ resource_changes: [inst([{ device_name: "/dev/sdf", volume_size: 100, delete_on_termination: true }])] }).danger).toEqual([expect.objectContaining({ why: row.why })]);
    expect(analyze({ resource_changes: [inst([{ device_name: "/dev/sdf", volume_size: 100 }])] }).danger).toHaveLength(1);
    expect(analyze({ resource_changes: [inst([{ device_name: "/dev/sdf", delete_on_termination: false }])] }).danger).toEqual([]);
    expect(analyze({ resource_changes: [inst([])] }).danger).toEqual([]);
  });

  test("every row is a distinct AWS resource type with a sentence", () => {
    expect(new Set(STATEFUL.map((r) => r.type)).size).toBe(STATEFUL.length);
    for (const r of STATEFUL) expect([r.type, r.why]).toEqual([expect.stringMatching(/^aws_[a-z0-9_]+$/), expect.stringMatching(/\S.{10,}/)]);
    // the types an operator expects to be guarded
    expect(STATEFUL.map((r) => r.type)).toEqual(
      expect.arrayContaining(["aws_rds_cluster", "aws_dynamodb_table", "aws_s3_bucket", "aws_efs_file_system", "aws_elasticache_replication_group", "aws_opensearch_domain", "aws_elasticsearch_domain", "aws_docdb_cluster", "aws_neptune_cluster", "aws_kms_key", "aws_ebs_snapshot"]),
    );
  });
});
