/**
 * The variables a task sees (templates, `when`): see playbooks/README.md for the table.
 * Merged top-level vars: environment `vars` < tier `vars` < play `vars` < task `vars`.
 */
import type { Environment } from "../config/environment";
import type { Facts } from "./agent/protocol";
import type { Inventory, InventoryHost } from "./inventory";
import type { HostVars } from "./modules/types";
import type { Play, Task } from "./playbook";
import { render } from "./template";

function hostView(h: InventoryHost): HostVars {
  const { address: _a, port: _p, ...view } = h;
  return view;
}

/** What the layering needs to know of one host, at run time (buildVars) or before connecting (runner/preflight.ts). */
export interface VarsLayers {
  env: Environment;
  tier: string;
  play: Play;
  task: Task | undefined;
  host: unknown;
  groups: Record<string, unknown[]>;
  hosts: Record<string, unknown>;
  bastion: { privateIp: unknown };
  facts: unknown;
  vault: unknown;
}

/**
 * The one place the variables are layered: environment `vars` < tier `vars` < play `vars` <
 * task `vars`, then env, tier, host, groups, hosts, bastion, facts and vault (not rendered).
 */
export function layerVars(l: VarsLayers): Record<string, unknown> {
  const { hosts: _expanded, file: _file, ...envView } = l.env;
  // the bastion (a target only of plays that name it) has no tier spec of its own
  const tierSpec = l.env.tiers[l.tier] ?? { vars: {}, volumes: [], serves: [], egress: [] };
  return {
    ...l.env.vars,
    ...tierSpec.vars,
    ...l.play.vars,
    ...(l.task?.vars ?? {}),
    env: envView,
    tier: { name: l.tier, ...tierSpec },
    host: l.host,
    groups: l.groups,
    hosts: l.hosts,
    bastion: l.bastion,
    facts: l.facts,
    vault: l.vault,
  };
}

export function buildVars(
  inv: Inventory,
  host: InventoryHost,
  play: Play,
  task: Task | undefined,
  facts: Facts,
  vault: Record<string, unknown>,
): Record<string, unknown> {
  const env = inv.env;
  const groups: Record<string, HostVars[]> = {};
  for (const [t, hs] of Object.entries(inv.groups)) groups[t] = hs.map(hostView);
  const hosts: Record<string, HostVars> = {};
  for (const h of inv.hosts) hosts[h.name] = hostView(h);
  const vars = layerVars({ env, tier: host.tier, play, task, host: hostView(host), groups, hosts, bastion: { privateIp: inv.bastion.privateIp ?? null }, facts, vault });
  const tierSpec = env.tiers[host.tier] ?? { vars: {} };
  // variables may refer to other variables ("{{host.name}}"): render them once, in order. One
  // that does not render is an error where it is used, not before (as Ansible's lazy
  // templating): a task skipped by its `when` — the monitoring agent's tasks in an environment
  // without a monitoring section — does not fail on variables it never reads
  for (const source of [env.vars, tierSpec.vars, play.vars, task?.vars ?? {}])
    for (const key of Object.keys(source)) {
      try {
        vars[key] = renderDeep(vars[key], vars, key);
      } catch (e) {
        Object.defineProperty(vars, key, { enumerable: true, configurable: true, get: () => { throw e; } });
      }
    }
  return vars;
}

function renderDeep(v: unknown, ctx: Record<string, unknown>, field: string): unknown {
  if (typeof v === "string" && v.includes("{{")) return render({ inline: v, where: { file: "vars", line: 0, col: 0, field } }, ctx);
  if (Array.isArray(v)) return v.map((x, i) => renderDeep(x, ctx, `${field}[${i}]`));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderDeep(x, ctx, `${field}.${k}`)]));
  return v;
}
