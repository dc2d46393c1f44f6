/**
 * Every AWS name in one place: Name tags, resource names (security groups, the key pair, the
 * snapshot role), the snapshot policy's target tag value and description. Each is built from
 * the environment's `prefix` and names in the environment file (tier, host, volume), never
 * from list positions, so reordering a file does not rename — and therefore replace — a
 * resource. Constructs receive the prefix and call these; none builds a name inline.
 */

/** `<prefix>-<part>-<part>…`: the shape of every name below. */
export function resourceName(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].join("-");
}

/** A Name tag `<prefix>-<name>` plus any other tags. */
export function tags(prefix: string, name: string, extra: Record<string, string> = {}): Record<string, string> {
  return { Name: resourceName(prefix, name), ...extra };
}

/** Provider-wide tags (every resource gets them through `default_tags`). */
export function defaultTags(environment: string, prefix: string): Record<string, string> {
  return { Environment: environment, Project: "multitier", ManagedBy: "cdktf", Prefix: prefix };
}

/** An instance's Name tag: `<prefix>-<host>` (host is "bastion" or a tier host, e.g. webapp-2). */
export const hostName = (prefix: string, host: string) => resourceName(prefix, host);

/** An instance's root volume Name tag: `<prefix>-<host>-root`. */
export const rootVolumeName = (prefix: string, host: string) => resourceName(prefix, host, "root");

/** A declared volume's Name tag: `<prefix>-<host>-<volume>`. */
export const volumeName = (prefix: string, host: string, volume: string) => resourceName(prefix, host, volume);

/** A security group's name: `<prefix>-<group>` (group is "bastion" or a tier). */
export const securityGroupName = (prefix: string, group: string) => resourceName(prefix, group);

/** A security group's Name tag: `<prefix>-<group>-sg`. */
export const securityGroupTagName = (prefix: string, group: string) => resourceName(prefix, group, "sg");

/** The imported operator key pair: `<prefix>-operator`. */
export const keyPairName = (prefix: string) => resourceName(prefix, "operator");

/** The snapshot policy's IAM role: `<prefix>-dlm`. */
export const snapshotRoleName = (prefix: string) => resourceName(prefix, "dlm");

/** The value of the tag the snapshot policy targets on instances: `<prefix>-daily`. */
export const snapshotTagValue = (prefix: string) => resourceName(prefix, "daily");

/** The snapshot policy's description (the provider allows letters, digits, spaces, _ and - only). */
export const snapshotPolicyDescription = (prefix: string) => `${prefix} daily snapshots of data volumes`;

/** The Application Load Balancer's name: `<prefix>-alb` (AWS: at most 32 characters). */
export const loadBalancerName = (prefix: string) => resourceName(prefix, "alb");

/**
 * A target group's name: `<prefix>-<tier>-<port>`. The port is in it because a new port
 * replaces the group: the new one (another name) is created before the old one goes
 * (create_before_destroy), which a fixed name would forbid. config/load-balancer.ts refuses
 * a name AWS would (over 32 characters).
 */
export const targetGroupName = (prefix: string, tier: string, port: number) => resourceName(prefix, tier, String(port));

/** A CIDR is IPv6 when it contains a colon. */
export function isIpv6(cidr: string): boolean {
  return cidr.includes(":");
}
