/**
 * Finding a declared volume's disk on the host (names like /dev/nvme1n1 follow attach order
 * and are not stable: AWS "Amazon EBS and NVMe"). For each volume, in order:
 *   1. /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol<id without the dash> (Nitro; the
 *      lab presents its loop devices there), also with udev's `_1` namespace suffix;
 *   2. the NVMe disk whose controller serial is that id (/sys/block/nvme*\/device/serial),
 *      for hosts without the udev links;
 *   3. the declared device name and its alias (/dev/sdf <-> /dev/xvdf) on Xen instances.
 *
 * ONE shell op resolves every volume of the host (`readlink -f`, so two names of one disk
 * compare equal). Every storage task checks the whole host, so a missing disk or two
 * volumes on one disk stop the host before any task touches any disk.
 *
 *   const op = resolveOp(ctx.host.volumes);            // in probe()
 *   const r = checkResolution(result, ctx.host.volumes); // in plan(): r.ok ? r.devices : r.problem
 */
import type { OpResult, ShOp } from "../agent/protocol";
import { shq } from "../modules/types";
import { parseDisks } from "../facts/disks";
import type { VolumeVars } from "./volumes";

/** Where the script looks; tests point these at a simulated sysfs (nothing else does). */
export interface Roots {
  dev: string;
  sys: string;
}
const REAL: Roots = { dev: "/dev", sys: "/sys" };

export const serialOf = (v: VolumeVars): string | undefined => (v.volumeId ? v.volumeId.replace(/-/g, "") : undefined);

/** Paths tried for a volume, in order (the serial scan comes between by-id and device names). */
export function candidates(v: VolumeVars, roots: Roots = REAL): { byId: string[]; names: string[] } {
  const serial = serialOf(v);
  const byId = serial ? [`${roots.dev}/disk/by-id/nvme-Amazon_Elastic_Block_Store_${serial}`, `${roots.dev}/disk/by-id/nvme-Amazon_Elastic_Block_Store_${serial}_1`] : [];
  const under = (p: string) => (p.startsWith("/dev/") ? roots.dev + p.slice(4) : p);
  const names = [under(v.device)];
  const m = /^\/dev\/(sd|xvd)([a-z]{1,2})$/.exec(v.device);
  if (m) names.push(under(`/dev/${m[1] === "sd" ? "xvd" : "sd"}${m[2]}`));
  return { byId, names };
}

/** Shell functions shared by the resolve script and the per-device snippets. */
function functions(roots: Roots): string {
  return [
    // a path that is a block device (after symlinks) -> its canonical name
    `mt_blk() { [ -b "$1" ] && readlink -f "$1"; }`,
    // the NVMe namespace whose controller serial is $1 (the serial is space-padded)
    `mt_serial() { for s in ${shq(roots.sys)}/block/nvme*/device/serial; do [ -r "$s" ] || continue; [ "$(tr -d ' \\n' < "$s")" = "$1" ] || continue; n=$(basename "$(dirname "$(dirname "$s")")"); mt_blk ${shq(roots.dev)}/"$n" && return 0; done; return 1; }`,
  ].join("\n");
}

/** A shell expression that prints the resolved device of `v` (nothing when not found). */
function lookup(v: VolumeVars, roots: Roots): string {
  const { byId, names } = candidates(v, roots);
  const serial = serialOf(v);
  const tries = [...byId.map((p) => `mt_blk ${shq(p)}`), ...(serial ? [`mt_serial ${shq(serial)}`] : []), ...names.map((p) => `mt_blk ${shq(p)}`)];
  return `$(${tries.join(" || ")})`;
}

/** Script printing `R <volume> <device or ->` for every volume. */
export function resolveScript(volumes: Record<string, VolumeVars>, roots: Roots = REAL): string {
  const lines = Object.entries(volumes).map(([name, v]) => `d=${lookup(v, roots)}; echo "R ${name} \${d:--}"`);
  return [functions(roots), ...lines].join("\n");
}

export function resolveOp(volumes: Record<string, VolumeVars>, roots: Roots = REAL): ShOp {
  return { op: "sh", script: resolveScript(volumes, roots), timeout: 30 };
}

/** Shell lines that set `$d` to the resolved disk of one volume (empty when not found). */
export function resolveOne(v: VolumeVars, roots: Roots = REAL): string {
  return `${functions(roots)}\nd=${lookup(v, roots)}`;
}

export type Resolution = { ok: true; devices: Record<string, string> } | { ok: false; problem: string };

function where(v: VolumeVars): string {
  const { byId, names } = candidates(v);
  const serial = serialOf(v);
  return [...byId.slice(0, 1), ...(serial ? [`an NVMe disk with serial ${serial}`] : []), ...names].join(", ");
}

/**
 * Every volume resolved, each to its own disk — or one message naming every problem.
 * Checked by every storage task, whichever volume it is about.
 */
export function checkResolution(result: OpResult | undefined, volumes: Record<string, VolumeVars>): Resolution {
  if (!result || !result.ok) return { ok: false, problem: `could not look for the volumes' disks: ${result && !result.ok ? result.error : "no answer"}; nothing was changed` };
  const found = parseDisks((result as { stdout?: string }).stdout ?? "");
  const problems: string[] = [];
  const devices: Record<string, string> = {};
  for (const [name, v] of Object.entries(volumes)) {
    const dev = found.get(name);
    if (!dev || dev === "-") problems.push(`the disk of volume ${name} was not found (looked for ${where(v)})`);
    else devices[name] = dev;
  }
  const byDev = new Map<string, string[]>();
  for (const [name, dev] of Object.entries(devices)) byDev.set(dev, [...(byDev.get(dev) ?? []), name]);
  for (const [dev, names] of byDev) if (names.length > 1) problems.push(`volumes ${names.join(" and ")} resolve to the same disk ${dev} (check their volume ids and devices in the outputs)`);
  if (problems.length) return { ok: false, problem: `${problems.join("; ")} — nothing was changed on this host` };
  return { ok: true, devices };
}
