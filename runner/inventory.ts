/**
 * Who to connect to: the environment file (tiers, users) plus the stack's Terraform outputs
 * (addresses, volume ids). Outputs are read from `hosts/<env>.outputs.json`, written by
 * `make inventory ENV=…` (`terraform output -json`) or by the lab, in either of two shapes:
 *   terraform output -json : {"inventory": {"value": {...}, "type": ..., "sensitive": false}}
 *   cdktf --outputs-file   : {"<stack>": {"inventory": {...}}}
 * The outputs are authoritative for which hosts exist; the environment file for what they are.
 */
import * as fs from "fs";
import * as path from "path";
import picomatch from "picomatch";
import { z } from "zod";
import type { Environment } from "../config/environment";
import { InputError, fieldPath } from "../config/errors";
import { hostsDir } from "../config/load";
import { didYouMean } from "../config/validate";
import { YamlSource, type Path } from "../config/yamlsource";
import type { HostVars } from "./modules/types";

export interface InventoryHost extends HostVars {
  /** address the runner dials through the bastion */
  address: string;
  port: number;
}

export interface Inventory {
  env: Environment;
  /** privateIp: its address inside the VPC (the monitoring tier scrapes it there) */
  bastion: { address: string; port: number; user: string; privateIp?: string };
  hosts: InventoryHost[];
  /**
   * The bastion as a target, dialed at its private address through itself (group and name
   * "bastion"): only a play that names it reaches it, never `all` (playbooks/monitoring.yml
   * installs its node exporter). Absent when the outputs give no private address.
   */
  bastionHost?: InventoryHost;
  /** tier name -> hosts */
  groups: Record<string, InventoryHost[]>;
  outputsFile: string;
  knownHostsFile: string;
}

const volumeOut = z
  .object({
    volumeId: z.string().optional(),
    device: z.string(),
    mountPoint: z.string(),
    filesystem: z.string(),
    encryption: z.string().default("none"),
  })
  .passthrough();
// addresses end up in configuration files (mongod's bindIp, nginx, db.conf): one address each,
// nothing else (a "10.0.1.5, 10.0.1.6" would break mongod at its next start)
const ipv4 = z.string().ip({ version: "v4", message: "expected one IPv4 address" });
const hostOut = z
  .object({
    tier: z.string(),
    privateIp: ipv4,
    ipv6: z.string().ip({ version: "v6", message: "expected one IPv6 address" }).nullish(),
    user: z.string().optional(),
    port: z.number().int().optional(),
    volumes: z.record(volumeOut).default({}),
  })
  .passthrough();
const inventoryOut = z.object({
  bastion: z.object({ publicIp: ipv4, privateIp: ipv4.nullish(), user: z.string().optional(), port: z.number().int().optional() }).passthrough(),
  hosts: z.record(hostOut),
});

export function outputsFile(envName: string): string {
  return process.env.MULTITIER_OUTPUTS ?? path.join(hostsDir(), `${envName}.outputs.json`);
}

export function knownHostsFile(envName: string): string {
  return process.env.MULTITIER_KNOWN_HOSTS ?? path.join(hostsDir(), `${envName}.known_hosts`);
}

/** Read and check the outputs file; every problem is one line naming the file. */
export function readOutputs(file: string): { out: z.output<typeof inventoryOut>; errorAt: (p: Path, detail: string, withHint?: boolean) => InputError } {
  const hint = "run `make inventory ENV=<env>` after `cdktf deploy` (or `make lab-up` for the lab)";
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new InputError(file, 0, 0, "", `outputs file not found; ${hint}`);
  }
  if (!text.trim()) throw new InputError(file, 0, 0, "", `outputs file is empty; ${hint}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // Node says "at position N" (or nothing, when the text just ends): turn it into line:col
    const msg = (e as Error).message.replace(/ \(line \d+ column \d+\)/, "");
    const pos = Number(/at position (\d+)/.exec(msg)?.[1] ?? text.length);
    const before = text.slice(0, pos).split("\n");
    throw new InputError(file, before.length, before[before.length - 1].length + 1, "", `expected the JSON of \`terraform output -json\`, got invalid JSON (${msg}); ${hint}`);
  }
  const found = extractInventory(json);
  if (found === undefined) throw new InputError(file, 0, 0, "inventory", `expected an "inventory" output, got none; ${hint}`);
  // JSON is YAML: the same source map as the environment files gives each error its line
  const source = new YamlSource(file, text);
  const errorAt = (p: Path, detail: string, withHint = true) => {
    const [line, col] = source.positionOf([...found.at, ...p]);
    return new InputError(file, line, col, fieldPath(["inventory", ...p]), withHint ? `${detail}; ${hint}` : detail);
  };
  const parsed = inventoryOut.safeParse(found.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw errorAt(issue.path, issue.message.charAt(0).toLowerCase() + issue.message.slice(1));
  }
  // two volumes of one host on the same EBS volume or device: the storage steps would format,
  // mount or encrypt one disk twice
  for (const [name, h] of Object.entries(parsed.data.hosts)) {
    const seen = new Map<string, string>();
    for (const [vol, v] of Object.entries(h.volumes)) {
      for (const key of [v.volumeId && `volume id ${v.volumeId}`, `device ${v.device}`].filter(Boolean) as string[]) {
        const other = seen.get(key);
        if (other) throw errorAt(["hosts", name, "volumes", vol], `volumes ${other} and ${vol} have the same ${key}; expected one disk per volume`);
        seen.set(key, vol);
      }
    }
  }
  return { out: parsed.data, errorAt };
}

