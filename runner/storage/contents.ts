/**
 * Whether a block device is empty (what is on it is read by runner/facts/block-device.ts), and
 * the guard that stands in front of every command that formats one (luksFormat, mkfs).
 * "Empty" means ALL of:
 *   - `blkid -p` (low-level probe) exits 2: no signature. Exit 8 is an "ambivalent result"
 *     (two signatures, e.g. xfs and ext4) and prints NOTHING on stdout — it is not empty;
 *   - `wipefs -n` lists no signature (it reports every one, ambivalent or not);
 *   - `cryptsetup isLuks` says no;
 *   - on a raw disk, the first MiB reads as zeros (a new EBS volume does; plain dm-crypt,
 *     a detached-header LUKS volume or an unknown format do not). Not required of an opened
 *     LUKS mapping: a freshly formatted one reads as noise.
 *
 * Why a guard as well as the probe: `mkfs.ext4` without -F asks before overwriting a
 * filesystem ONLY on a terminal — run by a program it formats a disk holding ext4 without a
 * question — and `luksFormat --batch-mode` never asks. So the command that formats is always
 * `<guard> && <format>` in ONE shell op: the device is checked again a moment before it is
 * written, whatever the plan saw (exit 65 and a message when it is not empty).
 */
import type { Contents } from "../facts/block-device";
import { shq } from "../modules/types";

export const GUARD_EXIT = 65;

/** Why the device is not empty, in words; undefined when it is empty. */
export function notEmpty(c: Contents, requireZeroStart: boolean): string | undefined {
  const found: string[] = [];
  if (c.blkidRc === 0) found.push(`blkid -p: ${c.blkid}`);
  else if (c.blkidRc === 8) found.push(`blkid -p: ambivalent result (more than one signature)`);
  else if (c.blkidRc !== 2) found.push(`blkid -p failed (exit ${c.blkidRc}${c.blkid ? `: ${c.blkid}` : ""})`);
  if (c.wipefsError) found.push(`wipefs could not read it: ${c.wipefsError.trim()}`);
  else if (c.wipefs.length) found.push(`wipefs: ${c.wipefs.join(", ")}`);
  if (c.luks && !found.length) found.push("a LUKS header (cryptsetup isLuks)");
  if (!found.length && requireZeroStart && !c.zeroStart) found.push("no known signature, but its first MiB is not blank: data in a format blkid does not know (plain dm-crypt, a LUKS volume with a detached header, raw files?)");
  return found.length ? found.join("; ") : undefined;
}

/** What to do by hand when a device holds something the declaration does not expect. */
export function byHand(device: string, requireZeroStart: boolean): string {
  const erase = requireZeroStart ? `wipefs -a ${device} && dd if=/dev/zero of=${device} bs=1M count=1` : `wipefs -a ${device}`;
  return `Look at it first (blkid -p ${device}; wipefs ${device}; mount -o ro ${device} /mnt); if nothing on it is needed, erase it by hand (${erase}) and run again`;
}

/**
 * Shell lines that stop (exit 65, message on stderr) unless `dev` is empty right now.
 * Put them in the same script as the command that formats, joined with newlines.
 */
export function guardScript(dev: string, requireZeroStart: boolean): string {
  return [
    `g=${shq(dev)}`,
    `mt_stop() { echo "refusing to format $g: $1; nothing was changed" >&2; exit ${GUARD_EXIT}; }`,
    `[ -b "$g" ] || mt_stop "it is not a block device"`,
    `blkid -p "$g" >/dev/null 2>&1; rc=$?; [ "$rc" -eq 2 ] || mt_stop "blkid -p finds a signature (exit $rc)"`,
    `w=$(wipefs -n -i -p "$g" 2>&1) || mt_stop "wipefs could not read it: $w"`,
    `[ -z "$w" ] || mt_stop "wipefs finds: $(printf '%s' "$w" | tr '\\n' ' ')"`,
    `! cryptsetup isLuks "$g" 2>/dev/null || mt_stop "it holds a LUKS header"`,
    ...(requireZeroStart ? [`cmp -s -n 1048576 "$g" /dev/zero || mt_stop "its first MiB is not blank"`] : []),
  ].join("\n");
}
