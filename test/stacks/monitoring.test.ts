/**
 * Monitoring in the stack: the node exporter port is opened to the monitoring tier's group
 * only (every tier and the bastion), the monitoring group may reach the exporters and its
 * alert destination and nothing more, the group carries the Role tag the policy reads, and the
 * synthesized production stack passes the real `terraform validate` (AWS provider from the
 * local filesystem mirror, found at run time; skipped with a line when absent).
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkEnvironment } from "../../config/load";
import { YamlSource } from "../../config/yamlsource";
import type { Environment } from "../../config/environment";
import { securityRules, type Rule } from "../../stacks/rules";
import { ROOT, synthEnv, synthFile } from "./synth";
import { envFileFor } from "../monitoring/render";

const load = (name: string, edit: (t: string) => string = (t) => t): Environment => {
  const { env, errors } = checkEnvironment(new YamlSource(`hosts/${name}.yaml`, edit(fs.readFileSync(envFileFor(name), "utf8"))));
  if (!env) throw new Error(errors.map((e) => e.message).join("\n"));
  return env;
};
const show = (r: Rule) => `${r.group} ${r.direction} ${r.protocol} ${r.fromPort} ${r.peerGroup ? `sg:${r.peerGroup}` : r.cidr}`;
const touching = (rules: Rule[], port: number) => rules.filter((r) => r.fromPort <= port && port <= r.toPort).map(show).sort();

test("production: 9100 into the bastion and every tier from the monitoring group only; its egress: exporters and SMTP 587", () => {
  const env = load("production");
  const rules = securityRules(env);
  const groups = ["bastion", ...Object.keys(env.tiers)];
  expect(touching(rules, 9100)).toEqual(
    [...groups.map((g) => `${g} ingress tcp 9100 sg:monitoring`), ...groups.map((g) => `monitoring egress tcp 9100 sg:${g}`)].sort(),
  );
  const monitoringEgress = rules.filter((r) => r.group === "monitoring" && r.direction === "egress" && r.fromPort !== 9100).map(show).sort();
  expect(monitoringEgress).toEqual([
    "monitoring egress tcp 443 0.0.0.0/0", // packages (every server)
    "monitoring egress tcp 443 ::/0",
    "monitoring egress tcp 587 0.0.0.0/0", // the SMTP relay
    "monitoring egress tcp 587 ::/0",
    "monitoring egress tcp 80 0.0.0.0/0",
    "monitoring egress tcp 80 ::/0",
  ]);
  // nothing but the monitoring group is ever given the exporter port
  expect(rules.filter((r) => r.direction === "ingress" && r.fromPort <= 9100 && r.toPort >= 9100 && r.peerGroup !== "monitoring")).toEqual([]);
});

test("the relay's addresses narrow the mail egress when declared", () => {
  const env = load("production", (t) => t.replace("smtp: { relay: email-smtp.us-east-1.amazonaws.com,", "smtp: { relay: email-smtp.us-east-1.amazonaws.com, egressCidrs: [198.51.100.0/28],"));
  expect(touching(securityRules(env), 587)).toEqual(["monitoring egress tcp 587 198.51.100.0/28"]);
});

test("lab: alerts to the webhook at 10.213.1.1:9095 only; no mail egress", () => {
  const env = load("lab");
  const rules = securityRules(env);
  expect(touching(rules, 9095)).toEqual(["monitoring egress tcp 9095 10.213.1.1/32"]);
  expect(touching(rules, 587)).toEqual([]);
});

test("a webhook on 443 adds no rule (HTTPS is already allowed out); monitoring disabled adds none at all", () => {
  const https = load("lab", (t) => t.replace('webhook: { url: "http://10.213.1.1:9095/alerts" }', 'webhook: { url: "https://hooks.example.org/alerts" }'));
  expect(securityRules(https).filter((r) => r.description.startsWith("alerts"))).toEqual([]);
  const staging = load("staging");
  expect(staging.monitoring?.enabled).toBe(false);
  expect(touching(securityRules(staging), 9100)).toEqual([]);
  expect(synthFile("staging").of("aws_security_group").some(([, g]) => g.tags.Role === "monitoring")).toBe(false);
});

test("the monitoring group is tagged Role = monitoring; its instance is private, in the private subnet", () => {
  const s = synthFile("production");
  const tagged = s.of("aws_security_group").filter(([, g]) => g.tags.Role === "monitoring");
  expect(tagged.map(([, g]) => g.name)).toEqual(["emission-monitoring"]);
  const [, inst] = s.of("aws_instance").find(([, i]) => i.tags.Tier === "monitoring")!;
  expect(inst.associate_public_ip_address).toBe(false);
  expect(inst.private_ip).toBe("192.168.1.50");
  expect(inst.subnet_id).toMatch(/private-subnet/);
});

/** The filesystem mirror holding the AWS provider, and that provider's version. */
function providerMirror(): { dir: string; version: string } | undefined {
  const r = spawnSync("find", ["/", "-xdev", "-name", "terraform-provider-aws_*", "-path", "*registry.terraform.io/hashicorp/aws/*"], { encoding: "utf8", timeout: 60_000 });
  const bin = r.stdout.split("\n").find(Boolean);
  const m = bin && /^(.*)\/registry\.terraform\.io\/hashicorp\/aws\/([^/]+)\//.exec(bin);
  return m ? { dir: m[1], version: m[2] } : undefined;
}

test("terraform validate accepts the production stack with monitoring", () => {
  const terraform = spawnSync("sh", ["-c", "command -v terraform"], { encoding: "utf8" }).stdout.trim();
  const mirror = terraform ? providerMirror() : undefined;
  if (!terraform || !mirror) {
    console.log(`SKIP terraform validate: ${terraform ? "no terraform-provider-aws in a filesystem mirror" : "terraform is not installed"}`);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multitier-tf-"));
  try {
    // the mirror's provider (offline) in place of the version cdktf's bindings pin
    const json = synthEnv(load("production")).json;
    json.terraform.required_providers.aws.version = mirror.version;
    fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(json));
    const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
    execFileSync(terraform, ["init", "-backend=false", "-input=false", `-plugin-dir=${mirror.dir}`], { cwd: dir, env, stdio: "pipe" });
    const r = spawnSync(terraform, ["validate", "-json"], { cwd: dir, env, encoding: "utf8" });
    const errors = JSON.parse(r.stdout).diagnostics.filter((d: any) => d.severity === "error");
    // known, outside monitoring: provider 5.100 refuses the DLM policy's description (a colon);
    // reported to the snapshot-policy work — everything else must validate
    const known = errors.filter((d: any) => String(d.address).startsWith("aws_dlm_lifecycle_policy.") && /description/.test(d.summary));
    if (known.length) console.log(`terraform validate: known finding outside monitoring: ${known[0].address}: ${known[0].summary}`);
    expect(errors.filter((d: any) => !known.includes(d))).toEqual([]);
    const rules = Object.keys(json.resource.aws_vpc_security_group_ingress_rule).filter((n) => n.includes("-in-tcp-9100-"));
    expect(rules).toHaveLength(6); // what was validated includes the exporter rules
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);