/** The inventory output and where it sits in the file (terraform output -json or cdktf's shape). */
function extractInventory(json: unknown): { value: unknown; at: Path } | undefined {
  if (!json || typeof json !== "object") return undefined;
  const o = json as Record<string, any>;
  if (o.inventory) return o.inventory.value !== undefined && o.inventory.type !== undefined ? { value: o.inventory.value, at: ["inventory", "value"] } : { value: o.inventory, at: ["inventory"] };
  for (const [stack, v] of Object.entries(o)) if (v && typeof v === "object" && (v as any).inventory) return { value: (v as any).inventory, at: [stack, "inventory"] };
  return undefined;
}

export function loadInventory(env: Environment, file = outputsFile(env.name)): Inventory {
  const { out, errorAt } = readOutputs(file);
  const hosts: InventoryHost[] = [];
  for (const [name, h] of Object.entries(out.hosts)) {
    const tier = env.tiers[h.tier];
    if (!tier) throw errorAt(["hosts", name, "tier"], `tier "${h.tier}" is not in ${env.file}${didYouMean(h.tier, Object.keys(env.tiers))}`, false);
    const volumes: HostVars["volumes"] = {};
    for (const v of tier.volumes) {
      const o = h.volumes[v.name];
      volumes[v.name] = { ...v, ...(o ?? {}), device: o?.device ?? v.device, mountPoint: v.mountPoint, filesystem: v.filesystem, encryption: v.encryption };
    }
    hosts.push({
      name,
      tier: h.tier,
      privateIp: h.privateIp,
      ipv6: h.ipv6 ?? undefined, // always present, so templates can test it in strict mode
      user: h.user ?? tier.user ?? env.sshUser,
      volumes,
      address: h.privateIp,
      port: h.port ?? 22,
    });
  }
  hosts.sort((a, b) => (a.tier < b.tier ? -1 : a.tier > b.tier ? 1 : 0) || naturalCompare(a.name, b.name)); // tiers: as localeCompare orders [a-z0-9-]
  const groups: Record<string, InventoryHost[]> = {};
  for (const t of Object.keys(env.tiers)) groups[t] = hosts.filter((h) => h.tier === t);
  const bastionUser = out.bastion.user ?? env.bastion.user ?? env.sshUser;
  const bip = out.bastion.privateIp ?? undefined;
  const bastionHost = bip ? { name: "bastion", tier: "bastion", privateIp: bip, ipv6: undefined, user: bastionUser, volumes: {}, address: bip, port: out.bastion.port ?? 22 } : undefined;
  return {
    env,
    bastionHost,
    bastion: { address: out.bastion.publicIp, port: out.bastion.port ?? 22, user: out.bastion.user ?? env.bastion.user ?? env.sshUser, privateIp: out.bastion.privateIp ?? undefined },
    hosts,
    groups,
    outputsFile: file,
    knownHostsFile: knownHostsFile(env.name),
  };
}

/**
 * Hosts matching a pattern list "a,b,c": each item a tier, a host name, a glob over host
 * names (web*), `all`, or `!x` to exclude. Unknown names that match nothing are an error.
 */
export function selectHosts(inv: Inventory, pattern: string, what = "--limit"): InventoryHost[] {
  const items = pattern.split(",").map((s) => s.trim()).filter(Boolean);
  const include = items.filter((i) => !i.startsWith("!"));
  const exclude = items.filter((i) => i.startsWith("!")).map((i) => i.slice(1));
  const matchOne = (item: string): InventoryHost[] => {
    if (item === "all" || item === "*") return inv.hosts;
    if (inv.groups[item]) return inv.groups[item];
    const isMatch = picomatch(item);
    const found = inv.hosts.filter((h) => isMatch(h.name) || h.name === item);
    if (found.length === 0)
      throw new InputError("argument", 0, 0, what, `"${item}" matches no tier or host (tiers: ${Object.keys(inv.groups).join(", ")}; hosts: ${inv.hosts.map((h) => h.name).join(", ")})${didYouMean(item, [...Object.keys(inv.groups), ...inv.hosts.map((h) => h.name)])}`);
    return found;
  };
  const chosen = new Set<InventoryHost>();
  for (const item of include.length ? include : ["all"]) for (const h of matchOne(item)) chosen.add(h);
  for (const item of exclude) for (const h of matchOne(item)) chosen.delete(h);
  return inv.hosts.filter((h) => chosen.has(h));
}

/**
 * Host and tier names in natural order (app-2 before app-10), the same order as
 * localeCompare(…, { numeric: true }) gives for names of lower-case letters, digits and dashes,
 * without it: a deploy's first localeCompare initializes ICU's collator, ~10–20 ms of its
 * start-up (bench/startup.sh). Runs of digits compare by value, other characters by code
 * (test/runner/inventory-order.test.ts checks both orders agree on such names).
 */
export function naturalCompare(a: string, b: string): number {
  const digit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (digit(a[i]) && digit(b[j])) {
      const si = i;
      const sj = j;
      while (digit(a[i])) i++;
      while (digit(b[j])) j++;
      const d = Number(a.slice(si, i)) - Number(b.slice(sj, j));
      if (d) return d;
      continue;
    }
    if (a[i] !== b[j]) return a[i] < b[j] ? -1 : 1;
    i++;
    j++;
  }
  return a.length - i - (b.length - j);
}
