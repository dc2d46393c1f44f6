/**
 * The validated environment, with the instances expanded: what the stacks build and what
 * the runner connects to. A host's name never depends on how many hosts its tier has: the
 * first host is `<tier>`, the next ones `<tier>-2`, `<tier>-3` … (1-based), so growing a
 * tier only adds hosts and shrinking it removes the highest-numbered ones. The AWS Name tag
 * is `<prefix>-<host name>` (made in stacks/names.ts); the host's fixed IP is
 * `privateIps[n-1]` and its AZ is chosen by its number, so both follow the host.
 */
import * as path from "path";
import type { EnvironmentSpec, TierSpec, VolumeSpec } from "./schema";

export interface HostSpec {
  /** host name used by the runner and in outputs, e.g. "webapp" or "webapp-2" */
  name: string;
  tier: string;
  /** 0-based index inside the tier */
  index: number;
  /** availability zone index (instances are spread round-robin) */
  azIndex: number;
  subnet: "public" | "private";
  /** fixed private IP when the environment file gives one */
  privateIp?: string;
  volumes: VolumeSpec[];
}

export interface Environment extends EnvironmentSpec {
  /** path of the file it came from */
  file: string;
  hosts: HostSpec[];
}

/** The name of the tier's host number `index + 1`, the same whatever the tier's count. */
export function hostName(tier: string, index: number): string {
  return index === 0 ? tier : `${tier}-${index + 1}`;
}

/**
 * The name the same host had before names became stable: a tier of two or more called its
 * first host `<tier>-1`. The stacks emit `moved` blocks from these names (see
 * stacks/identities.ts).
 */
export function legacyHostName(tier: string, index: number, count: number): string {
  return count === 1 ? tier : `${tier}-${index + 1}`;
}

export function expandHosts(spec: EnvironmentSpec): HostSpec[] {
  const hosts: HostSpec[] = [];
  const azCount = spec.availabilityZones.length;
  for (const [tier, t] of Object.entries(spec.tiers) as [string, TierSpec][]) {
    for (let i = 0; i < t.count; i++) {
      hosts.push({
        name: hostName(tier, i),
        tier,
        index: i,
        azIndex: i % azCount,
        subnet: t.subnet,
        privateIp: t.privateIps?.[i],
        volumes: t.volumes,
      });
    }
  }
  return hosts;
}

export function environmentNameFromFile(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, "");
}
