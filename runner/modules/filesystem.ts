/**
 * filesystem — make a filesystem on a declared volume, only when the device is empty.
 *
 * Arguments: volume (a name from host.volumes; its declared filesystem and encryption are
 * used: an encrypted volume's filesystem goes on /dev/mapper/<volume>_crypt), fstype
 * (override), label.
 *
 *   - name: xfs on the data volume
 *     filesystem: { volume: data }
 *
 * mkfs.xfs / mkfs.ext4 run without -f/-F: a device with any signature is never formatted.
 * The declared filesystem already there: nothing to do. Anything else: the host stops and
 * the message says what blkid found.
 */
import { z } from "zod";
import { asSh } from "./results";
import { shq, type Module } from "./types";
import { describeSignature, keyValues, resolution, resolveScript } from "../storage/resolve";
import { mapperName, volumeOf } from "./luks";

const args = z
  .object({ volume: z.string().min(1), fstype: z.enum(["xfs", "ext4"]).optional(), label: z.string().regex(/^[A-Za-z0-9_-]{1,12}$/).optional() })
  .strict();
type Args = z.output<typeof args>;

export const filesystem: Module<Args> = {
  name: "filesystem",
  doc: "mkfs.xfs/mkfs.ext4 on a declared volume, only when it holds no signature",
  args,
  probe(a, ctx) {
    const v = volumeOf(ctx, a.volume);
    const dev = v.encryption === "luks" ? `d=/dev/mapper/${mapperName(a.volume)}; [ -b "$d" ] || d=""; echo "dev=$d"` : resolveScript({ [a.volume]: v }).replace(/echo "R [^"]*"$/, 'echo "dev=$d"');
    return [
      { op: "sh", script: resolveScript(ctx.host.volumes) },
      { op: "sh", script: `${dev}\n[ -n "$d" ] && echo "blkid=$(blkid -p -o export "$d" 2>/dev/null | tr '\\n' ' ')"; true` },
    ];
  },
  plan(a, [all, mine], ctx) {
    const v = volumeOf(ctx, a.volume);
    const res = resolution(asSh(all, "resolve disks"), a.volume, v);
    if (res.problem) return { status: "failed", msg: res.problem };
    const kv = keyValues(asSh(mine, "probe device").stdout);
    const fstype = a.fstype ?? (v.filesystem as "xfs" | "ext4");
    if (!kv.dev) return { status: "failed", msg: v.encryption === "luks" ? `/dev/mapper/${mapperName(a.volume)} is not open (volume ${a.volume} is encrypted: run the luks task or \`multitier unlock\` first)` : `no device for volume ${a.volume}` };
    const blkid = (kv.blkid ?? "").trim();
    const type = /(?:^|\s)TYPE=(\S+)/.exec(blkid)?.[1];
    if (type === fstype) return { status: "ok", msg: `nothing to do (${fstype} on ${kv.dev})` };
    if (blkid)
      return { status: "failed", msg: `refusing to make ${fstype} on ${kv.dev} (volume ${a.volume}): it already holds ${describeSignature(blkid)}. Nothing was changed. If the declared filesystem is wrong, fix hosts/<env>.yaml; if the data is not needed, wipe it by hand (wipefs -a ${kv.dev}).` };
    const label = a.label ? (fstype === "xfs" ? ` -L ${shq(a.label)}` : ` -L ${shq(a.label)}`) : "";
    return { status: "changed", msg: `make ${fstype} on ${kv.dev} (volume ${a.volume})`, apply: [{ op: "sh", script: `mkfs.${fstype} -q${label} ${shq(kv.dev)}`, timeout: 1800 }] };
  },
};
