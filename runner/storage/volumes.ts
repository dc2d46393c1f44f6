/**
 * A declared volume as the storage modules see it: `host.volumes.<name>` from the Terraform
 * outputs merged with the environment file (volumeId, device, mountPoint, filesystem,
 * encryption, mountOptions, owner, group, mode). The modules take a volume NAME, never a
 * device path, so every disk they touch is found by its EBS volume id first (resolve.ts).
 *
 * An encrypted volume is opened under a stable name, `<volume>_crypt`, so crypttab, the
 * filesystem and the mount always agree on /dev/mapper/<volume>_crypt.
 */
import type { HostVars } from "../modules/types";

export type VolumeVars = HostVars["volumes"][string];

export function volumeOf(host: HostVars, name: string): VolumeVars {
  const v = host.volumes[name];
  if (!v) {
    const known = Object.keys(host.volumes);
    throw new Error(`no volume "${name}" on ${host.name} (its volumes: ${known.length ? known.join(", ") : "none"})`);
  }
  return v;
}

export const isEncrypted = (v: VolumeVars): boolean => v.encryption === "luks";

export const mapperName = (volume: string): string => `${volume}_crypt`;

export const mapperPath = (volume: string): string => `/dev/mapper/${mapperName(volume)}`;
