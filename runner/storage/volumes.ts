/**
 * A declared volume as the storage modules see it: `host.volumes.<name>` from the Terraform
 * outputs merged with the environment file (volumeId, device, mountPoint, filesystem,
 * encryption, mountOptions, owner, group, mode). The modules take a volume NAME, never a
 * device path, so every disk they touch is found by its EBS volume id first (resolve.ts).
 *
 * An encrypted volume is opened under a stable name, `<volume>_crypt`, so crypttab, the
 * filesystem and the mount always agree on /dev/mapper/<volume>_crypt.
 */
import type { OpResult, ShOp } from "../agent/protocol";
import { facts } from "../facts";
import type { HostVars, Plan, TaskContext } from "../modules/types";
import { checkResolution } from "./resolve";

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

/** The first probe of every storage task: the disks of ALL the host's volumes (one command). */
export function disksProbe(ctx: TaskContext): ShOp {
  return facts.volumeDisks.op({ volumes: ctx.host.volumes }) as ShOp;
}

/**
 * The opening every storage module's plan shares: its volume, and every volume of the host
 * found on a disk of its own — or the failed plan that stops the host before anything is done.
 */
export function openVolume(ctx: TaskContext, name: string, disks: OpResult | undefined): { v: VolumeVars; devices: Record<string, string> } | { failed: Plan } {
  const v = volumeOf(ctx.host, name);
  const r = checkResolution(disks, ctx.host.volumes);
  return r.ok ? { v, devices: r.devices } : { failed: { status: "failed", msg: r.problem } };
}
