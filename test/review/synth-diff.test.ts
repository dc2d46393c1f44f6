/**
 * The synth diff sees what Terraform would: each case is a pair of environment files
 * (production.yaml and an edited copy) synthesized and compared — region, backend, default
 * tags, outputs, data sources, replacements cascading through references, moved blocks.
 */
import * as fs from "fs";
import * as path from "path";
import { checkEnvironment } from "../../config/load";
import { YamlSource } from "../../config/yamlsource";
import { analyze, type Analysis } from "../../review/analyze";
import { renderMarkdown } from "../../review/markdown";
import { diffStacks } from "../../review/synth-diff";
import { synthEnv } from "../stacks/synth";
import { ROOT } from "./plans";

const PROD = fs.readFileSync(path.join(ROOT, "hosts", "production.yaml"), "utf8");

function stackOf(text: string, change: (env: any) => void = () => undefined): any {
  const { env, errors } = checkEnvironment(new YamlSource("hosts/production.yaml", text));
  if (!env) throw new Error(errors.map((e) => e.message).join("\n"));
  change(env);
  return synthEnv(env).json;
}
function edit(...edits: [string, string][]): string {
  let t = PROD;
  for (const [a, b] of edits) {
    if (!t.includes(a)) throw new Error(`edit did not apply: ${a}`);
    t = t.split(a).join(b);
  }
  return t;
}
let base: any;
beforeAll(() => {
  base = stackOf(PROD);
});
const review = (head: any): Analysis => analyze(diffStacks({ production: base }, { production: head }));
const resources = (a: Analysis) => a.groups.flatMap((g) => g.resources);
const byType = (a: Analysis, type: string) => resources(a).filter((r) => r.type === type);

test("a region change raises the banner with what it means", () => {
  // the provider's region alone (validate would also ask for the new region's zones, which replaces everything)
  const a = review(stackOf(PROD, (env) => (env.region = "eu-west-1")));
  expect(a.config).toEqual([expect.objectContaining({ subject: "provider aws region", before: "us-east-1", after: "eu-west-1" })]);
  expect(a.danger).toEqual([expect.objectContaining({ action: "change", address: "production: provider aws region" })]);
  const md = renderMarkdown(a);
  const top = md.split("\n").slice(0, 12).join("\n");
  expect(top).toContain("> [!CAUTION]");
  expect(top).toContain("**CHANGE** `production: provider aws region` — us-east-1 → eu-west-1. Terraform will look for every resource of production in eu-west-1");
  expect(a.planLine).not.toMatch(/^No changes/);
});

test("a new S3 backend raises the banner: the state must be migrated", () => {
  const a = review(stackOf(edit(["keyPair:", "backend:\n  s3: { bucket: team-state }\nkeyPair:"])));
  expect(a.config.map((c) => [c.subject, c.before, c.after])).toEqual([
    ["backend", "local (../../../terraform.production.tfstate)", "s3 (bucket team-state, key multitier/production.tfstate, region us-east-1)"],
  ]);
  expect(a.danger).toHaveLength(1);
  expect(a.danger[0].why).toContain("run `terraform init -migrate-state`");
  expect(renderMarkdown(a)).toContain("### Provider and backend");
});

test("default tags (the prefix) change: provider setting listed, tags_all updates, renamed groups replaced and the replacement cascading to their rules", () => {
  const a = review(stackOf(edit(["prefix: emission", "prefix: emission2"])));
  expect(a.config.map((c) => c.subject)).toEqual(["provider aws default_tags"]);
  const vpc = byType(a, "aws_vpc")[0];
  expect(vpc.action).toBe("update");
  expect(vpc.attributes.map((x) => x.path)).toEqual(["tags.Name", "tags_all.Prefix"]);
  const sg = byType(a, "aws_security_group");
  expect(sg.every((r) => r.action === "replace" && r.forcedBy.includes("name"))).toBe(true);
  const rules = byType(a, "aws_vpc_security_group_ingress_rule");
  expect(rules.length).toBeGreaterThan(0);
  expect(rules.every((r) => r.action === "replace" && r.forcedBy.includes("security_group_id"))).toBe(true);
  const inst = byType(a, "aws_instance").find((r) => r.address.includes("host-webapp_"))!;
  expect(inst.action).toBe("update");
  expect(inst.attributes.find((x) => x.path === "vpc_security_group_ids")?.after).toBe("(known after apply)");
});

