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
  "no-public-jupyter": (s) => (s.resource.aws_vpc_security_group_ingress_rule.jupyter = { ip_protocol: "tcp", from_port: 8888, to_port: 9999, cidr_ipv6: "::/0" }),
  "ebs-encrypted": (s) => (first(s, "aws_ebs_volume").encrypted = false),
  imdsv2: (s) => (first(s, "aws_instance").metadata_options.http_tokens = "optional"),
  "default-sg-empty": (s) => (first(s, "aws_default_security_group").egress = [{ protocol: "-1", cidr_blocks: ["0.0.0.0/0"] }]),
  "egress-replaced": (s) => (s.resource.aws_vpc_security_group_egress_rule.all = { ip_protocol: "-1", cidr_ipv4: "0.0.0.0/0" }),
  "data-volumes-protected": (s) => (first(s, "aws_ebs_volume", (v) => v.tags.HoldsData === "true").lifecycle.prevent_destroy = false),
  "no-secrets": (s) => (first(s, "aws_instance").user_data = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc"),
  "s3-backend-safe": (s) => (s.terraform.backend = { s3: { bucket: "b", key: "k", encrypt: false } }),
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
  expect(r.stdout).toContain("production: 10 rules, 0 finding(s)");
  expect(r.status).toBe(0);
}, 30_000);

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
