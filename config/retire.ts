/**
 * `tiers.<tier>.retire: [webapp-3]` names hosts whose removal, with their data volumes, is
 * intended (identities.ts refuses the removal otherwise). An entry must name a host of its
 * tier (`<tier>`, `<tier>-2` …) that the file no longer declares.
 */
import type { EnvironmentSpec, TierSpec } from "./schema";
import type { SemanticError } from "./validate";

const hostNumber = (tier: string, name: string): number | undefined => {
  if (name === tier) return 1;
  const m = new RegExp(`^${tier.replace(/[-]/g, "\\-")}-(\\d+)$`).exec(name);
  return m && Number(m[1]) >= 2 ? Number(m[1]) : undefined;
};

/** `retire` entries must name hosts of their tier that the file no longer declares. */
export function retireErrors(spec: EnvironmentSpec): SemanticError[] {
  const errors: SemanticError[] = [];
  for (const [tier, t] of Object.entries(spec.tiers) as [string, TierSpec][])
    t.retire.forEach((name, i) => {
      const p = ["tiers", tier, "retire", i];
      const n = hostNumber(tier, name);
      if (n === undefined) errors.push({ path: p, message: `expected a host name of tier ${tier} (${tier}, ${tier}-2, ${tier}-3 …), got "${name}"` });
      else if (n <= t.count) errors.push({ path: p, message: `host ${name} is still declared (count: ${t.count}); lower count to remove it, or drop it from retire` });
    });
  return errors;
}

