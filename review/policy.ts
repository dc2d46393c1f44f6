/**
 * Policy checks on the synthesized Terraform of an environment. Each rule has an id, a
 * one-line reason, and names the resource it found. A finding can be waived per resource in
 * the environment file (`waivers: [{ rule, resource, reason }]`); the report shows waivers.
 */
import type { Environment } from "../config/environment";
import { dataVolumeCoverage } from "./snapshot-coverage";
import type { StackJson } from "./synth";
import { exporterMonitoringOnly } from "./monitoring-policy";
import { lbListenerTls, webappPrivateBehindLb } from "./load-balancer-policy";

export interface Finding {
  rule: string;
  resource: string;
  detail: string;
  waived?: string;
}

export interface Rule {
  id: string;
  reason: string;
  check(stack: StackJson): { resource: string; detail: string }[];
}

type Res = [string, any];
const each = (s: StackJson, type: string): Res[] => Object.entries(s.resource?.[type] ?? {}).map(([n, c]) => [`${type}.${n}`, c]);
const WORLD = ["0.0.0.0/0", "::/0"];
const covers = (from: number, to: number, port: number) => from <= port && port <= to;

/** Every ingress rule as (resource, protocol, from, to, cidr) — rule resources and inline blocks. */
function ingress(s: StackJson): { resource: string; proto: string; from: number; to: number; cidrs: string[] }[] {
  const out: { resource: string; proto: string; from: number; to: number; cidrs: string[] }[] = [];
  for (const [r, c] of each(s, "aws_vpc_security_group_ingress_rule")) out.push({ resource: r, proto: String(c.ip_protocol), from: Number(c.from_port ?? 0), to: Number(c.to_port ?? 65535), cidrs: [c.cidr_ipv4, c.cidr_ipv6].filter(Boolean) });
  for (const [r, c] of each(s, "aws_security_group_rule"))
    if (c.type === "ingress") out.push({ resource: r, proto: String(c.protocol), from: Number(c.from_port ?? 0), to: Number(c.to_port ?? 65535), cidrs: [...(c.cidr_blocks ?? []), ...(c.ipv6_cidr_blocks ?? [])] });
  for (const [r, c] of each(s, "aws_security_group"))
    for (const i of c.ingress ?? []) out.push({ resource: r, proto: String(i.protocol), from: Number(i.from_port ?? 0), to: Number(i.to_port ?? 65535), cidrs: [...(i.cidr_blocks ?? []), ...(i.ipv6_cidr_blocks ?? [])] });
  return out;
}

const openToWorld = (s: StackJson, port: number) =>
  ingress(s)
    .filter((i) => (i.proto === "-1" || covers(i.from, i.to, port)) && i.cidrs.some((c) => WORLD.includes(c)))
    .map((i) => ({ resource: i.resource, detail: `port ${port} open to ${i.cidrs.filter((c) => WORLD.includes(c)).join(", ")}` }));

function refId(ref: unknown): string | undefined {
  return typeof ref === "string" ? /\$\{([a-z0-9_]+\.[^.}]+)\.id\}/.exec(ref)?.[1] : undefined;
}

const SECRET_PATTERNS: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
  [/\bAKIA[0-9A-Z]{16}\b/, "an AWS access key id"],
  [/aws_secret_access_key|secret_key\s*[:=]/i, "an AWS secret key"],
];

