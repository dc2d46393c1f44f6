/**
 * The alert rules generated from the shipped environment files, checked by the real
 * Prometheus tools: `promtool check rules` (syntax, lint) and `promtool test rules` — for every
 * kind of alert, given series make it fire (with its exact labels and annotations, e.g.
 * "run make unlock-database" for an encrypted volume) and others leave it silent.
 * Skipped, with a line saying so, where promtool is not installed.
 */
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import type { Inventory } from "../../runner/inventory";
import { inventoryFor, renderMonitoring, runTool, tool } from "./render";

const promtool = tool("promtool", "alert rule tests");
const maybe = promtool ? test : test.skip;

type Labels = Record<string, string>;
interface RuleDef {
  alert: string;
  expr: string;
  labels?: Labels;
  annotations?: Labels;
}

function rulesOf(file: string): RuleDef[] {
  return (YAML.parse(fs.readFileSync(file, "utf8")).groups as { rules: RuleDef[] }[]).flatMap((g) => g.rules ?? []);
}

const seriesText = (name: string, l: Labels) => `${name}{${Object.entries(l).map(([k, v]) => `${k}="${v}"`).join(",")}}`;

/** The alert a rule raises for a series: its labels, and its annotations with $labels / $value filled in. */
function expected(rules: RuleDef[], alert: string, ruleLabels: Labels, seriesLabels: Labels, valueText = "") {
  const rule = rules.find((r) => r.alert === alert && Object.entries(ruleLabels).every(([k, v]) => r.labels?.[k] === v));
  if (!rule) throw new Error(`no rule ${alert} ${JSON.stringify(ruleLabels)}`);
  const fill = (s: string) => s.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, k) => seriesLabels[k]).replace(/\{\{ \$value[^}]*\}\}/g, valueText);
  return {
    exp_labels: { ...seriesLabels, ...(rule.labels ?? {}) },
    exp_annotations: Object.fromEntries(Object.entries(rule.annotations ?? {}).map(([k, v]) => [k, fill(v)])),
  };
}

/**
 * promtool unit tests covering every alert kind, for one environment's rules: minutes-long
 * cases evaluated every minute, the day-long ones (pipeline, certificate) every hour — promtool
 * evaluates every rule at every step up to the last eval_time, so one file would take minutes.
 */
