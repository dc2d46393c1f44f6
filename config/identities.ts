/**
 * Host identities over time. A host is named by its number in its tier (environment.ts), so
 * the only way a host disappears is a lower `count` (or a removed tier). Removing a host
 * whose volumes hold data is refused unless the file says so for that host:
 *   tiers.<tier>.retire: [webapp-3]
 * Which hosts exist is known from two places, both read when present:
 *   - hosts/<env>.outputs.json (`make inventory`: what the last apply created), and
 *   - the environment file as committed at git HEAD (what the last reviewed change declared),
 *     or at another ref (`multitier validate --base origin/main` in CI).
 * A host in either that the file no longer declares is "being removed". (The `retire`
 * entries themselves are checked with the file: retire.ts.)
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { Environment } from "./environment";
import { environmentNameFromFile, expandHosts } from "./environment";
import type { InputError } from "./errors";
import { checkEnvironment } from "./load";
import type { EnvironmentSpec } from "./schema";
import { YamlSource } from "./yamlsource";

/** A host that exists (or existed at HEAD), with the names of its volumes that hold data. */
export interface KnownHost {
  name: string;
  tier: string;
  dataVolumes: string[];
  /** where we learnt about it, for the message */
  source: string;
}

/** Hosts recorded in the stack's outputs (`make inventory`), in either shape runner/inventory.ts reads. */
export function deployedHosts(outputsFile: string): KnownHost[] {
  let json: any;
  try {
    json = JSON.parse(fs.readFileSync(outputsFile, "utf8"));
  } catch {
    return []; // absent or unreadable: the runner reports a broken outputs file where it needs it
  }
  const inv = json?.inventory?.value ?? json?.inventory ?? (Object.values(json ?? {}) as any[]).find((v) => v?.inventory)?.inventory;
  const hosts = inv?.hosts;
  if (!hosts || typeof hosts !== "object") return [];
  return Object.entries(hosts as Record<string, any>)
    .filter(([, h]) => h && typeof h.tier === "string")
    .map(([name, h]) => ({ name, tier: h.tier, dataVolumes: Object.keys(h.volumes ?? {}), source: outputsFile }));
}

/** Hosts the environment file declared at a git ref, HEAD by default (none when it is not committed there). */
export function committedHosts(file: string, ref = "HEAD"): { hosts: KnownHost[]; spec?: EnvironmentSpec } {
  let text: string;
  try {
    text = execFileSync("git", ["show", `${ref}:./${path.basename(file)}`], { cwd: path.dirname(file), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return { hosts: [] };
  }
  const env = checkEnvironment(new YamlSource(file, text)).env;
  if (!env) return { hosts: [] };
  const hosts = expandHosts(env).map((h) => ({ name: h.name, tier: h.tier, dataVolumes: h.volumes.filter((v) => v.holdsData).map((v) => v.name), source: `git ${ref}` }));
  return { hosts, spec: env };
}

/** One error per known host that would be removed with data and is not listed in `retire`. */
export function removalErrors(source: YamlSource, env: Environment, known: KnownHost[], committed?: EnvironmentSpec): InputError[] {
  const declared = new Set(env.hosts.map((h) => h.name));
  const byName = new Map<string, KnownHost & { sources: string[] }>();
  for (const k of known) {
    if (declared.has(k.name)) continue;
    const prev = byName.get(k.name);
    if (prev) prev.sources.push(k.source);
    else byName.set(k.name, { ...k, sources: [k.source] });
  }
  const errors: InputError[] = [];
  for (const h of [...byName.values()].sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }))) {
    // what holds data: the file's own word for the tier, else the committed file's, else every volume the outputs list
    const tierSpec = env.tiers[h.tier] ?? committed?.tiers[h.tier];
    const data = tierSpec ? tierSpec.volumes.filter((v) => v.holdsData).map((v) => v.name) : h.dataVolumes;
    if (data.length === 0) continue;
    const what = `host ${h.name} and its data volume(s) ${data.join(", ")} (known from ${h.sources.join(" and ")})`;
    if (!env.tiers[h.tier]) {
      errors.push(source.error(["tiers"], `removing tier "${h.tier}" removes ${what}; first set holdsData: false on the volumes whose data may go (commit and apply that), then remove the tier`, true));
      continue;
    }
    if (env.tiers[h.tier].retire.includes(h.name)) continue;
    errors.push(source.error(["tiers", h.tier, "count"], `count ${env.tiers[h.tier].count} removes ${what}; to remove it and its data, list it in tiers.${h.tier}.retire`));
  }
  return errors.sort((a, b) => a.line - b.line || a.col - b.col);
}

/**
 * The removal check with the hosts known from `hosts/<env>.outputs.json` and the file at git
 * HEAD — or at `baseRef` (CI: the pull request's base branch, where HEAD is the change itself).
 */
export function checkRemovals(source: YamlSource, env: Environment, baseRef = "HEAD"): InputError[] {
  if (env.platform === "lab") return [];
  const outputs = path.join(path.dirname(source.file), `${environmentNameFromFile(source.file)}.outputs.json`);
  const committed = committedHosts(source.file, baseRef);
  return removalErrors(source, env, [...deployedHosts(outputs), ...committed.hosts], committed.spec);
}
