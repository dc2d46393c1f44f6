/**
 * The `monitoring` section of an environment file: where Prometheus and Alertmanager run
 * (a private tier, reached through an SSH tunnel), where alerts go (an SMTP relay on 587
 * and/or a webhook), the thresholds and intervals the alert rules are generated with, and
 * what each tier's textfile collector checks beyond its declared volumes (services,
 * pipelines, certificates). Kept out of schema.ts so the section is read in one place;
 * `monitoringErrors` holds the checks that need the rest of the file (tiers, subnets).
 */
import { z } from "zod";
import { show } from "./errors";
import { parseCidr } from "./cidr";
import type { Path } from "./yamlsource";

/** The section's defaults, each with what it means (README "Monitoring" lists them). */
export const MONITORING_DEFAULTS = {
  enabled: { value: true, doc: "monitoring is on once the section is declared" },
  tier: { value: "monitoring", doc: "the private tier that runs Prometheus and Alertmanager" },
  exporterPort: { value: 9100, doc: "node exporter port, open to the monitoring tier only" },
  scrapeInterval: { value: "30s", doc: "how often Prometheus scrapes every exporter" },
  evaluationInterval: { value: "30s", doc: "how often alert rules are evaluated" },
  collectorInterval: { value: "60s", doc: "how often the textfile collector runs on each host (systemd timer; cron: every minute)" },
  smtpPort: { value: 587, doc: "SMTP relay port (submission with STARTTLS; AWS throttles 25)" },
  diskUsedPercent: { value: 85, doc: "a volume fuller than this (percent) alerts" },
  clockOffsetSeconds: { value: 0.5, doc: "a clock further than this from chrony's sources alerts" },
  pipelineMaxAgeHours: { value: 26, doc: "a pipeline without a successful run for this long alerts" },
  certificateDays: { value: 14, doc: "a TLS certificate expiring within this many days alerts" },
  hostDownFor: { value: "5m", doc: "an exporter unreachable this long alerts" },
  serviceDownFor: { value: "2m", doc: "a service down this long alerts" },
  volumeUnmountedFor: { value: "1m", doc: "a declared volume not mounted this long alerts" },
} as const;
const M = Object.fromEntries(Object.entries(MONITORING_DEFAULTS).map(([k, v]) => [k, v.value])) as {
  [K in keyof typeof MONITORING_DEFAULTS]: (typeof MONITORING_DEFAULTS)[K]["value"];
};

const expecting = (what: string) => ({
  errorMap: (_i: z.ZodIssueOptionalMessage, ctx: z.ErrorMapCtx) => ({ message: `expected ${what}, got ${show(ctx.data)}` }),
});
const str = (what: string) => z.string(expecting(what)).min(1);
const bool = () => z.boolean(expecting("true or false"));
const port = () => z.number(expecting("a port number 1-65535")).int().min(1).max(65535);
const positive = (what: string) => z.number(expecting(what)).positive();
const list = <T extends z.ZodTypeAny>(item: T) => z.array(item, expecting("a list"));
const mapping = (what: string) => expecting(what);
/** Prometheus durations as the configuration files take them: 15s, 2m, 1h */
const duration = () => z.string(expecting("a duration such as 30s, 5m or 1h")).regex(/^[1-9][0-9]*(ms|s|m|h|d)$/, { message: "expected a duration such as 30s, 5m or 1h" });
const cidr = () =>
  z.string(expecting("a CIDR block")).refine((v) => parseCidr(v) !== undefined, (v) => ({ message: `expected a CIDR block such as 198.51.100.7/32, got ${show(v)}` }));
const name = (what: string) => z.string(expecting(what)).regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, { message: `expected ${what} (letters, digits, _ . @ -)` });
const absPath = () => z.string(expecting("an absolute path")).regex(/^\/[A-Za-z0-9._/-]+$/, { message: "expected an absolute path" });

const smtp = z
  .object(
    {
      relay: str("the SMTP relay's host name"),
      port: port().default(M.smtpPort),
      from: str("an e-mail address").email({ message: "expected an e-mail address" }),
      to: list(z.string(expecting("an e-mail address")).email({ message: "expected an e-mail address" })).min(1),
      /** where the relay's addresses lie (its security-group egress); default: anywhere */
      egressCidrs: list(cidr()).min(1).optional(),
    },
    mapping("a mapping with relay, from and to"),
  )
  .strict();

const webhook = z
  .object(
    {
      url: z.string(expecting("an http(s) URL")).regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, { message: "expected an http(s) URL" }),
      egressCidrs: list(cidr()).min(1).optional(),
    },
    mapping("a mapping with url"),
  )
  .strict();

