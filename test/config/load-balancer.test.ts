/**
 * The `loadBalancer` section (config/load-balancer.ts): its defaults, and each refusal as one
 * exact line (file:line:col, field, what was expected). The base is the frozen production
 * fixture put behind a load balancer (two zones, webapp private and serving no one else),
 * so positions are real; each case then breaks one thing.
 */
import * as fs from "fs";
import * as path from "path";
import { checkEnvironment } from "../../config/load";
import { parse, stringify } from "yaml";
import { YamlSource } from "../../config/yamlsource";

const F = "hosts/production.yaml";
const CERT = "arn:aws:acm:us-east-1:111122223333:certificate/1234abcd-12ab-34cd-56ef-1234567890ab";
const frozen = fs.readFileSync(path.join(__dirname, "fixtures", "production.yaml"), "utf8").split("\n").slice(1).join("\n");

function edit(text: string, edits: [string | RegExp, string][]): string {
  for (const [from, to] of edits) {
    const next = text.replace(from, to);
    if (next === text) throw new Error(`edit did not apply: ${String(from)}`);
    text = next;
  }
  return text;
}

/** production behind a load balancer: the file an operator would write */
const base = edit(frozen, [
  ["availabilityZones: [us-east-1d]", "availabilityZones: [us-east-1d, us-east-1c]"],
  ["publicSubnets: [192.168.0.0/24]", "publicSubnets: [192.168.0.0/24, 192.168.2.0/24]"],
  ["privateSubnets: [192.168.1.0/24]", "privateSubnets: [192.168.1.0/24, 192.168.3.0/24]"],
  ["  webapp:\n    subnet: public\n    instanceType: m7i.xlarge\n    privateIps: [192.168.0.80]\n    serves:\n      - { port: 443, from: [0.0.0.0/0, \"::/0\"], description: HTTPS API for the phone apps }\n      - { port: 80, from: [0.0.0.0/0, \"::/0\"], description: redirect to HTTPS }\n",
    "  webapp:\n    subnet: private\n    instanceType: m7i.xlarge\n    privateIps: [192.168.1.80]\n"],
]) + `\nloadBalancer:\n  certificateArn: ${CERT}\n  healthCheck: { path: /ping }\n`;

const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split("\n").length;
const check = (text: string) => checkEnvironment(new YamlSource(F, text));
const errorsOf = (edits: [string | RegExp, string][]) => {
  const { env, errors } = check(edit(base, edits));
  expect(env).toBeUndefined();
  return errors.map((e) => e.message);
};
const LB = lineOf(base, "loadBalancer:");

