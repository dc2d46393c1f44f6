/**
 * The `loadBalancer` section of an environment file: an Application Load Balancer in the
 * public subnets in front of one tier (webapp), HTTPS with an ACM certificate, HTTP
 * redirected to HTTPS, the tier's hosts as targets with a health check on a path the file
 * names. Kept out of schema.ts so the section is read in one place; `loadBalancerErrors`
 * holds the checks that need the rest of the file (zones, tiers, the prefix), each placed
 * on the field to change, as one line.
 */
import { z } from "zod";
import { show } from "./errors";
import { parseCidr } from "./cidr";
import { isModernTlsPolicy, RECOMMENDED_TLS_POLICY } from "./aws/elb-tls-policies";
import type { Path } from "./yamlsource";
import { targetGroupName } from "../stacks/names";

/** The section's defaults, each with what it means (the README's inputs table shows them). */
export const LOAD_BALANCER_DEFAULTS = {
  enabled: { value: true, doc: "the load balancer is on once the section is declared" },
  tier: { value: "webapp", doc: "the tier behind the load balancer: its hosts are the targets, in the private subnets, reached from the load balancer only" },
  targetPort: { value: 443, doc: "port of the hosts the load balancer sends requests and health checks to: nginx's HTTPS (TLS is re-encrypted to the hosts, see README Decisions)" },
  sslPolicy: { value: RECOMMENDED_TLS_POLICY, doc: "security policy of the HTTPS listener: a predefined ELBSecurityPolicy that accepts TLS 1.2 and later only" },
  deregistrationDelay: { value: 60, doc: "seconds a deregistered host keeps serving the requests it has (draining) before it is removed, 0–3600" },
  healthPath: { value: "/", doc: "path the health check requests (e-mission answers it through nginx; the lab stand-in answers every path)" },
  healthInterval: { value: 15, doc: "seconds between health checks of a host, 5–300" },
  healthTimeout: { value: 5, doc: "seconds a health check may take, 2–120 and less than interval" },
  healthyThreshold: { value: 2, doc: "consecutive successful checks before a host gets traffic, 2–10" },
  unhealthyThreshold: { value: 3, doc: "consecutive failed checks before a host gets none, 2–10" },
} as const;
const L = Object.fromEntries(Object.entries(LOAD_BALANCER_DEFAULTS).map(([k, v]) => [k, v.value])) as {
  [K in keyof typeof LOAD_BALANCER_DEFAULTS]: (typeof LOAD_BALANCER_DEFAULTS)[K]["value"];
};

/** The load balancer's security group in stacks/rules.ts: no tier may take the name while it is on. */
export const LB_GROUP = "alb";

const expecting = (what: string) => ({
  errorMap: (_i: z.ZodIssueOptionalMessage, ctx: z.ErrorMapCtx) => ({ message: `expected ${what}, got ${show(ctx.data)}` }),
});
const int = (what: string, min: number, max: number) => z.number(expecting(what)).int().min(min).max(max);
const port = () => int("a port number 1-65535", 1, 65535);

const healthCheck = z
  .object(
    {
      path: z.string(expecting("an absolute URL path such as /ping")).regex(/^\/[\x21-\x7e]{0,1023}$/, { message: "expected an absolute URL path such as /ping (no spaces, at most 1024 characters)" }).default(L.healthPath),
      port: port().optional(),
      interval: int("a number of seconds 5-300", 5, 300).default(L.healthInterval),
      timeout: int("a number of seconds 2-120", 2, 120).default(L.healthTimeout),
      healthyThreshold: int("a count 2-10", 2, 10).default(L.healthyThreshold),
      unhealthyThreshold: int("a count 2-10", 2, 10).default(L.unhealthyThreshold),
    },
    expecting("a health check mapping"),
  )
  .strict();

export const loadBalancerSchema = z
  .object(
    {
      enabled: z.boolean(expecting("true or false")).default(L.enabled),
      certificateArn: z.string(expecting("an ACM certificate ARN")).optional(),
      tier: z.string(expecting("a tier name")).min(1).default(L.tier),
      targetPort: port().default(L.targetPort),
      sslPolicy: z.string(expecting("an ELBSecurityPolicy name")).default(L.sslPolicy),
      /** who may reach the load balancer; default: anywhere (the public API of the phone apps) */
      from: z.array(z.string(expecting("a CIDR block or \"operators\"")), expecting("a list")).min(1).optional(),
      deregistrationDelay: int("a number of seconds 0-3600", 0, 3600).default(L.deregistrationDelay),
      healthCheck: healthCheck.default({}),
    },
    expecting("a load balancer mapping"),
  )
  .strict();

