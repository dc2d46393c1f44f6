/**
 * The stack behind a load balancer (stacks/load-balancer.ts, load-balancer-rules.ts): the ALB
 * in both public subnets, HTTPS forwarding and HTTP redirecting, the target group over HTTPS
 * with the file's health check, the webapp hosts private and reachable on the target port from
 * the load balancer's group only, one attachment per host named after it (growing the tier
 * adds one, changes none), and the inventory naming the load balancer for the runner.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { YamlSource } from "../../config/yamlsource";
import { checkEnvironment } from "../../config/load";
import { analyze } from "../../review/analyze";
import { diffStacks } from "../../review/synth-diff";
import { readOutputs } from "../../runner/inventory";
import { ROOT, synthEnv } from "./synth";
import { behindLoadBalancer } from "./variants";

function stackOf(edit: (d: any) => void) {
  const doc = parse(fs.readFileSync(path.join(ROOT, "hosts", "production.yaml"), "utf8"));
  edit(doc);
  const { env, errors } = checkEnvironment(new YamlSource("hosts/production.yaml", stringify(doc)));
  if (!env) throw new Error(errors.map((e) => e.message).join("\n"));
  return synthEnv(env).json;
}
const withCount = (n: number, lb: any = {}) => (d: any) => {
  d.tiers.webapp.count = n;
  delete d.tiers.webapp.privateIps;
  behindLoadBalancer(d, lb);
};
const values = (s: any, type: string) => Object.values<any>(s.resource[type] ?? {});
const sgName = (s: any, tag: string) => Object.keys(s.resource.aws_security_group).find((n) => s.resource.aws_security_group[n].tags.Name === tag)!;
const ref = (name: string) => `\${aws_security_group.${name}.id}`;

let s: any;
beforeAll(() => {
  s = stackOf(withCount(2));
});

test("the ALB: internet-facing, dual-stack, in both public subnets, with its own group", () => {
  const [lb] = values(s, "aws_lb");
  expect(lb).toMatchObject({ name: "emission-alb", internal: false, load_balancer_type: "application", ip_address_type: "dualstack", drop_invalid_header_fields: true, security_groups: [ref(sgName(s, "emission-alb-sg"))] });
  expect(lb.subnets).toHaveLength(2);
  for (const sn of lb.subnets) expect(s.resource.aws_subnet[/aws_subnet\.([^.]+)\.id/.exec(sn)![1]].tags.Tier).toBe("public");
});

test("HTTPS forwards to the target group over HTTPS with the health check; HTTP answers 301 to HTTPS", () => {
  const [tgName, tg] = Object.entries<any>(s.resource.aws_lb_target_group)[0];
  expect(tg).toMatchObject({ name: "emission-webapp-443", protocol: "HTTPS", port: 443, target_type: "instance", deregistration_delay: "60", lifecycle: { create_before_destroy: true } });
  expect(tg.health_check).toEqual({ enabled: true, protocol: "HTTPS", path: "/", port: "traffic-port", interval: 15, timeout: 5, healthy_threshold: 2, unhealthy_threshold: 3, matcher: "200" });
  const listeners = values(s, "aws_lb_listener");
  expect(listeners.map((l) => [l.port, l.protocol])).toEqual(expect.arrayContaining([[443, "HTTPS"], [80, "HTTP"]]));
  expect(listeners.find((l) => l.port === 443).default_action).toEqual([{ type: "forward", target_group_arn: `\${aws_lb_target_group.${tgName}.arn}` }]);
});

test("the webapp hosts: private subnets, no public IP, port 443 from the load balancer's group only", () => {
  const webapps = values(s, "aws_instance").filter((i) => i.tags.Tier === "webapp");
  expect(webapps).toHaveLength(2);
  for (const w of webapps) {
    expect(w.associate_public_ip_address).toBe(false);
    expect(s.resource.aws_subnet[/aws_subnet\.([^.]+)\.id/.exec(w.subnet_id)![1]].tags.Tier).toBe("private");
  }
  const webSg = ref(sgName(s, "emission-webapp-sg"));
  const albSg = ref(sgName(s, "emission-alb-sg"));
  const webIn = values(s, "aws_vpc_security_group_ingress_rule").filter((r) => r.security_group_id === webSg);
  expect(webIn.filter((r) => r.cidr_ipv4 || r.cidr_ipv6)).toEqual([]);
  expect(webIn.filter((r) => r.from_port === 443)).toEqual([expect.objectContaining({ referenced_security_group_id: albSg, to_port: 443 })]);
  const albIn = values(s, "aws_vpc_security_group_ingress_rule").filter((r) => r.security_group_id === albSg);
  expect(albIn.map((r) => [r.from_port, r.cidr_ipv4 ?? r.cidr_ipv6]).sort()).toEqual([[443, "0.0.0.0/0"], [443, "::/0"], [80, "0.0.0.0/0"], [80, "::/0"]].sort());
  const albOut = values(s, "aws_vpc_security_group_egress_rule").filter((r) => r.security_group_id === albSg);
  expect(albOut).toEqual([expect.objectContaining({ from_port: 443, to_port: 443, referenced_security_group_id: webSg })]);
});

test("loadBalancer.from and a health-check port: only those peers, and both ports opened between the groups", () => {
  const t = stackOf(withCount(1, { from: ["operators"], healthCheck: { port: 8444 } }));
  const albSg = ref(sgName(t, "emission-alb-sg"));
  const albIn = values(t, "aws_vpc_security_group_ingress_rule").filter((r) => r.security_group_id === albSg);
  expect([...new Set(albIn.map((r) => r.cidr_ipv4))]).toEqual(["203.0.113.0/24"]);
  const albOut = values(t, "aws_vpc_security_group_egress_rule").filter((r) => r.security_group_id === albSg);
  expect(albOut.map((r) => r.from_port).sort()).toEqual([443, 8444]);
});

test("one attachment per host, named after it: growing webapp from 2 to 3 adds one attachment and replaces nothing", () => {
  const ids = (x: any) => Object.keys(x.resource.aws_lb_target_group_attachment).map((k) => k.replace(/_[0-9A-F]{8}$/, "")).sort();
  expect(ids(s)).toEqual(["load-balancer_target-webapp", "load-balancer_target-webapp-2"]);
  const three = stackOf(withCount(3));
  const a = analyze(diffStacks({ production: s }, { production: three }));
  expect(a.counts).toMatchObject({ replace: 0, destroy: 0 });
  const created = a.groups.flatMap((g) => g.resources).filter((r) => r.action === "create").map((r) => r.type).sort();
  expect(created).toEqual(["aws_ebs_volume", "aws_ebs_volume", "aws_instance", "aws_lb_target_group_attachment", "aws_volume_attachment", "aws_volume_attachment"]);
});

test("the inventory names the load balancer and its target group; without one it keeps its old shape", () => {
  const inv = s.output.inventory.value;
  expect(inv.loadBalancer).toEqual({
    dnsName: expect.stringMatching(/^\$\{aws_lb\.\S+\.dns_name\}$/),
    zoneId: expect.stringMatching(/\.zone_id\}$/),
    arn: expect.stringMatching(/^\$\{aws_lb\.\S+\.arn\}$/),
    tier: "webapp",
    targetGroupArn: expect.stringMatching(/^\$\{aws_lb_target_group\.\S+\.arn\}$/),
    targetPort: 443,
  });
  expect(s.output.load_balancer_dns_name.value).toBe(inv.loadBalancer.dnsName);
  const off = stackOf(() => undefined);
  expect(Object.keys(off.output.inventory.value)).toEqual(["bastion", "hosts"]);
  expect(off.output.load_balancer_dns_name).toBeUndefined();
  expect(off.resource.aws_lb).toBeUndefined();
});

test("the runner reads an outputs file with the loadBalancer key as before (the key is extra, nothing else moves)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-lb-out-"));
  try {
    const file = path.join(dir, "production.outputs.json");
    const value = {
      bastion: { publicIp: "198.51.100.7", privateIp: "192.168.0.10", user: "ubuntu" },
      hosts: { webapp: { tier: "webapp", privateIp: "192.168.1.80", user: "ubuntu", volumes: {} } },
      loadBalancer: { dnsName: "emission-alb-1.us-east-1.elb.amazonaws.com", zoneId: "Z35SXDOTRQ7X7K", arn: "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/emission-alb/1", tier: "webapp", targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/emission-webapp-443/1", targetPort: 443 },
    };
    fs.writeFileSync(file, JSON.stringify({ inventory: { sensitive: false, type: ["object", {}], value } }));
    const { out } = readOutputs(file);
    expect(out.hosts.webapp.privateIp).toBe("192.168.1.80");
    expect(out.bastion.publicIp).toBe("198.51.100.7");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