const checks = z
  .object(
    {
      /** supervisord programs or systemd units that must be running on the tier's hosts */
      services: list(name("a service name")).default([]),
      /** cron jobs run through multitier-job <name> …, which records their last success */
      pipelines: list(name("a pipeline name")).default([]),
      /** PEM certificates whose expiry date is watched */
      certificates: list(absPath()).default([]),
    },
    mapping("a mapping with services, pipelines or certificates"),
  )
  .strict();

export const monitoringSchema = z
  .object(
    {
      enabled: bool().default(M.enabled),
      tier: str("a tier name").default(M.tier),
      exporterPort: port().default(M.exporterPort),
      scrapeInterval: duration().default(M.scrapeInterval),
      evaluationInterval: duration().default(M.evaluationInterval),
      collectorInterval: duration().default(M.collectorInterval),
      alerts: z.object({ smtp: smtp.optional(), webhook: webhook.optional() }, mapping("a mapping with smtp and/or webhook")).strict(),
      thresholds: z
        .object(
          {
            diskUsedPercent: z.number(expecting("a percentage 1-99")).min(1).max(99).default(M.diskUsedPercent),
            clockOffsetSeconds: positive("a number of seconds").default(M.clockOffsetSeconds),
            pipelineMaxAgeHours: positive("a number of hours").default(M.pipelineMaxAgeHours),
            certificateDays: positive("a number of days").default(M.certificateDays),
            hostDownFor: duration().default(M.hostDownFor),
            serviceDownFor: duration().default(M.serviceDownFor),
            volumeUnmountedFor: duration().default(M.volumeUnmountedFor),
          },
          mapping("a mapping of thresholds"),
        )
        .strict()
        .default({}),
      /** tier name (or "bastion") -> what its collector checks */
      checks: z.record(z.string(), checks, mapping("a mapping of tier names to checks")).default({}),
    },
    mapping("a monitoring mapping"),
  )
  .strict();

export type MonitoringSpec = z.output<typeof monitoringSchema>;

/** The part of an environment these checks read (kept structural: no import cycle with schema.ts). */
interface EnvView {
  monitoring?: MonitoringSpec;
  tiers: Record<string, { subnet: string }>;
}

/** The webhook's port (from its URL: explicit, else 443/80 by scheme). */
export function webhookPort(url: string): number {
  const u = new URL(url);
  return u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
}

/** Checks that need the rest of the file; [path, message] like validate.ts's. A disabled section is only shape-checked. */
export function monitoringErrors(env: EnvView): { path: Path; message: string; onKey?: boolean }[] {
  const m = env.monitoring;
  if (!m || !m.enabled) return [];
  const errors: { path: Path; message: string; onKey?: boolean }[] = [];
  const tiers = Object.keys(env.tiers);
  const known = (t: string) => tiers.includes(t);
  if (!known(m.tier)) errors.push({ path: ["monitoring", "tier"], message: `expected a tier of this file (${tiers.join(", ")}), got "${m.tier}"; declare the monitoring tier under tiers:` });
  else if (env.tiers[m.tier].subnet !== "private")
    errors.push({ path: ["monitoring", "tier"], message: `the monitoring tier "${m.tier}" must be in the private subnet (reached through an SSH tunnel), got ${env.tiers[m.tier].subnet}` });
  else if (m.tier !== M.tier)
    errors.push({ path: ["monitoring", "tier"], message: `expected "${M.tier}" (playbooks/monitoring.yml and make tunnel-monitoring target that tier), got "${m.tier}"` });
  if (!m.alerts.smtp && !m.alerts.webhook) errors.push({ path: ["monitoring", "alerts"], message: "expected smtp and/or webhook: alerts must go somewhere" });
  for (const t of Object.keys(m.checks))
    if (!known(t) && t !== "bastion") errors.push({ path: ["monitoring", "checks", t], message: `expected a tier name or "bastion", got "${t}"`, onKey: true });
  const hook = m.alerts.webhook;
  if (hook && !hook.egressCidrs && !/^\d+\.\d+\.\d+\.\d+$/.test(new URL(hook.url).hostname) && ![80, 443].includes(webhookPort(hook.url)))
    errors.push({ path: ["monitoring", "alerts", "webhook", "egressCidrs"], message: `expected the CIDR blocks of ${new URL(hook.url).hostname} (port ${webhookPort(hook.url)} is not open to the world by default)` });
  return errors;
}
