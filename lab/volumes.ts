/**
 * A lab host's EBS volumes: one sparse image per declared volume, attached with
 * `losetup -f --show`, given a fake EBS id and presented inside its host only (host-up.sh
 * makes the node and the Nitro by-id link in the host's private /dev):
 *
 *   /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0 -> ../../loop7
 *
 * Images are sparse and capped at LOOP_CAP_MB whatever size the environment declares (a
 * declared 3 TiB volume must not cost 3 TiB; an empty sparse image costs nothing), but never
 * under MIN_MB so that mkfs.xfs (≥ 300 MB) works on every volume.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { VolumeSpec } from "../config/schema";
import { run, shQuiet } from "./exec";
import type { LabVolume } from "./state";

export const LOOP_CAP_MB = 1024;
export const MIN_MB = 512;

export const fakeVolumeId = () => "vol-" + crypto.randomBytes(9).toString("hex").slice(0, 17);
export const nitroName = (volumeId: string) => `nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`;
export const imageSizeMb = (sizeGb: number) => Math.max(MIN_MB, Math.min(sizeGb * 1024, LOOP_CAP_MB));

/** Make and attach one volume's image; `record` is called once the loop device exists. */
export async function attachVolume(id: string, host: string, dir: string, v: VolumeSpec, record: (lv: LabVolume) => void): Promise<void> {
  const image = path.join(dir, `mt${id}-${host}-${v.name}.img`);
  const sizeMb = imageSizeMb(v.sizeGb);
  fs.closeSync(fs.openSync(image, "w", 0o600));
  fs.truncateSync(image, sizeMb * 1024 * 1024);
  const loop = (await run("losetup", ["-f", "--show", image])).trim();
  const volumeId = fakeVolumeId();
  record({ name: v.name, loop, image, volumeId, byId: nitroName(volumeId), sizeMb });
}

/** loop devices whose backing file is one of this lab's images (from sysfs: no process per device) */
export function labLoops(id: string, labDir: string): { loop: string; image: string }[] {
  const found: { loop: string; image: string }[] = [];
  let names: string[] = [];
  try {
    names = fs.readdirSync("/sys/block").filter((n) => /^loop\d+$/.test(n));
  } catch {
    return found;
  }
  for (const n of names) {
    let back: string;
    try {
      back = fs.readFileSync(`/sys/block/${n}/loop/backing_file`, "utf8").trim().replace(/ \(deleted\)$/, "");
    } catch {
      continue; // not attached
    }
    if (back.startsWith(labDir + "/") || path.basename(back).startsWith(`mt${id}-`)) found.push({ loop: `/dev/${n}`, image: back });
  }
  return found;
}

/**
 * Detach every loop device of the lab and wait until the kernel has let go of them (a
 * filesystem mounted in a host's namespace is released asynchronously after its last
 * process exits; until then `losetup -d` only marks the device for autoclear).
 */
export async function detachVolumes(id: string, labDir: string, recorded: string[]): Promise<void> {
  const ours = (l: string) => labLoops(id, labDir).some((x) => x.loop === l);
  for (const l of new Set([...recorded.filter(ours), ...labLoops(id, labDir).map((x) => x.loop)])) shQuiet("losetup", ["-d", l]);
  for (let i = 0; i < 200 && labLoops(id, labDir).length; i++) {
    await new Promise((r) => setTimeout(r, 25));
    if (i % 40 === 39) for (const x of labLoops(id, labDir)) shQuiet("losetup", ["-d", x.loop]);
  }
  const left = labLoops(id, labDir);
  if (left.length) throw new Error(`lab: loop devices still attached after 5s: ${left.map((x) => `${x.loop} (${x.image})`).join(", ")}`);
}
