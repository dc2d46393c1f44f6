/**
 * The monitoring playbooks as the runner would run them, short of a host: they load (module
 * arguments checked), and for every host of the shipped environments — the bastion included —
 * each task's `when` is evaluated and every templated argument renders (strict mode: a missing
 * variable fails here, not on a host). With monitoring off (staging) no agent task runs; the
 * intake pipeline's cron job goes through multitier-job.
 */
import type { Facts } from "../../runner/agent/protocol";
import type { Inventory, InventoryHost } from "../../runner/inventory";
import { jexl, loadPlaybook, type Play } from "../../runner/playbook";
import { render } from "../../runner/template";
import { buildVars } from "../../runner/vars";
import { playMatches } from "../../runner/selection";
import { FACTS } from "../tiers/render";
import { inventoryFor, VAULT } from "./render";

const NO_SYSTEMD: Facts = { ...FACTS, init: "other" } as Facts;

function renderDeep(v: unknown, vars: Record<string, unknown>): unknown {
  if (typeof v === "string") return v.includes("{{") ? render({ inline: v }, vars) : v;
  if (Array.isArray(v)) return v.map((x) => renderDeep(x, vars));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderDeep(x, vars)]));
  return v;
}

/** name -> rendered args of every task that would run on this host (handlers: rendered as if notified) */
function dryRun(inv: Inventory, host: InventoryHost, plays: Play[], facts: Facts, handlers = true): Map<string, Record<string, unknown>[]> {
  const ran = new Map<string, Record<string, unknown>[]>();
  for (const play of plays.filter((p) => playMatches(p.hosts, host)))
    for (const task of [...play.tasks, ...(handlers ? play.handlers : [])]) {
      const base = buildVars(inv, host, play, task, facts, VAULT);
      const items: unknown[] = task.loop ? (jexl.evalSync(task.loop, base) as unknown[]) : [undefined];
      for (const item of items) {
        const vars = item === undefined ? base : { ...base, item };
        if (task.when !== undefined && !jexl.evalSync(task.when, vars)) continue;
        const name = render({ inline: task.name }, vars);
        ran.set(name, [...(ran.get(name) ?? []), renderDeep(task.args, vars) as Record<string, unknown>]);
      }
    }
  return ran;
}

const plays = () => [...loadPlaybook("common").plays, ...loadPlaybook("monitoring").plays];

test("the playbooks load with their module arguments checked", () => {
  expect(loadPlaybook("monitoring").plays.map((p) => p.hosts)).toEqual(["monitoring", "bastion", "monitoring"]);
  expect(loadPlaybook("common").plays.map((p) => p.name)).toEqual(["common base", "monitoring agent"]);
  expect(loadPlaybook("analysis").plays.length).toBeGreaterThan(0);
});

describe.each([
  ["production", FACTS],
  ["lab", NO_SYSTEMD],
  ["lab", FACTS],
])("hosts/%s.yaml", (envName, facts) => {
  const inv = inventoryFor(envName, envName === "lab" ? "10.213.0.1" : "192.168.0.10");
  const label = facts.init === "systemd" ? "systemd" : "no systemd";

  test(`every host, the bastion included, gets the exporter and the collector, by systemd or supervisord and cron (${label})`, () => {
    for (const host of [...inv.hosts, inv.bastionHost!]) {
      const ran = dryRun(inv, host, plays(), facts);
      expect(ran.has("node exporter (distribution package)")).toBe(true);
      expect(ran.get("what the collector checks on this host (from the environment file)")).toHaveLength(1);
      if (facts.init === "systemd") {
        expect(ran.get("node exporter running (systemd)")).toHaveLength(1);
        expect(ran.has("collector timer running (systemd)")).toBe(true);
        expect(ran.has("collector every minute (cron, hosts without systemd)")).toBe(false);
      } else {
        const program = ran.get("supervisord program prometheus-node-exporter")!;
        expect(program).toHaveLength(1);
        expect(ran.has("collector every minute (cron, hosts without systemd)")).toBe(true);
        expect(ran.has("node exporter running (systemd)")).toBe(false);
      }
    }
  });

  test(`Prometheus and Alertmanager only on the monitoring tier, each file checked by its tool (${label})`, () => {
    for (const host of [...inv.hosts, inv.bastionHost!]) {
      const ran = dryRun(inv, host, plays(), facts);
      const validates = ["alert rules from the environment file (promtool check rules)", "scrape targets from the inventory (promtool check config)", "alert destinations (amtool check-config; SMTP credentials from the vault)"].map(
        (n) => ran.get(n)?.[0]?.validate,
      );
      if (host.tier === inv.env.monitoring!.tier) expect(validates).toEqual(["promtool check rules %s", "promtool check config %s", "amtool check-config %s"]);
      else expect(validates).toEqual([undefined, undefined, undefined]);
    }
  });
});

test("with monitoring off (staging) no agent task runs", () => {
  const inv = inventoryFor("staging");
  for (const host of inv.hosts) {
    const ran = dryRun(inv, host, loadPlaybook("common").plays, FACTS, false);
    expect([...ran.keys()].filter((n) => /exporter|collector/.test(n))).toEqual([]);
    expect(ran.has("base packages")).toBe(true);
  }
});

test("the intake pipeline runs through multitier-job; the other jobs are unchanged", () => {
  const inv = inventoryFor("production");
  const ran = dryRun(inv, inv.groups.analysis[0], loadPlaybook("analysis").plays, FACTS);
  const jobs = ran.get("analysis jobs in the crontab")![0].jobs as { name: string; job: string }[];
  const intake = jobs.find((j) => j.name === "intake pipeline")!;
  expect(intake.job).toBe("/usr/local/bin/multitier-job intake 'cd /code/e-mission-server && PATH=/code/venv/bin:/usr/bin:/bin ./e-mission-py.bash bin/intake_multiprocess.py 3' >> /log/emission/intake.stdinout 2>&1");
  expect(jobs.filter((j) => j.job.includes("multitier-job"))).toHaveLength(1);
  expect(ran.get("cron job wrapper (records a pipeline's last success for monitoring)")![0]).toMatchObject({ src: "monitoring/multitier-job", dest: "/usr/local/bin/multitier-job", mode: "0755" });
});
