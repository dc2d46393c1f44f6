/**
 * Render the real templates with the variables a real run would give them: the production
 * environment file, outputs shaped like the stack's, a test vault, and a play's vars.
 */
import * as path from "path";
import { loadEnvironmentFile } from "../../config/load";
import type { Facts } from "../../runner/agent/protocol";
import type { Inventory, InventoryHost } from "../../runner/inventory";
import { render } from "../../runner/template";
import { buildVars } from "../../runner/vars";
import type { Play } from "../../runner/playbook";

export const ROOT = path.join(__dirname, "..", "..");

export const TEST_VAULT = {
  luks: { database: "luks-db-passphrase-0", webapp: "luks-web-passphrase-0", analysis: "luks-an-passphrase-0", notebook: "luks-nb-passphrase-0" },
  mongodb: { admin: "adm!n pw/with:chars", readwrite: "rw p@ss:word/1", readonly: "ro-secret-Zq9" },
  tls: { cert: "CERT", key: "KEY" },
  push: { server_auth_token: "push-token-abc123" },
  jupyter: { token: "jupyter-token-xyz789" },
};

export const FACTS: Facts = {
  hostname: "h",
  fqdn: "h",
  os: { id: "ubuntu", version: "24.04", codename: "noble", like: ["debian"] },
  pkgManager: "apt",
  init: "systemd",
  hasSupervisorctl: true,
  user: "root",
  uid: 0,
  python: "3.12",
  addresses: { ipv4: [], ipv6: [] },
  deviceMapper: true,
  kernel: "6.8",
};

export function productionInventory(): Inventory {
  const env = loadEnvironmentFile(path.join(ROOT, "hosts", "production.yaml"));
  const hosts: InventoryHost[] = env.hosts.map((h, i) => ({
    name: h.name,
    tier: h.tier,
    privateIp: h.privateIp!,
    ipv6: h.tier === "database" ? "2600:1f18:aaaa:8101::64" : undefined,
    user: env.sshUser,
    address: h.privateIp!,
    port: 22,
    volumes: Object.fromEntries(h.volumes.map((v, j) => [v.name, { ...v, volumeId: `vol-0${i}${j}aaaaaaaaaaaaaa` }])),
  }));
  const groups = Object.fromEntries(Object.keys(env.tiers).map((t) => [t, hosts.filter((h) => h.tier === t)]));
  return { env, bastion: { address: "198.51.100.10", port: 22, user: "ubuntu" }, hosts, groups, outputsFile: "", knownHostsFile: "" };
}

export function varsFor(inv: Inventory, hostName: string, playVars: Record<string, unknown> = {}): Record<string, unknown> {
  const host = inv.hosts.find((h) => h.name === hostName)!;
  const play = { name: "t", hosts: host.tier, become: true, vars: playVars, tags: [], tasks: [], handlers: [], where: { file: "", line: 0, col: 0, field: "" } } as Play;
  return buildVars(inv, host, play, undefined, FACTS, TEST_VAULT);
}

export function renderTemplate(name: string, vars: Record<string, unknown>): string {
  return render({ file: name }, vars);
}
