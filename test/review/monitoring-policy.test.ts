/**
 * Policy rule exporter-monitoring-only on our synthesized production stack: it passes as
 * synthesized (the exporter port is opened to the monitoring group only, on every group
 * including the bastion's), and each way of opening the port to someone else is a finding.
 */
import { exporterMonitoringOnly } from "../../review/monitoring-policy";
import { checkPolicy } from "../../review/policy";
import { productionStack } from "./plans";

let good: any;
beforeAll(() => {
  good = productionStack();
});
const clone = (v: unknown) => JSON.parse(JSON.stringify(v));
const groupOf = (s: any, tier: string) => Object.keys(s.resource.aws_security_group).find((n) => s.resource.aws_security_group[n].tags.Name === `emission-${tier}-sg`)!;
const exporterRules = (s: any) => Object.values<any>(s.resource.aws_vpc_security_group_ingress_rule).filter((r) => r.from_port === 9100);

test("as synthesized: every group (bastion included) accepts 9100 from the monitoring group only, and the rule passes", () => {
  const rules = exporterRules(good);
  const mon = groupOf(good, "monitoring");
  expect(rules).toHaveLength(6); // bastion + database, webapp, analysis, notebook, monitoring
  for (const r of rules) {
    expect(r.referenced_security_group_id).toBe(`\${aws_security_group.${mon}.id}`);
    expect(r.cidr_ipv4).toBeUndefined();
  }
  expect(exporterMonitoringOnly.check(good)).toEqual([]);
  expect(checkPolicy(good).filter((f) => f.rule === "exporter-monitoring-only")).toEqual([]);
});

test("9100 open to a CIDR block is a finding naming the rule resource and the peer", () => {
  const bad = clone(good);
  bad.resource.aws_vpc_security_group_ingress_rule.extra = { security_group_id: `\${aws_security_group.${groupOf(bad, "webapp")}.id}`, ip_protocol: "tcp", from_port: 9000, to_port: 9200, cidr_ipv4: "0.0.0.0/0" };
  expect(exporterMonitoringOnly.check(bad)).toEqual([{ resource: "aws_vpc_security_group_ingress_rule.extra", detail: "port 9100 open to 0.0.0.0/0" }]);
});

test("9100 from another group (the bastion's) is a finding", () => {
  const bad = clone(good);
  const r = exporterRules(bad).find((x) => x.description.startsWith("node exporter"))!;
  r.referenced_security_group_id = `\${aws_security_group.${groupOf(bad, "bastion")}.id}`;
  const found = exporterMonitoringOnly.check(bad);
  expect(found).toHaveLength(1);
  expect(found[0].detail).toBe(`port 9100 open to group ${groupOf(bad, "bastion")}`);
});

test("all protocols from anywhere, an old-style rule and an inline block are findings too", () => {
  const bad = clone(good);
  bad.resource.aws_vpc_security_group_ingress_rule.all = { ip_protocol: "-1", cidr_ipv6: "::/0" };
  bad.resource.aws_security_group_rule = { legacy: { type: "ingress", protocol: "tcp", from_port: 9100, to_port: 9100, cidr_blocks: ["10.0.0.0/8"] } };
  bad.resource.aws_security_group.inline = { ingress: [{ protocol: "tcp", from_port: 0, to_port: 65535, security_groups: ["sg-123"] }] };
  expect(exporterMonitoringOnly.check(bad).map((f) => f.resource).sort()).toEqual(["aws_security_group.inline", "aws_security_group_rule.legacy", "aws_vpc_security_group_ingress_rule.all"]);
});

test("without a group tagged Role = monitoring, any 9100 ingress is a finding that says so", () => {
  const bad = clone(good);
  delete bad.resource.aws_security_group[groupOf(bad, "monitoring")].tags.Role;
  const found = exporterMonitoringOnly.check(bad);
  expect(found).toHaveLength(6);
  expect(found[0].detail).toMatch(/no group is tagged Role = monitoring/);
});

test("a port the monitoring group scrapes (a custom exporter port) is guarded like 9100", () => {
  const bad = clone(good);
  const mon = groupOf(bad, "monitoring");
  bad.resource.aws_vpc_security_group_egress_rule.scrape9187 = { security_group_id: `\${aws_security_group.${mon}.id}`, ip_protocol: "tcp", from_port: 9187, to_port: 9187, referenced_security_group_id: `\${aws_security_group.${groupOf(bad, "database")}.id}` };
  bad.resource.aws_vpc_security_group_ingress_rule.pg = { security_group_id: `\${aws_security_group.${groupOf(bad, "database")}.id}`, ip_protocol: "tcp", from_port: 9187, to_port: 9187, cidr_ipv4: "192.168.0.0/24" };
  expect(exporterMonitoringOnly.check(bad)).toEqual([{ resource: "aws_vpc_security_group_ingress_rule.pg", detail: "port 9187 open to 192.168.0.0/24" }]);
});
