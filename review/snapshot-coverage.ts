/**
 * Which DLM policy snapshots which data volume, read from a synthesized stack: a VOLUME
 * policy takes each volume whose tags match on its own; an INSTANCE policy takes every
 * volume attached to an instance whose tags match, all at one moment (a multi-volume set).
 * Used by the policy rules `data-volumes-protected` and `snapshots-consistent`.
 */
import type { StackJson } from "./synth";

export interface PolicyTarget {
  address: string;
  resourceTypes: string[];
  targetTags: Record<string, string>;
  excludeBootVolume: boolean;
}

export interface DataVolumeCoverage {
  volume: string;
  /** the instance it is attached to (aws_instance.<name>), if any */
  instance?: string;
  /** VOLUME policies that snapshot it alone */
  alone: string[];
  /** INSTANCE policies that snapshot it with the rest of its instance */
  withInstance: PolicyTarget[];
}

const refOf = (type: string, v: unknown) => (typeof v === "string" ? new RegExp(`\\$\\{${type}\\.([^.}]+)\\.id\\}`).exec(v)?.[1] : undefined);
const matches = (tags: Record<string, unknown> | undefined, want: Record<string, string>) =>
  Object.keys(want).length > 0 && Object.entries(want).every(([k, v]) => String(tags?.[k]) === v);

export function policyTargets(s: StackJson): PolicyTarget[] {
  return Object.entries(s.resource?.aws_dlm_lifecycle_policy ?? {}).map(([n, c]: [string, any]) => {
    const d = Array.isArray(c.policy_details) ? c.policy_details[0] : c.policy_details;
    const params = Array.isArray(d?.parameters) ? d.parameters[0] : d?.parameters;
    return {
      address: `aws_dlm_lifecycle_policy.${n}`,
      resourceTypes: d?.resource_types ?? [],
      targetTags: d?.target_tags ?? {},
      excludeBootVolume: params?.exclude_boot_volume === true,
    };
  });
}

/** Every volume tagged HoldsData=true, with the policies that snapshot it and how. */
export function dataVolumeCoverage(s: StackJson): DataVolumeCoverage[] {
  const policies = policyTargets(s);
  const volumes = s.resource?.aws_ebs_volume ?? {};
  const attachedTo = new Map<string, string>();
  for (const a of Object.values(s.resource?.aws_volume_attachment ?? {}) as any[]) {
    const v = refOf("aws_ebs_volume", a.volume_id);
    const i = refOf("aws_instance", a.instance_id);
    if (v && i) attachedTo.set(v, i);
  }
  return Object.entries(volumes)
    .filter(([, c]: [string, any]) => String(c.tags?.HoldsData) === "true")
    .map(([n, c]: [string, any]) => {
      const inst = attachedTo.get(n);
      const instTags = inst ? s.resource?.aws_instance?.[inst]?.tags : undefined;
      return {
        volume: `aws_ebs_volume.${n}`,
        instance: inst ? `aws_instance.${inst}` : undefined,
        alone: policies.filter((p) => p.resourceTypes.includes("VOLUME") && matches(c.tags, p.targetTags)).map((p) => p.address),
        withInstance: policies.filter((p) => p.resourceTypes.includes("INSTANCE") && matches(instTags, p.targetTags)),
      };
    });
}