function unitTests(inv: Inventory, rules: RuleDef[]) {
  const env = inv.env;
  const m = env.monitoring!;
  const node = (hostName: string, extra: Labels = {}): Labels => {
    const h = inv.hosts.find((x) => x.name === hostName)!;
    return { job: "node", instance: `${h.privateIp}:${m.exporterPort}`, tier: h.tier, host: h.name, ...extra };
  };
  const tierWith = (key: "services" | "pipelines" | "certificates") => Object.entries(m.checks).find(([, c]) => c[key].length > 0)!;
  const [svcTier, svcChecks] = tierWith("services");
  const [pipeTier, pipeChecks] = tierWith("pipelines");
  const [certTier, certChecks] = tierWith("certificates");
  const host = (tier: string) => inv.groups[tier][0].name;
  const volTier = Object.keys(env.tiers).find((t) => env.tiers[t].volumes.length >= 2)!;
  const [full, roomy] = env.tiers[volTier].volumes;
  const volHost = host(volTier);
  const otherHost = inv.hosts.find((h) => h.name !== volHost)!.name;

  const fsLabels = (mp: string) => node(volHost, { mountpoint: mp, device: "/dev/mapper/x", fstype: full.filesystem });
  const mounted = (v: typeof full) => node(volHost, { volume: v.name, mountpoint: v.mountPoint, encrypted: v.encryption === "luks" ? "true" : "false" });
  const svcDown = node(host(svcTier), { service: svcChecks.services[0], manager: "supervisord" });
  const svcUp = svcChecks.services[1] ? node(host(svcTier), { service: svcChecks.services[1], manager: "systemd" }) : undefined;
  const pipe = node(host(pipeTier), { pipeline: pipeChecks.pipelines[0] });
  const cert = node(host(certTier), { path: certChecks.certificates[0] });

  const minutes = {
    rule_files: ["multitier-rules/alerts.yml"],
    evaluation_interval: "1m",
    tests: [
      {
        interval: "1m",
        input_series: [
          { series: seriesText("up", node(volHost)), values: "0x20" },
          { series: seriesText("up", node(otherHost)), values: "1x20" },
          { series: seriesText("multitier_collector_last_run_timestamp_seconds", node(volHost)), values: "0x20" },
          { series: seriesText("multitier_collector_last_run_timestamp_seconds", node(otherHost)), values: "0+60x20" },
          { series: seriesText("node_filesystem_size_bytes", fsLabels(full.mountPoint)), values: "1000x20" },
          { series: seriesText("node_filesystem_avail_bytes", fsLabels(full.mountPoint)), values: "100x20" },
          { series: seriesText("node_filesystem_size_bytes", fsLabels(roomy.mountPoint)), values: "1000x20" },
          { series: seriesText("node_filesystem_avail_bytes", fsLabels(roomy.mountPoint)), values: "600x20" },
          { series: seriesText("multitier_volume_mounted", mounted(full)), values: "0x20" },
          { series: seriesText("multitier_volume_mounted", mounted(roomy)), values: "1x20" },
          { series: seriesText("multitier_service_up", svcDown), values: "0x20" },
          ...(svcUp ? [{ series: seriesText("multitier_service_up", svcUp), values: "1x20" }] : []),
          { series: seriesText("multitier_clock_offset_seconds", node(volHost)), values: "-0.9x20" },
          { series: seriesText("multitier_clock_offset_seconds", node(otherHost)), values: "0.01x20" },
          { series: seriesText("multitier_tls_certificate_readable", cert), values: "0x20" },
        ],
        alert_rule_test: [
          // nothing has lasted its `for:` yet at 0m
          { eval_time: "0m", alertname: "HostUnreachable", exp_alerts: [] },
          { eval_time: "10m", alertname: "HostUnreachable", exp_alerts: [expected(rules, "HostUnreachable", {}, node(volHost))] },
          // the stale collector: its last run is 20 minutes old at 20m; the other one runs
          { eval_time: "20m", alertname: "CollectorNotRunning", exp_alerts: [expected(rules, "CollectorNotRunning", {}, node(volHost))] },
          { eval_time: "10m", alertname: "VolumeFull", exp_alerts: [expected(rules, "VolumeFull", { tier: volTier, volume: full.name }, fsLabels(full.mountPoint), "90")] },
          { eval_time: "10m", alertname: "VolumeNotMounted", exp_alerts: [expected(rules, "VolumeNotMounted", { tier: volTier, volume: full.name }, mounted(full))] },
          { eval_time: "10m", alertname: "ServiceDown", exp_alerts: [expected(rules, "ServiceDown", { tier: svcTier, service: svcChecks.services[0] }, svcDown)] },
          { eval_time: "10m", alertname: "ClockOffset", exp_alerts: [expected(rules, "ClockOffset", {}, node(volHost), "900m")] },
          { eval_time: "10m", alertname: "CertificateUnreadable", exp_alerts: [expected(rules, "CertificateUnreadable", { tier: certTier }, cert)] },
        ],
      },
    ],
  };
  const hours = {
    rule_files: ["multitier-rules/alerts.yml"],
    evaluation_interval: "1h",
    tests: [
      {
        // the pipeline last succeeded at 0: fine after 25 h, alerting after 27 h
        interval: "1h",
        input_series: [{ series: seriesText("multitier_pipeline_last_success_timestamp_seconds", pipe), values: "0x30" }],
        alert_rule_test: [
          { eval_time: "25h", alertname: "PipelineNotSuccessful", exp_alerts: [] },
          { eval_time: "27h", alertname: "PipelineNotSuccessful", exp_alerts: [expected(rules, "PipelineNotSuccessful", { tier: pipeTier, pipeline: pipeChecks.pipelines[0] }, pipe)] },
        ],
      },
      {
        // the certificate expires at day 20: 15 days left at day 5 (quiet), 13 at day 7 (alert)
        interval: "1d",
        input_series: [{ series: seriesText("multitier_tls_certificate_expiry_timestamp_seconds", cert), values: `${20 * 86400}x10` }],
        alert_rule_test: [
          { eval_time: "5d", alertname: "CertificateExpiringSoon", exp_alerts: [] },
          { eval_time: "7d", alertname: "CertificateExpiringSoon", exp_alerts: [expected(rules, "CertificateExpiringSoon", { tier: certTier }, cert, "13d 0h 0m 0s")] },
        ],
      },
    ],
  };
  return { minutes, hours };
}