test("moving the database instance (new fixed IP) replaces its three attachments too; the volumes stay; the inventory output changes", () => {
  const a = review(stackOf(edit(["privateIps: [192.168.1.100]", "privateIps: [192.168.1.101]"])));
  const replaced = a.danger.map((d) => [d.address.split(":")[1].split(".")[0], d.forcedBy.join(",")]);
  expect(replaced).toEqual([
    ["aws_instance", "private_ip"],
    ["aws_volume_attachment", "instance_id"],
    ["aws_volume_attachment", "instance_id"],
    ["aws_volume_attachment", "instance_id"],
  ]);
  expect(byType(a, "aws_ebs_volume")).toEqual([]);
  expect(a.outputs.map((o) => [o.name, o.action])).toEqual([["production:inventory", "update"]]);
});

test("a replaced subnet replaces its instances, and they their attachments", () => {
  const a = review(stackOf(edit(["privateSubnets: [192.168.1.0/24]", "privateSubnets: [192.168.2.0/24]"], ["privateIps: [192.168.1.100]", "privateIps: [192.168.2.100]"], ["privateIps: [192.168.1.50]", "privateIps: [192.168.2.50]"])));
  const r = (t: string) => byType(a, t).map((x) => [x.action, x.forcedBy]);
  expect(r("aws_subnet")).toEqual([["replace", ["cidr_block"]]]);
  // the database and the monitoring host, both in the private subnet
  expect(r("aws_instance")).toEqual(Array(2).fill(["replace", ["private_ip", "subnet_id"]]));
  expect(r("aws_volume_attachment")).toEqual(Array(3).fill(["replace", ["instance_id"]]));
  expect(r("aws_route_table_association")).toEqual([["replace", ["subnet_id"]]]);
});

test("a changed data source is read again; instances ignore the AMI it finds", () => {
  const a = review(stackOf(edit(["keyPair:", "ami: { nameFilter: ubuntu/images/hvm-ssd-gp3/ubuntu-oracular-24.10-amd64-server-* }\nkeyPair:"])));
  expect(resources(a).map((r) => [r.address, r.action])).toEqual([[expect.stringMatching(/^production:data\.aws_ami\./), "read"]]);
  expect(a.planLine).toBe("Plan: 0 to add, 0 to change, 0 to destroy.");
  expect(a.counts.read).toBe(1);
});

test("outputs: a new host adds itself to the inventory output", () => {
  const a = review(stackOf(edit(["    privateIps: [192.168.0.80]\n", "    count: 2\n    privateIps: [192.168.0.80, 192.168.0.81]\n"])));
  expect(a.outputs).toEqual([{ name: "production:inventory", action: "update", before: expect.any(String), after: "(known after apply)" }]);
});

test("moved blocks: a tier of two named the old way (webapp-1) moves to the stable names, nothing destroyed", () => {
  const head = stackOf(edit(["    privateIps: [192.168.0.80]\n", "    count: 2\n    privateIps: [192.168.0.80, 192.168.0.81]\n"]));
  // the stack main synthesized for that file: the moved blocks' old addresses, the first host called webapp-1
  let text = JSON.stringify({ ...head, moved: undefined });
  for (const m of head.moved) text = text.split(`${m.to}.`).join(`${m.from}.`);
  const old = JSON.parse(text);
  for (const m of head.moved) {
    const [type, to] = m.to.split(".");
    const from = m.from.split(".")[1];
    const cfg = JSON.parse(JSON.stringify(old.resource[type][to]).replace(/"emission-webapp(-|")/g, '"emission-webapp-1$1').replace(/"Host":"webapp"/g, '"Host":"webapp-1"'));
    delete old.resource[type][to];
    old.resource[type][from] = cfg;
  }
  const a = analyze(diffStacks({ production: old }, { production: head }));
  expect(a.counts).toMatchObject({ add: 0, destroy: 0, replace: 0, move: 5 });
  expect(a.danger).toEqual([]);
  const inst = resources(a).find((r) => r.type === "aws_instance")!;
  expect([inst.action, inst.movedFrom]).toEqual(["update", "production:aws_instance.host-webapp-1_instance_AA0B27FE"]);
  expect(inst.attributes.map((x) => [x.path, x.before, x.after])).toEqual([
    ["root_block_device.tags.Name", '"emission-webapp-1-root"', '"emission-webapp-root"'],
    ["tags.Host", '"webapp-1"', '"webapp"'],
    ["tags.Name", '"emission-webapp-1"', '"emission-webapp"'],
  ]);
  // attachments: only moved (their references are read through the moved blocks)
  expect(byType(a, "aws_volume_attachment").map((r) => r.action)).toEqual(["no-op", "no-op"]);
});