export type LoadBalancerSpec = z.output<typeof loadBalancerSchema>;

/** arn:<partition>:acm:<region>:<account>:certificate/<id> */
const ACM_CERTIFICATE_ARN = /^arn:aws(-cn|-us-gov)?:acm:([a-z0-9-]+):(\d{12}):certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** AWS: a target group name has at most 32 letters, digits and hyphens, not starting or ending with one */
const TARGET_GROUP_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

/** The part of an environment these checks read (structural: no import cycle with schema.ts). */
interface EnvView {
  prefix: string;
  region: string;
  availabilityZones: string[];
  network: { ipv6: boolean };
  tiers: Record<string, { subnet: string }>;
  loadBalancer?: LoadBalancerSpec;
}

/** Checks that need the rest of the file; [path, message] like validate.ts's. A disabled section is only shape-checked. */
export function loadBalancerErrors(env: EnvView): { path: Path; message: string; onKey?: boolean }[] {
  const lb = env.loadBalancer;
  if (!lb || !lb.enabled) return [];
  const errors: { path: Path; message: string; onKey?: boolean }[] = [];
  const add = (path: Path, message: string, onKey = false) => errors.push({ path, message, onKey });
  const at = (...p: (string | number)[]): Path => ["loadBalancer", ...p];

  if (lb.certificateArn === undefined)
    add(at(), `expected certificateArn: the HTTPS listener needs an ACM certificate (arn:aws:acm:${env.region}:<account>:certificate/<id>)`, true);
  else {
    const m = ACM_CERTIFICATE_ARN.exec(lb.certificateArn);
    if (!m) add(at("certificateArn"), `expected an ACM certificate ARN such as arn:aws:acm:${env.region}:111122223333:certificate/<id>, got ${show(lb.certificateArn)}`);
    else if (m[2] !== env.region) add(at("certificateArn"), `expected a certificate in ${env.region} (a load balancer uses certificates of its own region), got one in ${m[2]}`);
  }
  if (env.availabilityZones.length < 2)
    add(at(), `an Application Load Balancer needs public subnets in at least two availability zones (AWS), got ${env.availabilityZones.length}: add a zone to availabilityZones with its public and private subnet`, true);
  if (!isModernTlsPolicy(lb.sslPolicy)) add(at("sslPolicy"), `expected a predefined ELBSecurityPolicy that accepts TLS 1.2 and later only, such as ${L.sslPolicy}, got ${show(lb.sslPolicy)}`);

  const tier = env.tiers[lb.tier];
  if (!tier) add(at("tier"), `expected a tier of this file (${Object.keys(env.tiers).join(", ")}), got ${show(lb.tier)}`);
  else if (tier.subnet !== "private")
    errors.push({ path: ["tiers", lb.tier, "subnet"], message: `tier "${lb.tier}" is behind the load balancer (loadBalancer.tier): expected private (its hosts get no public IP), got ${tier.subnet}` });
  if (env.tiers[LB_GROUP]) add(["tiers", LB_GROUP], `"${LB_GROUP}" names the load balancer's security group while loadBalancer is on; choose another tier name`, true);
  const name = targetGroupName(env.prefix, lb.tier, lb.targetPort);
  if (tier && !TARGET_GROUP_NAME.test(name))
    add(at(), `the target group would be named "${name}" (<prefix>-<tier>-<targetPort>): AWS takes at most 32 letters, digits and hyphens; shorten prefix or the tier's name`, true);

  const hc = lb.healthCheck;
  if (hc.timeout >= hc.interval) add(at("healthCheck", "timeout"), `expected less than interval (${hc.interval} s), got ${hc.timeout}`);
  (lb.from ?? []).forEach((p, i) => {
    if (p === "operators") return;
    const c = parseCidr(p);
    if (!c) add(at("from", i), `expected a CIDR block or "operators", got ${show(p)}`);
    else if (c.kind === "ipv6" && !env.network.ipv6) add(at("from", i), `expected an IPv4 CIDR block (network.ipv6 is false), got ${show(p)}`);
  });
  return errors;
}
