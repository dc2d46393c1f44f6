/**
 * filesystem — make the declared filesystem on a volume, only when the device holds nothing.
 *
 * Arguments:
 *   volume   a name from host.volumes; its declared `filesystem` (xfs | ext4) is made, on the
 *            disk found by volume id, or on /dev/mapper/<volume>_crypt when it is encrypted
 *   fstype   xfs | ext4, overrides the declaration (rarely needed)
 *   label    filesystem label, up to 12 characters
 *
 *   - name: xfs on the data volume
 *     filesystem: { volume: data }
 *
 * The declared filesystem already there: nothing to do. Nothing at all there (see
 * runner/storage/contents.ts; on a raw disk also a blank first MiB): `mkfs.xfs`/`mkfs.ext4`,
 * never with -f/-F, preceded in the same shell by a fresh emptiness check (mkfs.ext4 does NOT
 * ask before overwriting when it runs without a terminal). Anything else — another filesystem,
 * a partition table, two signatures, unknown data — stops the host with exactly what blkid and
 * wipefs found and how to proceed by hand. No argument formats a disk that holds something.
 */
import { z } from "zod";
import { shq, type Module } from "./types";
import { facts } from "../facts";
import { byHand, guardScript, notEmpty } from "../storage/contents";
import { firstFailure } from "../storage/outcome";
import { resolveOne } from "../storage/resolve";
import { disksProbe, isEncrypted, mapperName, mapperPath, openVolume, volumeOf, type VolumeVars } from "../storage/volumes";

const FSTYPES = ["xfs", "ext4"] as const;

const args = z
  .object({
    volume: z.string().min(1),
    fstype: z.enum(FSTYPES).optional(),
    label: z.string().regex(/^[A-Za-z0-9_-]{1,12}$/, "expected a label of 1-12 letters, digits, _ or -").optional(),
  })
  .strict();
type Args = z.output<typeof args>;

/** Shell lines setting `$d` to the device the filesystem lives on (empty when it is missing). */
export function filesystemDevice(v: VolumeVars, volume: string): string {
  return isEncrypted(v) ? `d=${mapperPath(volume)}; [ -b "$d" ] || d=""` : resolveOne(v);
}

export const filesystem: Module<Args> = {
  name: "filesystem",
  doc: "mkfs.xfs/mkfs.ext4 on a declared volume, only when it holds nothing (never -f)",
  args,
  probe(a, ctx) {
    return [disksProbe(ctx), facts.blockDevice.op({ locate: filesystemDevice(volumeOf(ctx.host, a.volume), a.volume) })];
  },
  plan(a, [disks, mine], ctx) {
    const o = openVolume(ctx, a.volume, disks);
    if ("failed" in o) return o.failed;
    const { v, devices } = o;
    const encrypted = isEncrypted(v);
    const fstype = a.fstype ?? v.filesystem;
    if (!(FSTYPES as readonly string[]).includes(fstype)) return { status: "failed", msg: `volume ${a.volume} declares filesystem "${fstype}"; expected one of ${FSTYPES.join(", ")}` };
    const c = facts.blockDevice.read(mine, "probe the device");
    if (!c.device)
      return {
        status: "failed",
        msg: encrypted ? `${mapperPath(a.volume)} is not open (volume ${a.volume} is encrypted: the luks task opens it; after a reboot, multitier unlock)` : `no device for volume ${a.volume}`,
        ...(encrypted ? { pending: `make ${fstype} inside ${mapperPath(a.volume)} after the luks task has encrypted and opened volume ${a.volume}` } : {}),
      };
    if (!encrypted && c.device !== devices[a.volume]) return { status: "failed", msg: `volume ${a.volume} resolved to ${devices[a.volume]} and then to ${c.device}: disks are changing, nothing was changed` };
    const dev = c.device;
    if (c.blkidRc === 0 && c.type === fstype) return { status: "ok", msg: `nothing to do (${fstype} on ${dev})` };
    const found = notEmpty(c, !encrypted);
    if (found) {
      const other = c.blkidRc === 0 && (FSTYPES as readonly string[]).includes(c.type ?? "") ? ` If the volume is meant to be ${c.type}, declare \`filesystem: ${c.type}\` for ${a.volume} in hosts/<env>.yaml.` : "";
      return { status: "failed", msg: `refusing to make ${fstype} on ${dev} (volume ${a.volume}): it is not empty — ${found}. Nothing was changed.${other} ${byHand(dev, !encrypted)}` };
    }
    const label = a.label ? ` -L ${shq(a.label)}` : "";
    const recheck = encrypted ? [`d=${mapperPath(a.volume)}`] : [resolveOne(v)];
    return {
      status: "changed",
      msg: `make ${fstype} on ${dev} (volume ${a.volume}${encrypted ? `, inside LUKS ${mapperName(a.volume)}` : ""})`,
      apply: [
        {
          op: "sh",
          // checked again in the same shell, a moment before mkfs writes
          script: [...recheck, guardScript(dev, !encrypted), `[ "$d" = "$g" ] || mt_stop "volume ${a.volume} now resolves to \${d:-nothing}"`, `mkfs.${fstype} -q${label} "$g"`].join("\n"),
          timeout: 1800,
        },
      ],
      verify: (res) => firstFailure(res, [`mkfs.${fstype}`]),
    };
  },
};
