/**
 * Names and tags in one place. Logical ids are built from names in the environment file
 * (tier, host, volume), never from list positions, so reordering a file does not rename —
 * and therefore replace — a resource.
 */
import type { Environment } from "../config/environment";

export function resourceName(env: Environment, ...parts: string[]): string {
  return [env.prefix, ...parts].join("-");
}

export function tags(env: Environment, name: string, extra: Record<string, string> = {}): Record<string, string> {
  return { Name: resourceName(env, name), ...extra };
}

/** Provider-wide tags (every resource gets them through `default_tags`). */
export function defaultTags(env: Environment): Record<string, string> {
  return { Environment: env.name, Project: "multitier", ManagedBy: "cdktf", Prefix: env.prefix };
}

/** A CIDR is IPv6 when it contains a colon. */
export function isIpv6(cidr: string): boolean {
  return cidr.includes(":");
}