test("the base is accepted, with the documented defaults", () => {
  const { env, errors } = check(base);
  expect(errors.map((e) => e.message)).toEqual([]);
  expect(env!.loadBalancer).toEqual({
    enabled: true,
    certificateArn: CERT,
    tier: "webapp",
    targetPort: 443,
    sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    deregistrationDelay: 60,
    healthCheck: { path: "/ping", interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
  });
});

test("a section that is off is only shape-checked: no certificate, one zone, a public webapp are fine", () => {
  const { errors } = check(`${frozen}\nloadBalancer: { enabled: false }\n`);
  expect(errors.map((e) => e.message)).toEqual([]);
});

const cases: [string, [string | RegExp, string][], string | string[]][] = [
  ["on without a certificate", [[`  certificateArn: ${CERT}\n`, ""]], `${F}:${LB}:1 loadBalancer: expected certificateArn: the HTTPS listener needs an ACM certificate (arn:aws:acm:us-east-1:<account>:certificate/<id>)`],
  ["an IAM server certificate where the ACM ARN is needed", [[CERT, "arn:aws:iam::111122223333:server-certificate/emission"]], `${F}:${LB + 1}:19 loadBalancer.certificateArn: expected an ACM certificate ARN such as arn:aws:acm:us-east-1:111122223333:certificate/<id>, got "arn:aws:iam::111122223333:server-certificate/emission"`],
  ["a certificate of another region", [[CERT, CERT.replace("us-east-1", "eu-west-1")]], `${F}:${LB + 1}:19 loadBalancer.certificateArn: expected a certificate in us-east-1 (a load balancer uses certificates of its own region), got one in eu-west-1`],
  ["one availability zone", [["availabilityZones: [us-east-1d, us-east-1c]", "availabilityZones: [us-east-1d]"], ["publicSubnets: [192.168.0.0/24, 192.168.2.0/24]", "publicSubnets: [192.168.0.0/24]"], ["privateSubnets: [192.168.1.0/24, 192.168.3.0/24]", "privateSubnets: [192.168.1.0/24]"]],
    `${F}:${LB}:1 loadBalancer: an Application Load Balancer needs public subnets in at least two availability zones (AWS), got 1: add a zone to availabilityZones with its public and private subnet`],
  ["the webapp public while the load balancer is on", [["    subnet: private\n    instanceType: m7i.xlarge\n    privateIps: [192.168.1.80]", "    subnet: public\n    instanceType: m7i.xlarge\n    privateIps: [192.168.0.80]"]],
    `${F}:${lineOf(base, "privateIps: [192.168.1.80]") - 2}:13 tiers.webapp.subnet: tier "webapp" is behind the load balancer (loadBalancer.tier): expected private (its hosts get no public IP), got public`],
  ["a policy that accepts TLS 1.0", [["  healthCheck:", "  sslPolicy: ELBSecurityPolicy-2016-08\n  healthCheck:"]], `${F}:${LB + 2}:14 loadBalancer.sslPolicy: expected a predefined ELBSecurityPolicy that accepts TLS 1.2 and later only, such as ELBSecurityPolicy-TLS13-1-2-2021-06, got "ELBSecurityPolicy-2016-08"`],
  ["a TLS 1.3 policy that also accepts TLS 1.1", [["  healthCheck:", "  sslPolicy: ELBSecurityPolicy-TLS13-1-1-2021-06\n  healthCheck:"]], `${F}:${LB + 2}:14 loadBalancer.sslPolicy: expected a predefined ELBSecurityPolicy that accepts TLS 1.2 and later only, such as ELBSecurityPolicy-TLS13-1-2-2021-06, got "ELBSecurityPolicy-TLS13-1-1-2021-06"`],
  ["a health-check timeout not shorter than its interval", [["{ path: /ping }", "{ path: /ping, interval: 10, timeout: 10 }"]], `${F}:${LB + 2}:54 loadBalancer.healthCheck.timeout: expected less than interval (10 s), got 10`],
  ["a health-check path without its slash", [["{ path: /ping }", "{ path: ping }"]], `${F}:${LB + 2}:24 loadBalancer.healthCheck.path: expected an absolute URL path such as /ping (no spaces, at most 1024 characters)`],
  ["a tier that does not exist", [["  healthCheck:", "  tier: web\n  healthCheck:"]], `${F}:${LB + 2}:9 loadBalancer.tier: expected a tier of this file (database, webapp, analysis, notebook), got "web"`],
  ["a target group name over AWS's 32 characters", [["prefix: emission\n", "prefix: emission-researchprod\n"], ["  healthCheck:", "  targetPort: 8443\n  healthCheck:"]], `${F}:${LB}:1 loadBalancer: the target group would be named "emission-researchprod-webapp-8443" (<prefix>-<tier>-<targetPort>): AWS takes at most 32 letters, digits and hyphens; shorten prefix or the tier's name`],
  ["an IPv6 peer with IPv6 off", [["ipv6: true", "ipv6: false"], [/, "::\/0"\]/g, "]"], ["  healthCheck:", "  from: [\"2001:db8::/32\"]\n  healthCheck:"]], `${F}:${LB + 2}:10 loadBalancer.from[0]: expected an IPv4 CIDR block (network.ipv6 is false), got "2001:db8::/32"`],
  ["a world port left on the webapp now private", [["    privateIps: [192.168.1.80]\n", "    privateIps: [192.168.1.80]\n    serves:\n      - { port: 443, from: [0.0.0.0/0] }\n"]],
    `${F}:${lineOf(base, "privateIps: [192.168.1.80]") + 2}:29 tiers.webapp.serves[0].from[0]: tier "webapp" is in the private subnet and cannot serve the public address range 0.0.0.0/0; use a tier name or a CIDR inside 192.168.0.0/16`],
];

test.each(cases)("refused: %s, in one exact line", (_name, edits, error) => {
  expect(errorsOf(edits)).toEqual(Array.isArray(error) ? error : [error]);
});

test("a tier named alb is refused while the load balancer is on (it names the load balancer's group)", () => {
  const text = base.replace("tiers:\n", "tiers:\n  alb:\n    subnet: private\n    instanceType: t3.small\n");
  expect(check(text).errors.map((e) => e.message)).toEqual([`${F}:${lineOf(text, "  alb:")}:3 tiers.alb: "alb" names the load balancer's security group while loadBalancer is on; choose another tier name`]);
});

test("the commented example in hosts/production.yaml, uncommented into it, is accepted", () => {
  const shipped = fs.readFileSync(path.join(__dirname, "..", "..", "hosts", "production.yaml"), "utf8");
  const block = shipped.slice(shipped.indexOf("# availabilityZones:")).split("\n").map((l) => l.replace(/^# ?/, "")).join("\n");
  const example = parse(block.replace("<id>", CERT.split("/")[1]));
  const doc = parse(shipped);
  Object.assign(doc, { availabilityZones: example.availabilityZones, loadBalancer: example.loadBalancer });
  Object.assign(doc.network, example.network);
  Object.assign(doc.tiers.webapp, example.tiers.webapp);
  const { env, errors } = check(stringify(doc));
  expect(errors.map((e) => e.message)).toEqual([]);
  expect(env!.loadBalancer).toMatchObject({ enabled: true, tier: "webapp", healthCheck: { path: "/" } });
  expect(parse(shipped).loadBalancer).toBeUndefined(); // off as shipped
});
