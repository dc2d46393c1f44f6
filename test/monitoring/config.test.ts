/**
 * The monitoring host's configuration and every host's agent files, rendered from the shipped
 * environment files: Prometheus's passes `promtool check config` and scrapes exactly the
 * inventory's hosts plus the bastion (on their private addresses), Alertmanager's passes
 * `amtool check-config` and sends where the file says; each host's exporter listens on its
 * private address only and its collector checks what its tier declares. The real tools are
 * used; a test that needs one that is missing is skipped with a line saying so.
 */
import * as fs from "fs";
import YAML from "yaml";
import type { Inventory } from "../../runner/inventory";
import { Masker } from "../../runner/secrets/mask";
import { render } from "../../runner/template";
import { inventoryFor, renderMonitoring, runTool, tool, VAULT, varsOf } from "./render";

const promtool = tool("promtool", "promtool check config");
const amtool = tool("amtool", "amtool check-config");

describe.each(["production", "lab"])("monitoring configuration of hosts/%s.yaml", (envName) => {
  let out: ReturnType<typeof renderMonitoring>;
  let inv: Inventory;
  beforeAll(() => {
    inv = inventoryFor(envName, envName === "lab" ? "10.213.0.1" : "192.168.0.10");
    out = renderMonitoring(inv);
  });
  afterAll(() => fs.rmSync(out.dir, { recursive: true, force: true }));

  (promtool ? test : test.skip)("promtool check config accepts prometheus.yml and finds the rule file", () => {
    const r = runTool(promtool!, ["check", "config", out.prometheus]);
    expect(r.out).toContain("SUCCESS: 1 rule files found");
    expect(r.status).toBe(0);
  });

  (amtool ? test : test.skip)("amtool check-config accepts alertmanager.yml", () => {
    const r = runTool(amtool!, ["check-config", out.alertmanager]);
    expect(r.out).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });

  (amtool ? test : test.skip)("amtool check-config rejects a broken one (the check can fail)", () => {
    const bad = out.alertmanager.replace(/\.yml$/, ".bad.yml");
    fs.writeFileSync(bad, fs.readFileSync(out.alertmanager, "utf8").replace("receiver: operators", "receiver: nobody"));
    const r = runTool(amtool!, ["check-config", bad]);
    expect(r.out).toMatch(/undefined receiver "nobody"/);
    expect(r.status).not.toBe(0);
  });

  test("scrape targets are the inventory's hosts and the bastion, each with its tier and host labels", () => {
    const cfg = YAML.parse(fs.readFileSync(out.prometheus, "utf8"));
    const node = cfg.scrape_configs.find((s: any) => s.job_name === "node");
    const port = inv.env.monitoring!.exporterPort;
    const got = node.static_configs.map((s: any) => [s.targets, s.labels]);
    expect(got).toEqual([
      [[`${inv.bastion.privateIp}:${port}`], { tier: "bastion", host: "bastion" }],
      ...inv.hosts.map((h) => [[`${h.privateIp}:${port}`], { tier: h.tier, host: h.name }]),
    ]);
    expect(cfg.global).toMatchObject({ scrape_interval: inv.env.monitoring!.scrapeInterval, evaluation_interval: inv.env.monitoring!.evaluationInterval });
    expect(cfg.alerting.alertmanagers[0].static_configs[0].targets).toEqual(["127.0.0.1:9093"]);
  });

  test("a host added to the inventory is scraped without touching a template", () => {
    const extra = { ...inv.hosts[0], name: `${inv.hosts[0].tier}-2`, privateIp: "192.0.2.77", address: "192.0.2.77" };
    const more: Inventory = { ...inv, hosts: [...inv.hosts, extra], groups: { ...inv.groups, [extra.tier]: [...inv.groups[extra.tier], extra] } };
    const text = render({ file: "prometheus.yml.hbs" }, varsOf(more, inv.groups[inv.env.monitoring!.tier][0].name));
    expect(text).toContain(`- targets: ["192.0.2.77:${inv.env.monitoring!.exporterPort}"]`);
  });

  test("alerts go where the environment file says", () => {
    const am = YAML.parse(fs.readFileSync(out.alertmanager, "utf8"));
    const a = inv.env.monitoring!.alerts;
    const receiver = am.receivers.find((r: any) => r.name === am.route.receiver);
    if (a.smtp) {
      expect(am.global).toMatchObject({ smtp_smarthost: `${a.smtp.relay}:${a.smtp.port}`, smtp_require_tls: true, smtp_auth_username: "AKIDEXAMPLEUSER", smtp_auth_password: 'smtp p@ss"word' });
      expect(a.smtp.port).toBe(587);
      expect(receiver.email_configs.map((e: any) => e.to)).toEqual(a.smtp.to);
    } else expect(receiver.email_configs).toBeUndefined();
    if (a.webhook) expect(receiver.webhook_configs).toEqual([{ url: a.webhook.url, send_resolved: true }]);
    else expect(receiver.webhook_configs).toBeUndefined();
  });

  test("the SMTP password, quoted into alertmanager.yml, is masked in what a run shows (--diff)", () => {
    const text = fs.readFileSync(out.alertmanager, "utf8");
    const m = new Masker();
    m.addAll(VAULT);
    expect(m.mask(text)).not.toContain("p@ss");
    if (inv.env.monitoring!.alerts.smtp) expect(text).toContain('smtp_auth_password: "smtp p@ss\\"word"'); // JSON-escaped in the file
  });

  test("each host's exporter listens on its private address and its collector checks its tier's declarations", () => {
    for (const h of inv.hosts) {
      const vars = varsOf(inv, h.name);
      const args = render({ file: "node-exporter.default.hbs" }, vars);
      expect(args).toContain(`--web.listen-address=${h.privateIp}:${inv.env.monitoring!.exporterPort} `);
      expect(args).not.toMatch(/listen-address=(0\.0\.0\.0)?:/);
      const cfg = JSON.parse(render({ file: "collector.json.hbs" }, vars));
      expect(cfg.tier).toBe(h.tier);
      expect(Object.entries(cfg.volumes).map(([n, v]: [string, any]) => [n, v.mountPoint, v.encryption])).toEqual(inv.env.tiers[h.tier].volumes.map((v) => [v.name, v.mountPoint, v.encryption]));
      expect(cfg.checks[h.tier] ?? null).toEqual(inv.env.monitoring!.checks[h.tier] ?? null);
    }
  });

  test("the collector's timer runs at the declared interval", () => {
    const timer = render({ file: "multitier-collector.timer.hbs" }, varsOf(inv, inv.hosts[0].name));
    expect(timer).toContain(`OnUnitActiveSec=${inv.env.monitoring!.collectorInterval}\n`);
  });
});

test("vault create: SMTP credentials to fill in when alerts go by mail, none for a webhook only", () => {
  const { newSecrets } = require("../../runner/secrets/template") as typeof import("../../runner/secrets/template");
  expect((newSecrets(inventoryFor("production").env) as any).monitoring).toEqual({ smtp: { username: "REPLACE_ME", password: "REPLACE_ME" } });
  expect((newSecrets(inventoryFor("lab").env) as any).monitoring).toBeUndefined();
});
