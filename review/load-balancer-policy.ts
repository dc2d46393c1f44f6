/**
 * Policy rules for a load balancer in front of a tier:
 *   lb-listener-tls           every listener speaks TLS, or is HTTP whose every default action is
 *                             a redirect to HTTPS; an HTTPS/TLS listener has a certificate and a
 *                             policy that accepts TLS 1.2 and later only (without `ssl_policy`
 *                             AWS applies ELBSecurityPolicy-2016-08, which accepts TLS 1.0)
 *   webapp-private-behind-lb  while a load balancer exists, the hosts it serves (attached to a
 *                             target group, or of the target group's or the webapp's tier)
 *                             have no public IP and sit in a private subnet
 * Both read the synthesized Terraform JSON only (aws_lb* and their aws_alb* aliases).
 */
import { isModernTlsPolicy } from "../config/aws/elb-tls-policies";
import type { Rule } from "./policy";
import type { StackJson } from "./synth";

type Found = { resource: string; detail: string };
const byType = (s: StackJson, ...types: string[]): [string, any][] =>
  types.flatMap((t) => Object.entries<any>(s.resource?.[t] ?? {}).map(([n, c]): [string, any] => [`${t}.${n}`, c]));
const list = (v: unknown): any[] => (Array.isArray(v) ? v : v && typeof v === "object" ? [v] : []);
/** `${aws_instance.name.id}` -> name */
const instanceRef = (ref: unknown) => (typeof ref === "string" ? /^\$\{aws_instance\.([^.}]+)\.id\}$/.exec(ref)?.[1] : undefined);
const subnetRef = (ref: unknown) => (typeof ref === "string" ? /^\$\{aws_subnet\.([^.}]+)\.id\}$/.exec(ref)?.[1] : undefined);

export const lbListenerTls: Rule = {
  id: "lb-listener-tls",
  reason: "a load balancer listener speaks TLS 1.2+ with a certificate, or is HTTP that only redirects to HTTPS",
  check: (s) =>
    byType(s, "aws_lb_listener", "aws_alb_listener").flatMap(([r, c]): Found[] => {
      const protocol = String(c.protocol ?? "HTTP").toUpperCase();
      const port = c.port ?? "?";
      if (protocol === "HTTPS" || protocol === "TLS") {
        const out: Found[] = [];
        if (!c.certificate_arn) out.push({ resource: r, detail: `${protocol} listener on ${port} has no certificate_arn` });
        if (!isModernTlsPolicy(c.ssl_policy))
          out.push({ resource: r, detail: c.ssl_policy ? `ssl_policy ${c.ssl_policy} accepts TLS older than 1.2` : "no ssl_policy: AWS applies ELBSecurityPolicy-2016-08, which accepts TLS 1.0" });
        return out;
      }
      if (protocol !== "HTTP") return [{ resource: r, detail: `${protocol} listener on ${port}: no TLS` }];
      const actions = list(c.default_action);
      const redirects = actions.length > 0 && actions.every((a) => a.type === "redirect" && list(a.redirect).every((x) => String(x.protocol).toUpperCase() === "HTTPS"));
      return redirects ? [] : [{ resource: r, detail: `HTTP listener on ${port} serves without TLS instead of redirecting to HTTPS` }];
    }),
};

export const webappPrivateBehindLb: Rule = {
  id: "webapp-private-behind-lb",
  reason: "while a load balancer exists, the hosts behind it (and every webapp host) have no public IP and sit in a private subnet",
  check: (s) => {
    if (byType(s, "aws_lb", "aws_alb").length === 0) return [];
    const attached = new Set(byType(s, "aws_lb_target_group_attachment", "aws_alb_target_group_attachment").map(([, c]) => instanceRef(c.target_id)));
    const tiers = new Set(["webapp", ...byType(s, "aws_lb_target_group", "aws_alb_target_group").map(([, c]) => c.tags?.Tier)]);
    return byType(s, "aws_instance")
      .filter(([r, c]) => attached.has(r.slice("aws_instance.".length)) || tiers.has(c.tags?.Tier))
      .flatMap(([r, c]): Found[] => {
        const out: Found[] = [];
        if (c.associate_public_ip_address !== false) out.push({ resource: r, detail: "behind the load balancer, but associate_public_ip_address is not false" });
        const subnet = subnetRef(c.subnet_id);
        if (s.resource?.aws_subnet?.[subnet ?? ""]?.tags?.Tier !== "private")
          out.push({ resource: r, detail: `behind the load balancer, but subnet ${subnet ?? c.subnet_id} is not a private subnet` });
        return out;
      });
  },
};
