/**
 * The variables a task sees (templates, `when`): see playbooks/README.md for the table.
 * Merged top-level vars: environment `vars` < tier `vars` < play `vars` < task `vars`.
 */
import type { Facts } from "./agent/protocol";
import type { Inventory, InventoryHost } from "./inventory";
import type { HostVars } from "./modules/types";
import type { Play, Task } from "./playbook";
import { render } from "./template";

function hostView(h: InventoryHost): HostVars {
  const { address: _a, port: _p, ...view } = h;
  return view;
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
  // the bastion (a target only of plays that name it) has no tier spec of its own
  const tierSpec = env.tiers[host.tier] ?? { vars: {}, volumes: [], serves: [], egress: [] };
  const groups: Record<string, HostVars[]> = {};
  for (const [t, hs] of Object.entries(inv.groups)) groups[t] = hs.map(hostView);
  const hosts: Record<string, HostVars> = {};
  for (const h of inv.hosts) hosts[h.name] = hostView(h);
  const { hosts: _expanded, file: _file, ...envView } = env;
  const vars: Record<string, unknown> = {
    ...env.vars,
    ...tierSpec.vars,
    ...play.vars,
    ...(task?.vars ?? {}),
    env: envView,
    tier: { name: host.tier, ...tierSpec },
    host: hostView(host),
    groups,
    hosts,
    bastion: { privateIp: inv.bastion.privateIp ?? null },
    facts,
    vault,
  };
  // variables may refer to other variables ("{{host.name}}"): render them once, in order
  for (const source of [env.vars, tierSpec.vars, play.vars, task?.vars ?? {}])
    for (const key of Object.keys(source)) vars[key] = renderDeep(vars[key], vars, key);
  return vars;
}

function renderDeep(v: unknown, ctx: Record<string, unknown>, field: string): unknown {
  if (typeof v === "string" && v.includes("{{")) return render({ inline: v, where: { file: "vars", line: 0, col: 0, field } }, ctx);
  if (Array.isArray(v)) return v.map((x, i) => renderDeep(x, ctx, `${field}[${i}]`));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderDeep(x, ctx, `${field}.${k}`)]));
  return v;
}
