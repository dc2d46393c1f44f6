/**
 * The variables a task sees (templates, `when`): see playbooks/README.md for the table.
 * Merged top-level vars: environment `vars` < tier `vars` < play `vars` < task `vars`.
 */
import type { Facts } from "./agent/protocol";
import type { Inventory, InventoryHost } from "./inventory";
import type { HostVars } from "./modules/types";
import type { Play, Task } from "./playbook";

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
  const tierSpec = env.tiers[host.tier];
  const groups: Record<string, HostVars[]> = {};
  for (const [t, hs] of Object.entries(inv.groups)) groups[t] = hs.map(hostView);
  const hosts: Record<string, HostVars> = {};
  for (const h of inv.hosts) hosts[h.name] = hostView(h);
  const { hosts: _expanded, file: _file, ...envView } = env;
  return {
    ...env.vars,
    ...tierSpec.vars,
    ...play.vars,
    ...(task?.vars ?? {}),
    env: envView,
    tier: { name: host.tier, ...tierSpec },
    host: hostView(host),
    groups,
    hosts,
    facts,
    vault,
  };
}
