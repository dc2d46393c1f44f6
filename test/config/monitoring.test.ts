/**
 * The `monitoring` section of an environment file (config/monitoring.ts): its defaults, and
 * each kind of bad input reported as one line with file:line:col, the field and what was
 * expected. Each case edits the shipped hosts/production.yaml text, so positions are real.
 */
import * as fs from "fs";
import * as path from "path";
import { checkEnvironment, loadEnvironmentFile } from "../../config/load";
import { YamlSource } from "../../config/yamlsource";

const ROOT = path.join(__dirname, "..", "..");
const FILE = path.join(ROOT, "hosts", "production.yaml");
const text = fs.readFileSync(FILE, "utf8");
const lineOf = (needle: string) => text.slice(0, text.indexOf(needle)).split("\n").length;

function errorsOf(edits: [string, string][]): string[] {
  let t = text;
  for (const [from, to] of edits) {
    if (!t.includes(from)) throw new Error(`edit did not apply: ${from}`);
    t = t.replace(from, to);
  }
  const { env, errors } = checkEnvironment(new YamlSource("hosts/production.yaml", t));
  expect(env).toBeUndefined();
  return errors.map((e) => e.message);
}

test("defaults: on, 30 s intervals, 85 % disks, 26 h pipeline, 14 days certificates, SMTP on 587", () => {
  const m = loadEnvironmentFile(FILE).monitoring!;
  expect(m).toMatchObject({ enabled: true, tier: "monitoring", exporterPort: 9100, scrapeInterval: "30s", evaluationInterval: "30s", collectorInterval: "60s" });
  expect(m.thresholds).toEqual({ diskUsedPercent: 85, clockOffsetSeconds: 0.5, pipelineMaxAgeHours: 26, certificateDays: 14, hostDownFor: "5m", serviceDownFor: "2m", volumeUnmountedFor: "1m" });
  expect(m.alerts.smtp!.port).toBe(587);
  const lab = loadEnvironmentFile(path.join(ROOT, "hosts", "lab.yaml")).monitoring!;
  expect([lab.enabled, lab.scrapeInterval, lab.evaluationInterval, lab.collectorInterval]).toEqual([true, "5s", "5s", "10s"]);
});

const MON = "monitoring:\n  tier: monitoring\n";
const L = () => lineOf(MON) + 1; // the line of "tier: monitoring"

test.each([
  ["an unknown monitoring tier", [[MON, "monitoring:\n  tier: monitor\n"]], () => `hosts/production.yaml:${L()}:9 monitoring.tier: expected a tier of this file (database, webapp, analysis, notebook, monitoring), got "monitor"; declare the monitoring tier under tiers:`],
  ["a public monitoring tier", [[MON, "monitoring:\n  tier: webapp\n"]], () => `hosts/production.yaml:${L()}:9 monitoring.tier: the monitoring tier "webapp" must be in the private subnet (reached through an SSH tunnel), got public`],
  ["Prometheus on another private tier", [[MON, "monitoring:\n  tier: database\n"]], () => `hosts/production.yaml:${L()}:9 monitoring.tier: expected "monitoring" (playbooks/monitoring.yml and make tunnel-monitoring target that tier), got "database"`],
  ["no alert destination", [["    smtp: { relay: email-smtp.us-east-1.amazonaws.com, from: alerts@emission.example.org, to: [ops@emission.example.org] }\n", "    {}\n"]], () => `hosts/production.yaml:${L() + 3}:5 monitoring.alerts: expected smtp and/or webhook: alerts must go somewhere`],
  ["an SMTP port that is not a number", [["to: [ops@emission.example.org] }", "to: [ops@emission.example.org], port: smtp }"]], () => `hosts/production.yaml:${L() + 3}:${text.split("\n")[L() + 2].indexOf("to: [ops") + 39} monitoring.alerts.smtp.port: expected a port number 1-65535, got "smtp"`],
  ["a recipient that is not an e-mail address", [["to: [ops@emission.example.org]", "to: [ops]"]], () => `hosts/production.yaml:${L() + 3}:${text.split("\n")[L() + 2].indexOf("to: [ops") + 6} monitoring.alerts.smtp.to[0]: expected an e-mail address`],
  ["an interval that is not a duration", [[MON, MON + "  scrapeInterval: 30\n"]], () => `hosts/production.yaml:${L() + 1}:19 monitoring.scrapeInterval: expected a duration such as 30s, 5m or 1h, got 30`],
  ["a threshold out of range", [[MON, MON + "  thresholds: { diskUsedPercent: 120 }\n"]], () => `hosts/production.yaml:${L() + 1}:34 monitoring.thresholds.diskUsedPercent: expected a percentage 1-99, got 120`],
  ["a misspelt key", [[MON, MON + "  scrapeInterva: 30s\n"]], () => `hosts/production.yaml:${L() + 1}:3 monitoring.scrapeInterva: unknown key; did you mean "scrapeInterval"?`],
  ["checks for a tier that does not exist", [["    database: { services: [mongod] }", "    databse: { services: [mongod] }"]], () => `hosts/production.yaml:${lineOf("    database: { services: [mongod] }")}:5 monitoring.checks.databse: expected a tier name or "bastion", got "databse"`],
  ["a webhook on an odd port of a named host without egressCidrs", [["    smtp:", '    webhook: { url: "http://hooks.example.org:8080/x" }\n    smtp:']], () => `hosts/production.yaml:${L() + 3}:14 monitoring.alerts.webhook.egressCidrs: expected the CIDR blocks of hooks.example.org (port 8080 is not open to the world by default)`],
] as [string, [string, string][], () => string][])("%s: one line naming file:line:col and the field", (_name, edits, expected) => {
  expect(errorsOf(edits)).toEqual([expected()]);
});

test("a disabled section is shape-checked only (no monitoring tier needed: staging)", () => {
  const staging = loadEnvironmentFile(path.join(ROOT, "hosts", "staging.yaml"));
  expect(staging.monitoring!.enabled).toBe(false);
  expect(staging.tiers.monitoring).toBeUndefined();
});
