/**
 * The monitoring templates rendered as a real run would render them, for any shipped
 * environment file: an inventory shaped like the stack's (or the lab's) outputs, a test vault,
 * and the real runner's variables. Also: finding the real tools (promtool, amtool, …) and a
 * skip line when one is missing.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadEnvironmentFile } from "../../config/load";
import type { Inventory, InventoryHost } from "../../runner/inventory";
import { FACTS, ROOT, TEST_VAULT } from "../tiers/render";
import { render } from "../../runner/template";
import { buildVars } from "../../runner/vars";
import type { Play } from "../../runner/playbook";

export { ROOT };

export const VAULT = { ...TEST_VAULT, monitoring: { smtp: { username: "AKIDEXAMPLEUSER", password: "smtp p@ss\"word" } } };

/** Hosts get their fixed IPs, or .10, .11 … of their subnet as the lab and AWS would pick. */
/** hosts/<env>.yaml */
export function envFileFor(envName: string): string {
  return path.join(ROOT, "hosts", `${envName}.yaml`);
}

export function inventoryFor(envName: string, bastionPrivateIp = "192.168.0.10"): Inventory {
  const env = loadEnvironmentFile(envFileFor(envName));
  const next: Record<string, number> = { public: 10, private: 10 };
  const subnetBase = (kind: "public" | "private") => (kind === "public" ? env.network.publicSubnets[0] : env.network.privateSubnets[0]).split("/")[0].split(".").slice(0, 3).join(".");
  const hosts: InventoryHost[] = env.hosts.map((h) => {
    const ip = h.privateIp ?? `${subnetBase(h.subnet)}.${next[h.subnet]++}`;
    return { name: h.name, tier: h.tier, privateIp: ip, ipv6: undefined, user: env.sshUser, address: ip, port: 22, volumes: Object.fromEntries(h.volumes.map((v) => [v.name, { ...v }])) };
  });
  const groups = Object.fromEntries(Object.keys(env.tiers).map((t) => [t, hosts.filter((h) => h.tier === t)]));
  const bastionHost: InventoryHost = { name: "bastion", tier: "bastion", privateIp: bastionPrivateIp, ipv6: undefined, user: "ubuntu", volumes: {}, address: bastionPrivateIp, port: 22 };
  return { env, bastion: { address: "198.51.100.10", port: 22, user: "ubuntu", privateIp: bastionPrivateIp }, bastionHost, hosts, groups, outputsFile: "", knownHostsFile: "" };
}

export function varsOf(inv: Inventory, hostName: string): Record<string, unknown> {
  const host = inv.hosts.find((h) => h.name === hostName)!;
  const play = { name: "t", hosts: host.tier, become: true, vars: {}, tags: [], tasks: [], handlers: [], where: { file: "", line: 0, col: 0, field: "" } } as Play;
  return buildVars(inv, host, play, undefined, FACTS, VAULT);
}

export function monitoringHost(inv: Inventory): string {
  return inv.groups[inv.env.monitoring!.tier][0].name;
}

/** Render the monitoring host's files into a fresh directory laid out like /etc/prometheus. */
export function renderMonitoring(inv: Inventory): { dir: string; prometheus: string; rules: string; alertmanager: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multitier-monitoring-"));
  const vars = varsOf(inv, monitoringHost(inv));
  fs.mkdirSync(path.join(dir, "multitier-rules"));
  const out = { dir, prometheus: path.join(dir, "prometheus.yml"), rules: path.join(dir, "multitier-rules", "alerts.yml"), alertmanager: path.join(dir, "alertmanager.yml") };
  fs.writeFileSync(out.prometheus, render({ file: "prometheus.yml.hbs" }, vars));
  fs.writeFileSync(out.rules, render({ file: "prometheus-alerts.yml.hbs" }, vars));
  fs.writeFileSync(out.alertmanager, render({ file: "alertmanager.yml.hbs" }, vars));
  return out;
}

/** The tool's path, or undefined after printing why the test that needs it is skipped. */
export function tool(name: string, why: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  const found = r.status === 0 ? r.stdout.trim() : undefined;
  if (!found) console.log(`SKIP ${why}: ${name} is not installed (Debian: apt-get install prometheus prometheus-alertmanager; make setup)`);
  return found;
}

export function runTool(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd: opts.cwd, input: opts.input, timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}
