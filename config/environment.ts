/**
 * The validated environment, with the instances expanded: what the stacks build and what
 * the runner connects to. Host names are `<tier>` for a single instance and `<tier>-<n>`
 * (1-based) otherwise; the AWS Name tag is `<prefix>-<host name>`.
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

export function hostName(tier: string, index: number, count: number): string {
  return count === 1 ? tier : `${tier}-${index + 1}`;
}

export function expandHosts(spec: EnvironmentSpec): HostSpec[] {
  const hosts: HostSpec[] = [];
  const azCount = spec.availabilityZones.length;
  for (const [tier, t] of Object.entries(spec.tiers) as [string, TierSpec][]) {
    for (let i = 0; i < t.count; i++) {
      hosts.push({
        name: hostName(tier, i, t.count),
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