describe.each(["production", "lab"])("alert rules of hosts/%s.yaml", (envName) => {
  let out: ReturnType<typeof renderMonitoring>;
  let inv: Inventory;
  beforeAll(() => {
    inv = inventoryFor(envName);
    out = renderMonitoring(inv);
  });
  afterAll(() => fs.rmSync(out.dir, { recursive: true, force: true }));

  test("one rule per declared volume (full, not mounted), service, pipeline and certificate", () => {
    const rules = rulesOf(out.rules);
    const volumes = Object.entries(inv.env.tiers).flatMap(([t, s]) => s.volumes.map((v) => [t, v] as const));
    const checks = Object.values(inv.env.monitoring!.checks);
    expect(rules.filter((r) => r.alert === "VolumeFull")).toHaveLength(volumes.length);
    expect(rules.filter((r) => r.alert === "VolumeNotMounted")).toHaveLength(volumes.length);
    expect(rules.filter((r) => r.alert === "ServiceDown").map((r) => r.labels!.service).sort()).toEqual(checks.flatMap((c) => c.services).sort());
    expect(rules.filter((r) => r.alert === "PipelineNotSuccessful")).toHaveLength(checks.flatMap((c) => c.pipelines).length);
    expect(rules.filter((r) => r.alert === "CertificateExpiringSoon")).toHaveLength(checks.flatMap((c) => c.certificates).length);
    // "run make unlock-<tier>" exactly on the encrypted volumes
    for (const [t, v] of volumes) {
      const r = rules.find((x) => x.alert === "VolumeNotMounted" && x.labels!.tier === t && x.labels!.volume === v.name)!;
      expect(r.expr).toContain(`mountpoint="${v.mountPoint}"`);
      if (v.encryption === "luks") expect(r.annotations!.description).toContain(`run make unlock-${t} ENV=${inv.env.name}`);
      else expect(r.annotations!.description).not.toContain("unlock");
    }
    const th = inv.env.monitoring!.thresholds;
    expect(rules.find((r) => r.alert === "PipelineNotSuccessful")!.expr).toContain(`> ${th.pipelineMaxAgeHours} * 3600`);
    expect(rules.find((r) => r.alert === "CertificateExpiringSoon")!.expr).toContain(`< ${th.certificateDays} * 86400`);
  });

  maybe("promtool check rules accepts them", () => {
    const r = runTool(promtool!, ["check", "rules", out.rules]);
    expect(r.out).toContain(`SUCCESS: ${rulesOf(out.rules).length} rules found`);
    expect(r.status).toBe(0);
  });

  maybe("promtool test rules: every alert kind fires on its series and stays quiet on the others", () => {
    const { minutes, hours } = unitTests(inv, rulesOf(out.rules));
    fs.writeFileSync(path.join(out.dir, "minutes.test.yml"), YAML.stringify(minutes));
    fs.writeFileSync(path.join(out.dir, "hours.test.yml"), YAML.stringify(hours));
    const r = runTool(promtool!, ["test", "rules", "minutes.test.yml", "hours.test.yml"], { cwd: out.dir });
    if (r.status !== 0) console.log(r.out);
    expect(r.out.match(/SUCCESS/g)).toHaveLength(2);
    expect(r.status).toBe(0);
  });

  maybe("promtool test rules fails when an expectation is wrong (the test can fail)", () => {
    const tests = unitTests(inv, rulesOf(out.rules)).hours;
    tests.tests[0].alert_rule_test[0].exp_alerts = tests.tests[0].alert_rule_test[1].exp_alerts; // expect the pipeline alert at 25 h
    const file = path.join(out.dir, "wrong.test.yml");
    fs.writeFileSync(file, YAML.stringify(tests));
    const r = runTool(promtool!, ["test", "rules", file], { cwd: out.dir });
    expect(r.out).toContain("FAILED");
    expect(r.status).not.toBe(0);
  });
});
