/**
 * `moved` blocks from the names hosts had before names became stable. A tier of two or more
 * used to call its first host `<tier>-1`; it is now `<tier>` (config/environment.ts), so the
 * first host's instance, volumes and attachments get a `moved` block from their old
 * addresses: an environment applied with the old names changes no address without one.
 * (A moved block whose old address is not in the state is ignored by Terraform.)
 */
import { makeUniqueId, type Instance } from "./cdk";
import { legacyHostName, type HostSpec } from "../config/environment";
import type { DataVolume } from "./data-volume";

/** Construct ids of a host's resources (environment-stack.ts builds them the same way). */
export const serverId = (host: string) => `host-${host}`;
export const volumeId = (host: string, volume: string) => `volume-${host}-${volume}`;

/** The Terraform address cdktf gives a resource at this construct path under the stack. */
export function addressOf(type: string, ...path: string[]): string {
  return `${type}.${makeUniqueId(path)}`;
}

export function moveFromLegacyNames(spec: HostSpec, count: number, instance: Instance, volumes: Record<string, DataVolume>): void {
  const old = legacyHostName(spec.tier, spec.index, count);
  if (old === spec.name) return;
  instance.moveFromId(addressOf("aws_instance", serverId(old), "instance"));
  for (const [name, v] of Object.entries(volumes)) {
    v.ebs.moveFromId(addressOf("aws_ebs_volume", volumeId(old, name), "ebs"));
    v.attachment.moveFromId(addressOf("aws_volume_attachment", volumeId(old, name), "attachment"));
  }
}
