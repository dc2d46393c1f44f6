/**
 * Which disk each declared volume is on: one command for every volume of the host (the script
 * comes from runner/storage/resolve.ts, which knows where to look: EBS volume id links, NVMe
 * serials, device names). The fact: volume name → device, "-" when not found.
 */
import type { OpResult } from "../agent/protocol";
import { resolveOp } from "../storage/resolve";
import type { VolumeVars } from "../storage/volumes";
import { shAnswer } from "./parse";
import type { Reader } from "./types";

/** `R <volume> <device or ->` lines → volume → device */
export function parseDisks(stdout: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const m = /^R (\S+) (\S+)$/.exec(line);
    if (m) found.set(m[1], m[2]);
  }
  return found;
}

export const volumeDisks: Reader<{ volumes: Record<string, VolumeVars> }, Map<string, string>> = {
  name: "volumeDisks",
  doc: "the disk each declared volume is on (by EBS volume id, NVMe serial or device name)",
  native: false,
  op: (a) => resolveOp(a.volumes),
  read: (r: OpResult | undefined, what: string) => parseDisks(shAnswer(r, what).stdout),
};
