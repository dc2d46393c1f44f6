/**
 * What is on a block device, as blkid -p, wipefs -n, cryptsetup isLuks and the first MiB say
 * (runner/storage/contents.ts decides from it whether a disk is empty). The shell lines that
 * find the device (`$d`) come from the storage module; this reader adds what it reads there:
 * the contents, the device numbers (mount compares them with findmnt's), and — for a LUKS
 * volume's mapping name — whether /dev/mapper/<name> is open and on which disk, and whether
 * this kernel has device-mapper at all.
 */
import { shq } from "../modules/types";
import { keyLists, shAnswer } from "./parse";
import type { Reader } from "./types";

export interface Contents {
  /** the device that was probed ("" when there was none) */
  device: string;
  blkidRc: number;
  /** `blkid -p -o export` output on one line, DEVNAME left out: exactly what blkid found */
  blkid: string;
  /** TYPE= from blkid (xfs, ext4, crypto_LUKS, …) */
  type?: string;
  uuid?: string;
  /** `wipefs -n` findings: "ext4 at 0x438" */
  wipefs: string[];
  wipefsError?: string;
  luks: boolean;
  /** the first MiB is all zeros */
  zeroStart: boolean;
}

export interface BlockDevice extends Contents {
  /** "major:minor" in decimal, when the device exists */
  devnum?: string;
  /** with `mapper`: /dev/mapper/<mapper> exists, and the disk cryptsetup says is under it */
  mapperOpen: boolean;
  mapperOf?: string;
  /** with `mapper`: why device-mapper cannot be used here (undefined: it can) */
  noDeviceMapper?: string;
}

/** Shell lines for a script in which `$d` holds the device (or is empty): key=value lines. */
export function contentsScript(): string {
  return [
    `if [ -n "$d" ] && [ -b "$d" ]; then`,
    `  echo "dev=$d"`,
    `  out=$(blkid -p -o export "$d" 2>&1); echo "blkid_rc=$?"`,
    `  echo "blkid=$(printf '%s\\n' "$out" | grep -v '^DEVNAME=' | tr '\\n' ' ')"`,
    `  if w=$(wipefs -n -i -p "$d" 2>&1); then printf '%s\\n' "$w" | sed -n 's/^/wipefs=/p'; else echo "wipefs_error=$(printf '%s' "$w" | tr '\\n' ' ')"; fi`,
    `  cryptsetup isLuks "$d" 2>/dev/null && echo luks=yes || echo luks=no`,
    `  cmp -s -n 1048576 "$d" /dev/zero && echo zero_start=yes || echo zero_start=no`,
    `  echo "devnum=$(stat -L -c '%t:%T' "$d")"`,
    `fi`,
  ].join("\n");
}

/** The probe's key=value lines → what is on the device. */
export function parseBlockDevice(text: string): BlockDevice {
  const kv = keyLists(text);
  const one = (k: string) => kv.get(k)?.[0];
  const blkid = (one("blkid") ?? "").trim();
  const field = (k: string) => new RegExp(`(?:^|\\s)${k}=(\\S+)`).exec(blkid)?.[1];
  const wipefs = (kv.get("wipefs") ?? [])
    .filter((l) => l.trim())
    .map((l) => {
      // -p: offset,uuid,label,type
      const [offset, , , type] = l.split(",");
      return `${type || "unknown"} at ${offset}`;
    });
  const devnum = one("devnum");
  const [maj, min] = (devnum ?? "").split(":").map((h) => parseInt(h, 16));
  // /proc/misc decides: a failed `cryptsetup open` on a kernel without device-mapper leaves a
  // /dev/mapper/control node behind (libdevmapper creates it), so the node alone proves nothing
  const noDeviceMapper =
    one("dm_misc") !== "yes" ? "this kernel has no device-mapper (not in /proc/misc)" : one("dm_control") !== "yes" ? "device-mapper is in the kernel but /dev/mapper/control is missing (dmsetup mknodes creates it)" : undefined;
  return {
    device: one("dev") ?? "",
    blkidRc: Number(one("blkid_rc") ?? -1),
    blkid,
    type: field("TYPE") ?? field("PTTYPE"),
    uuid: field("UUID"),
    wipefs,
    wipefsError: one("wipefs_error"),
    luks: one("luks") === "yes",
    zeroStart: one("zero_start") === "yes",
    ...(devnum && !Number.isNaN(maj) ? { devnum: `${maj}:${min}` } : {}),
    mapperOpen: one("mapper") === "yes",
    ...(one("mapper_of") ? { mapperOf: one("mapper_of") } : {}),
    noDeviceMapper,
  };
}

export const blockDevice: Reader<{ locate: string; mapper?: string; timeout?: number }, BlockDevice> = {
  name: "blockDevice",
  doc: "what a block device holds (blkid -p, wipefs, LUKS header, blank first MiB), its numbers, its LUKS mapping",
  native: false,
  op(a) {
    const mapper = a.mapper
      ? [
          `[ -b /dev/mapper/${a.mapper} ] && echo mapper=yes && echo "mapper_of=$(cryptsetup status ${shq(a.mapper)} 2>/dev/null | sed -n 's/^ *device: *//p')"`,
          `[ -e /dev/mapper/control ] && echo dm_control=yes`,
          `grep -qw device-mapper /proc/misc 2>/dev/null && echo dm_misc=yes`,
        ]
      : [];
    return { op: "sh", script: [a.locate, contentsScript(), ...mapper, "true"].join("\n"), timeout: a.timeout ?? 60 };
  },
  read: (r, what) => parseBlockDevice(shAnswer(r, what).stdout),
};
