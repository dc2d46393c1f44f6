/**
 * Finding a declared volume's disk on the host, safely (NOTES §1: device names like
 * /dev/nvme1n1 are not stable). In order:
 *   1. /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol<id without dash> (Nitro), or the
 *      NVMe disk whose serial is that id (when udev links are missing);
 *   2. the declared device name and its alias (/dev/sdf <-> /dev/xvdf) on older instances.
 * One shell probe resolves EVERY volume of the host, so a task can refuse to go on when its
 * disk is missing or when two volumes resolve to the same disk — before touching anything.
 */
import type { ShResult } from "../agent/protocol";
import type { HostVars } from "../modules/types";
import { shq } from "../modules/types";

export type VolumeVars = HostVars["volumes"][string];

export function candidates(v: VolumeVars): string[] {
  const out: string[] = [];
  if (v.volumeId) out.push(`/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${v.volumeId.replace("-", "")}`);
  out.push(v.device);
  const m = /^\/dev\/(sd|xvd)([a-z])$/.exec(v.device);
  if (m) out.push(`/dev/${m[1] === "sd" ? "xvd" : "sd"}${m[2]}`);
  return out;
}

/** A shell snippet printing `R <volume> <resolved device or ->` for every volume of the host. */
export function resolveScript(volumes: Record<string, VolumeVars>): string {
  const lines = Object.entries(volumes).map(([name, v]) => {
    const serial = v.volumeId ? v.volumeId.replace("-", "") : "";
    const tries = candidates(v)
      .map((c) => `[ -z "$d" ] && [ -b ${shq(c)} ] && d=$(readlink -f ${shq(c)})`)
      .join("; ");
    const bySerial = serial
      ? `; [ -z "$d" ] && for s in /sys/block/nvme*/device/serial; do [ -r "$s" ] && [ "$(tr -d ' ' < "$s")" = ${shq(serial)} ] && d=/dev/$(basename "$(dirname "$(dirname "$s")")")n1 && break; done`
      : "";
    return `d=""; ${tries}${bySerial}; echo "R ${name} \${d:--}"`;
  });
  return lines.join("\n");
}

export interface Resolution {
  device?: string;
  problem?: string;
}

/** Read the resolve output for one volume; also detect sharing with another volume. */
export function resolution(out: ShResult | string, volume: string, v: VolumeVars): Resolution {
  const text = typeof out === "string" ? out : out.stdout;
  const found = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^R (\S+) (\S+)$/.exec(line);
    if (m) found.set(m[1], m[2]);
  }
  const dev = found.get(volume);
  if (!dev || dev === "-") return { problem: `the disk of volume ${volume} was not found (looked for ${candidates(v).join(", ")}${v.volumeId ? " and an NVMe disk with serial " + v.volumeId.replace("-", "") : ""}); nothing was changed` };
  const twins = [...found.entries()].filter(([n, d]) => n !== volume && d === dev).map(([n]) => n);
  if (twins.length) return { problem: `volumes ${[volume, ...twins].join(" and ")} resolve to the same disk ${dev}; fix the volume ids/devices in the outputs — nothing was changed` };
  return { device: dev };
}

/** key=value lines → object (for probe scripts that print `k=v`). */
export function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0 && /^[a-z_]+$/.test(line.slice(0, i))) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** What blkid says is on a device, in words for the operator. */
export function describeSignature(blkidExport: string): string {
  const kv = Object.fromEntries(
    blkidExport
      .trim()
      .split(/\s+/)
      .filter((x) => x.includes("="))
      .map((x) => [x.slice(0, x.indexOf("=")), x.slice(x.indexOf("=") + 1)]),
  );
  const parts = [kv.TYPE && `TYPE=${kv.TYPE}`, kv.PTTYPE && `partition table ${kv.PTTYPE}`, kv.UUID && `UUID=${kv.UUID}`, kv.LABEL && `LABEL=${kv.LABEL}`].filter(Boolean);
  return parts.join(", ") || blkidExport.trim() || "an unknown signature";
}
