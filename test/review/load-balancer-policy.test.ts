/**
 * Policy rules lb-listener-tls and webapp-private-behind-lb on our synthesized production
 * stack put behind a load balancer: it passes every rule as synthesized, and each way of
 * breaking the listeners or exposing the hosts behind it is a finding of that rule only.
 */
import { checkPolicy } from "../../review/policy";
import { lbListenerTls, webappPrivateBehindLb } from "../../review/load-balancer-policy";
import { loadBalancerStack } from "./plans";

let good: any;
beforeAll(() => {
  good = loadBalancerStack();
});
const clone = (v: unknown) => JSON.parse(JSON.stringify(v));
const listener = (s: any, port: number) => Object.values<any>(s.resource.aws_lb_listener).find((l) => l.port === port);
const entry = (s: any, type: string, pred: (c: any) => boolean) => Object.entries<any>(s.resource[type]).find(([, c]) => pred(c))!;

test("as synthesized: HTTPS with certificate and TLS 1.2+ policy, HTTP redirecting, webapp private; every rule passes", () => {
  expect(listener(good, 443)).toMatchObject({ protocol: "HTTPS", ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06", certificate_arn: expect.stringMatching(/^arn:aws:acm:/) });
  expect(listener(good, 80).default_action).toEqual([{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } }]);
  const [, webapp] = entry(good, "aws_instance", (c) => c.tags.Tier === "webapp");
  expect(webapp.associate_public_ip_address).toBe(false);
  expect(checkPolicy(good)).toEqual([]);
});

const listenerCases: [string, (s: any) => void, string][] = [
  ["HTTP forwarding instead of redirecting", (s) => (listener(s, 80).default_action = [{ type: "forward", target_group_arn: "arn" }]), "HTTP listener on 80 serves without TLS instead of redirecting to HTTPS"],
  ["HTTP redirecting to HTTP", (s) => (listener(s, 80).default_action[0].redirect.protocol = "HTTP"), "HTTP listener on 80 serves without TLS instead of redirecting to HTTPS"],
  ["HTTP with no protocol written (the ALB default is HTTP)", (s) => { delete listener(s, 80).protocol; listener(s, 80).default_action = [{ type: "fixed-response" }]; }, "HTTP listener on 80 serves without TLS instead of redirecting to HTTPS"],
  ["HTTPS without a certificate", (s) => delete listener(s, 443).certificate_arn, "HTTPS listener on 443 has no certificate_arn"],
  ["HTTPS with a TLS 1.0 policy", (s) => (listener(s, 443).ssl_policy = "ELBSecurityPolicy-2016-08"), "ssl_policy ELBSecurityPolicy-2016-08 accepts TLS older than 1.2"],
  ["HTTPS without ssl_policy", (s) => delete listener(s, 443).ssl_policy, "no ssl_policy: AWS applies ELBSecurityPolicy-2016-08, which accepts TLS 1.0"],
  ["a plain TCP listener", (s) => (s.resource.aws_lb_listener.tcp = { port: 8080, protocol: "TCP", default_action: [{ type: "forward" }] }), "TCP listener on 8080: no TLS"],
];

test.each(listenerCases)("lb-listener-tls fails: %s", (_name, breakIt, detail) => {
  const bad = clone(good);
  breakIt(bad);
  expect(lbListenerTls.check(bad).map((f) => f.detail)).toEqual([detail]);
  expect([...new Set(checkPolicy(bad).map((f) => f.rule))]).toEqual(["lb-listener-tls"]);
});

const publicSubnet = (s: any) => entry(s, "aws_subnet", (c) => c.tags.Tier === "public")[0];
const hostCases: [string, (s: any) => void, RegExp][] = [
  ["the webapp with a public IP", (s) => (entry(s, "aws_instance", (c) => c.tags.Tier === "webapp")[1].associate_public_ip_address = true), /^behind the load balancer, but associate_public_ip_address is not false$/],
  ["the webapp in a public subnet", (s) => (entry(s, "aws_instance", (c) => c.tags.Tier === "webapp")[1].subnet_id = `\${aws_subnet.${publicSubnet(s)}.id}`), /^behind the load balancer, but subnet \S+public-subnet\S+ is not a private subnet$/],
  ["a public analysis host attached to the target group", (s) => {
    const [name] = entry(s, "aws_instance", (c) => c.tags.Tier === "analysis");
    s.resource.aws_lb_target_group_attachment.extra = { target_group_arn: "arn", target_id: `\${aws_instance.${name}.id}` };
  }, /^behind the load balancer, but (associate_public_ip_address is not false|subnet \S+ is not a private subnet)$/],
];

test.each(hostCases)("webapp-private-behind-lb fails: %s", (_name, breakIt, detail) => {
  const bad = clone(good);
  breakIt(bad);
  const found = webappPrivateBehindLb.check(bad);
  expect(found.length).toBeGreaterThan(0);
  for (const f of found) expect(f.detail).toMatch(detail);
  expect([...new Set(checkPolicy(bad).map((f) => f.rule))]).toEqual(["webapp-private-behind-lb"]);
});

test("without a load balancer the webapp may be public (production as shipped): no finding", () => {
  const bad = clone(good);
  delete bad.resource.aws_lb;
  entry(bad, "aws_instance", (c) => c.tags.Tier === "webapp")[1].associate_public_ip_address = true;
  expect(webappPrivateBehindLb.check(bad)).toEqual([]);
});