export const RULES: Rule[] = [
  {
    id: "no-world-ssh-or-db",
    reason: "SSH (22) and MongoDB (27017) must never be reachable from 0.0.0.0/0 or ::/0",
    check: (s) => [...openToWorld(s, 22), ...openToWorld(s, 27017)],
  },
  {
    id: "database-private",
    reason: "the database tier lives in a private subnet with no public IP",
    check: (s) =>
      each(s, "aws_instance")
        .filter(([, c]) => c.tags?.Tier === "database")
        .flatMap(([r, c]) => {
          const subnet = refId(c.subnet_id);
          const subnetTier = subnet ? s.resource?.aws_subnet?.[subnet.split(".")[1]]?.tags?.Tier : undefined;
          const problems = [];
          if (c.associate_public_ip_address !== false) problems.push({ resource: r, detail: "associate_public_ip_address is not false" });
          if (subnetTier !== "private") problems.push({ resource: r, detail: `subnet ${subnet ?? c.subnet_id} is not a private subnet` });
          return problems;
        }),
  },
  {
    id: "no-public-jupyter",
    reason: "Jupyter (8888-9999) is reached through an SSH tunnel, never from the internet",
    check: (s) =>
      ingress(s)
        .filter((i) => (i.proto === "-1" || (i.from <= 9999 && i.to >= 8888)) && i.cidrs.some((c) => WORLD.includes(c)))
        .map((i) => ({ resource: i.resource, detail: `ports ${i.from}-${i.to} open to the world` })),
  },
  {
    id: "ebs-encrypted",
    reason: "every EBS volume and root block device is encrypted",
    check: (s) => [
      ...each(s, "aws_ebs_volume").filter(([, c]) => c.encrypted !== true).map(([r]) => ({ resource: r, detail: "encrypted is not true" })),
      ...each(s, "aws_instance").filter(([, c]) => c.root_block_device?.encrypted !== true).map(([r]) => ({ resource: r, detail: "root_block_device.encrypted is not true" })),
    ],
  },
  {
    id: "imdsv2",
    reason: "instances require IMDSv2 tokens (metadata_options.http_tokens = required)",
    check: (s) => each(s, "aws_instance").filter(([, c]) => c.metadata_options?.http_tokens !== "required").map(([r]) => ({ resource: r, detail: "http_tokens is not required" })),
  },
  {
    id: "default-sg-empty",
    reason: "the VPC's default security group is managed and has no rules",
    check: (s) => {
      if (!s.resource?.aws_vpc) return [];
      const d = each(s, "aws_default_security_group");
      if (d.length === 0) return [{ resource: "aws_default_security_group", detail: "not managed: it keeps AWS's default rules" }];
      return d.filter(([, c]) => (c.ingress ?? []).length || (c.egress ?? []).length || c.ingress === undefined || c.egress === undefined).map(([r]) => ({ resource: r, detail: "has rules (or leaves them unmanaged)" }));
    },
  },
  {
    id: "egress-replaced",
    reason: "no group keeps the allow-all egress: every server may only send what is declared",
    check: (s) => [
      ...each(s, "aws_vpc_security_group_egress_rule")
        .filter(([, c]) => String(c.ip_protocol) === "-1" && WORLD.includes(c.cidr_ipv4 ?? c.cidr_ipv6))
        .map(([r]) => ({ resource: r, detail: "all protocols to the world" })),
      ...each(s, "aws_security_group").flatMap(([r, c]) =>
        (c.egress ?? []).filter((e: any) => String(e.protocol) === "-1" && [...(e.cidr_blocks ?? []), ...(e.ipv6_cidr_blocks ?? [])].some((x: string) => WORLD.includes(x))).map(() => ({ resource: r, detail: "inline allow-all egress" })),
      ),
    ],
  },
  {
    id: "data-volumes-protected",
    reason: "volumes that hold data have prevent_destroy and a daily snapshot policy",
    check: (s) => {
      const covered = new Map(dataVolumeCoverage(s).map((c) => [c.volume, c.alone.length + c.withInstance.length > 0]));
      return each(s, "aws_ebs_volume")
        .filter(([, c]) => String(c.tags?.HoldsData) === "true")
        .flatMap(([r, c]) => {
          const out = [];
          if (c.lifecycle?.prevent_destroy !== true) out.push({ resource: r, detail: "no lifecycle.prevent_destroy" });
          if (!covered.get(r)) out.push({ resource: r, detail: "no snapshot policy targets it (nor its instance)" });
          return out;
        });
    },
  },
  {
    id: "snapshots-consistent",
    reason: "a host's data volumes are snapshotted together (DLM INSTANCE policy, boot volume excluded), never one by one",
    check: (s) => {
      const cover = dataVolumeCoverage(s);
      const perInstance = new Map<string, number>();
      for (const c of cover) if (c.instance) perInstance.set(c.instance, (perInstance.get(c.instance) ?? 0) + 1);
      return cover.flatMap((c) => {
        const out = [];
        const several = c.instance !== undefined && (perInstance.get(c.instance) ?? 0) > 1;
        if (several && c.alone.length) out.push({ resource: c.volume, detail: `snapshotted on its own by ${c.alone.join(", ")} (resource_types VOLUME): not at the same moment as the other data volumes of ${c.instance}` });
        if (several && c.withInstance.length === 0) out.push({ resource: c.volume, detail: `no INSTANCE snapshot policy targets ${c.instance}, so its data volumes are not captured together` });
        for (const p of c.withInstance) if (!p.excludeBootVolume) out.push({ resource: p.address, detail: "parameters.exclude_boot_volume is not true (the root disk would join every snapshot set)" });
        return out;
      }).filter((f, i, all) => all.findIndex((g) => g.resource === f.resource && g.detail === f.detail) === i);
    },
  },
  {
    id: "no-secrets",
    reason: "no secret-looking value in the Terraform JSON (it ends up in state and PR logs)",
    check: (s) => {
      const found: { resource: string; detail: string }[] = [];
      const walk = (v: unknown, where: string, key = "") => {
        if (typeof v === "string") {
          for (const [re, what] of SECRET_PATTERNS) if (re.test(v)) found.push({ resource: where, detail: `contains ${what}` });
          if (/^(password|passwd|secret|token)$/i.test(key) && v && !v.startsWith("${")) found.push({ resource: where, detail: `a literal ${key}` });
        } else if (Array.isArray(v)) v.forEach((x) => walk(x, where, key));
        else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, where, k);
      };
      for (const [type, byName] of Object.entries(s.resource ?? {})) for (const [n, c] of Object.entries(byName)) walk(c, `${type}.${n}`);
      walk(s.output ?? {}, "output");
      return found;
    },
  },
  {
    id: "s3-backend-safe",
    reason: "an S3 state backend encrypts and locks",
    check: (s) => {
      const b = s.terraform?.backend?.s3;
      if (!b) return [];
      const out = [];
      if (b.encrypt !== true) out.push({ resource: "terraform.backend.s3", detail: "encrypt is not true" });
      if (b.use_lockfile !== true && !b.dynamodb_table) out.push({ resource: "terraform.backend.s3", detail: "no locking (use_lockfile or dynamodb_table)" });
      return out;
    },
  },
  exporterMonitoringOnly,
  lbListenerTls,
  webappPrivateBehindLb,
];

/** Findings of every rule on one stack, with the environment's waivers applied. */
export function checkPolicy(stack: StackJson, waivers: Environment["waivers"] = []): Finding[] {
  const findings: Finding[] = [];
  for (const rule of RULES)
    for (const f of rule.check(stack)) {
      const w = waivers.find((x) => x.rule === rule.id && (x.resource === f.resource || f.resource.startsWith(`${x.resource}`)));
      findings.push({ rule: rule.id, resource: f.resource, detail: f.detail, ...(w ? { waived: w.reason } : {}) });
    }
  return findings;
}
