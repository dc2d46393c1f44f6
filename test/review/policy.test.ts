/**
 * Every policy rule on a passing stack (our production synth) and on a failing one (the
 * same stack with one thing broken), plus waivers and the CLI.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkPolicy, RULES } from "../../review/policy";
import { productionStack, ROOT } from "./plans";

let good: any;
beforeAll(() => {
  good = productionStack();
});

const clone = (v: unknown) => JSON.parse(JSON.stringify(v));
const first = (s: any, type: string, pred: (c: any) => boolean = () => true) => Object.values(s.resource[type]).find(pred) as any;

/** rule id -> how to break the stack for it */
const BREAK: Record<string, (s: any) => void> = {
  "no-world-ssh-or-db": (s) => (first(s, "aws_vpc_security_group_ingress_rule", (r) => r.from_port === 27017).cidr_ipv4 = "0.0.0.0/0"),
  "database-private": (s) => (first(s, "aws_instance", (i) => i.tags.Tier === "database").associate_public_ip_address = true),
  "no-public-jupyter": (s) => (s.resource.aws_vpc_security_group_ingress_rule.jupyter = { ip_protocol: "tcp", from_port: 8888, to_port: 8890, cidr_ipv6: "::/0" }), // (8888-9999 would also open the exporter port 9100)
  "ebs-encrypted": (s) => (first(s, "aws_ebs_volume").encrypted = false),
  imdsv2: (s) => (first(s, "aws_instance").metadata_options.http_tokens = "optional"),
  "default-sg-empty": (s) => (first(s, "aws_default_security_group").egress = [{ protocol: "-1", cidr_blocks: ["0.0.0.0/0"] }]),
  "egress-replaced": (s) => (s.resource.aws_vpc_security_group_egress_rule.all = { ip_protocol: "-1", cidr_ipv4: "0.0.0.0/0" }),
  "data-volumes-protected": (s) => (first(s, "aws_ebs_volume", (v) => v.tags.HoldsData === "true").lifecycle.prevent_destroy = false),
  // a second, per-volume policy: the database's data volume would be captured apart from its journal
  "snapshots-consistent": (s) => (s.resource.aws_dlm_lifecycle_policy.per_volume = { policy_details: { resource_types: ["VOLUME"], target_tags: { Volume: "data" } } }),
  "no-secrets": (s) => (first(s, "aws_instance").user_data = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc"),
  "s3-backend-safe": (s) => (s.terraform.backend = { s3: { bucket: "b", key: "k", encrypt: false } }),
  "exporter-monitoring-only": (s) => (first(s, "aws_vpc_security_group_ingress_rule", (r) => r.from_port === 9100).cidr_ipv4 = "192.168.0.0/16"),
  // (test/review/load-balancer-policy.test.ts breaks a stack that has a load balancer, each way)
  "lb-listener-tls": (s) => (s.resource.aws_lb_listener = { plain: { port: 80, protocol: "HTTP", default_action: [{ type: "forward", target_group_arn: "arn" }] } }),
  "webapp-private-behind-lb": (s) => (s.resource.aws_lb = { front: { load_balancer_type: "application" } }), // production's webapp is public
};

test("there is a failing case for every rule", () => {
  expect(Object.keys(BREAK).sort()).toEqual(RULES.map((r) => r.id).sort());
});

test("the production stack passes every rule", () => {
  expect(checkPolicy(good)).toEqual([]);
});

test.each(Object.keys(BREAK))("%s: a broken stack fails with that rule only", (id) => {
  const bad = clone(good);
  BREAK[id](bad);
  const findings = checkPolicy(bad);
  expect(findings.length).toBeGreaterThan(0);
  expect([...new Set(findings.map((f) => f.rule))]).toEqual([id]);
  expect(findings[0].resource).toMatch(/\S/);
});

test("a waiver with a written reason turns a finding into a waived one", () => {
  const bad = clone(good);
  BREAK.imdsv2(bad);
  const [f] = checkPolicy(bad);
  const waived = checkPolicy(bad, [{ rule: "imdsv2", resource: f.resource, reason: "legacy agent needs IMDSv1 until 2027-01" }]);
  expect(waived.find((x) => x.resource === f.resource)).toMatchObject({ waived: "legacy agent needs IMDSv1 until 2027-01" });
});

test("multitier policy: every shipped environment passes (exit 0)", () => {
  const r = spawnSync(`${ROOT}/bin/multitier.js`, ["policy"], { cwd: ROOT, encoding: "utf8" });
  expect(r.stdout).toContain("production: 14 rules, 0 finding(s)");
  expect(r.status).toBe(0);
}, 30_000);

describe("snapshots-consistent", () => {
  test("the database's three data volumes are covered by one INSTANCE policy with the boot volume excluded", () => {
    const { dataVolumeCoverage } = require("../../review/snapshot-coverage");
    const db = dataVolumeCoverage(good).filter((c: any) => c.instance?.includes("host-database_"));
    expect(db).toHaveLength(3);
    for (const c of db) expect([c.alone, c.withInstance.map((p: any) => [p.resourceTypes, p.excludeBootVolume])]).toEqual([[], [[["INSTANCE"], true]]]);
  });

  test("a VOLUME policy (today's main) fails the rule for each data volume of a host with several", () => {
    const bad = clone(good);
    const [policy] = Object.values(bad.resource.aws_dlm_lifecycle_policy) as any[];
    policy.policy_details.resource_types = ["VOLUME"];
    for (const v of Object.values(bad.resource.aws_ebs_volume) as any[]) if (v.tags.HoldsData === "true") v.tags.SnapshotPolicy = "emission-daily";
    const f = checkPolicy(bad).filter((x) => x.rule === "snapshots-consistent");
    expect(f.map((x) => x.detail)).toEqual(expect.arrayContaining([expect.stringMatching(/^snapshotted on its own by aws_dlm_lifecycle_policy\.\S+ \(resource_types VOLUME\): not at the same moment as the other data volumes of aws_instance\.host-database_/)]));
    // database: data, journal, log; notebook: notebooks, log — webapp and analysis have one data volume each
    expect(f.filter((x) => x.detail.startsWith("snapshotted on its own"))).toHaveLength(5);
  });

  test("an INSTANCE policy that keeps the boot volume fails", () => {
    const bad = clone(good);
    const [policy] = Object.values(bad.resource.aws_dlm_lifecycle_policy) as any[];
    delete policy.policy_details.parameters;
    expect(checkPolicy(bad).map((x) => [x.rule, x.detail])).toEqual([["snapshots-consistent", "parameters.exclude_boot_volume is not true (the root disk would join every snapshot set)"]]);
  });
});

test("multitier policy: a finding no waiver covers is exit 5 (its own code: 2 is a failed task, 1 bad input)", () => {
  const t = fs.mkdtempSync(path.join(os.tmpdir(), "mt-policy-"));
  try {
    for (const f of ["main.ts", "cdktf.json", "stacks", "config", "review"]) fs.cpSync(path.join(ROOT, f), path.join(t, f), { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(t, "node_modules"));
    fs.mkdirSync(path.join(t, "hosts"));
    const staging = fs.readFileSync(path.join(ROOT, "hosts", "staging.yaml"), "utf8");
    const open = staging.replace("  notebook:\n    subnet: public\n    instanceType: t3.medium\n", "  notebook:\n    subnet: public\n    instanceType: t3.medium\n    serves:\n      - { port: 8888, from: [0.0.0.0/0] }\n");
    expect(open).not.toBe(staging);
    fs.writeFileSync(path.join(t, "hosts", "staging.yaml"), open);
    const r = spawnSync(`${ROOT}/bin/multitier.js`, ["policy"], { cwd: t, encoding: "utf8" });
    expect(r.stdout).toMatch(/^  FAIL    no-public-jupyter  .*8888-8888 open to the world/m);
    expect(r.status).toBe(5);
  } finally {
    fs.rmSync(t, { recursive: true, force: true });
  }
}, 60_000);
