/**
 * mount — a declared volume in fstab by UUID, mounted with its declared options, its mount
 * point owned and moded as declared.
 *
 * Arguments: volume (a name from host.volumes: mountPoint, filesystem, mountOptions, owner,
 * group, mode and encryption come from the environment file), fstab (default /etc/fstab).
 *
 *   - name: mount /data
 *     mount: { volume: data }
 *
 * The fstab line is rendered from templates/fstab.hbs (`UUID=… /data xfs defaults,noatime
 * 0 2 # multitier:data`), `nofail` added for encrypted volumes (they need a manual unlock
 * after a reboot), and checked with `findmnt --verify --tab-file` before it replaces fstab.
 * Changed options are applied with a remount; data is never touched.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { asSh, asStat, normMode, sameMode } from "./results";
import { oldText } from "./files";
import { b64, shq, type Module, type Plan } from "./types";
import { keyValues, resolution, resolveScript } from "../storage/resolve";
import { mapperName, volumeOf } from "./luks";
import { render } from "../template";

const args = z.object({ volume: z.string().min(1), fstab: z.string().startsWith("/").default("/etc/fstab") }).strict();
type Args = z.output<typeof args>;

/** fstab.hbs ships with the project (not with an environment's templates) */
const FSTAB_TEMPLATE = fs.readFileSync(path.join(__dirname, "..", "..", "templates", "fstab.hbs"), "utf8");

/**
 * Does a declared option disagree with the kernel's view of the mount (findmnt VFS-OPTIONS)?
 * The kernel lists noexec/nosuid/nodev/noatime/ro when set and leaves exec/suid/dev out.
 */
export function optionDiffers(option: string, have: Set<string>): boolean {
  const shown: Record<string, boolean> = { noexec: true, nosuid: true, nodev: true, noatime: true, ro: true, rw: true };
  const opposite: Record<string, string> = { exec: "noexec", suid: "nosuid", dev: "nodev", rw: "ro", ro: "rw", noexec: "", nosuid: "", nodev: "", noatime: "" };
  if (!(option in opposite)) return false; // defaults, nofail, x-… : not visible on the mount
  if (shown[option]) return !have.has(option);
  return have.has(opposite[option]);
}

export const mount: Module<Args> = {
  name: "mount",
  doc: "fstab entry by UUID (findmnt-verified), mounted with the declared options, owner/mode",
  args,
  probe(a, ctx) {
    const v = volumeOf(ctx, a.volume);
    const mp = shq(v.mountPoint);
    const dev = v.encryption === "luks" ? `d=/dev/mapper/${mapperName(a.volume)}; [ -b "$d" ] || d=""` : resolveScript({ [a.volume]: v }).replace(/; echo "R [^"]*"$/, "");
    return [
      { op: "sh", script: resolveScript(ctx.host.volumes) },
      {
        op: "sh",
        script: `${dev}
echo "dev=$d"; [ -n "$d" ] && echo "uuid=$(blkid -p -s UUID -o value "$d" 2>/dev/null)"
echo "mounted=$(findmnt -rn -o SOURCE,VFS-OPTIONS --mountpoint ${mp} 2>/dev/null | head -1)"
echo "majmin=$(findmnt -rn -o MAJ:MIN --mountpoint ${mp} 2>/dev/null | head -1)"; [ -n "$d" ] && echo "devmajmin=$(stat -L -c '%t:%T' "$d" 2>/dev/null)"`,
      },
      { op: "stat", path: a.fstab, content: true },
      { op: "stat", path: v.mountPoint },
    ];
  },
  plan(a, [all, mine, tab, mpStat], ctx): Plan {
    const v = volumeOf(ctx, a.volume);
    const res = v.encryption === "luks" ? {} : resolution(asSh(all, "resolve disks"), a.volume, v);
    if ("problem" in res && res.problem) return { status: "failed", msg: res.problem };
    const kv = keyValues(asSh(mine, "probe mount").stdout);
    if (!kv.dev) return { status: "failed", msg: v.encryption === "luks" ? `/dev/mapper/${mapperName(a.volume)} is not open: unlock the volume first` : `no device for volume ${a.volume}` };
    if (!kv.uuid) return { status: "failed", msg: `${kv.dev} has no filesystem yet (run the filesystem task first)` };
    const options = [...((v.mountOptions as string[] | undefined) ?? ["defaults"])];
    if (v.encryption === "luks" && !options.includes("nofail")) options.push("nofail");
    const line = render({ inline: FSTAB_TEMPLATE.trimEnd() }, { uuid: kv.uuid, mountPoint: v.mountPoint, fstype: v.filesystem, options, volume: a.volume });
    const fstabText = oldText(asStat(tab, `stat ${a.fstab}`));
    const lines = fstabText.split("\n").filter((l, i, arr) => !(i === arr.length - 1 && l === ""));
    const marker = `# multitier:${a.volume}`;
    const foreign = lines.find((l) => !l.endsWith(marker) && !l.trim().startsWith("#") && l.trim().split(/\s+/)[1] === v.mountPoint);
    if (foreign) return { status: "failed", msg: `${a.fstab} already mounts something else at ${v.mountPoint} ("${foreign.trim()}"); remove that line by hand — nothing was changed` };
    // replace our line where it is (order matters to people reading fstab), else append
    const at = lines.findIndex((l) => l.endsWith(marker));
    const nextLines = at >= 0 ? lines.map((l, i) => (i === at ? line : l)).filter((l, i) => i === at || !l.endsWith(marker)) : [...lines, line];
    const nextFstab = nextLines.join("\n") + "\n";
    const fstabChanged = nextFstab !== (lines.length ? lines.join("\n") + "\n" : "");

    const [src, vfsOpts = ""] = (kv.mounted ?? "").split(" ");
    const mounted = Boolean(src);
    if (mounted && kv.majmin && kv.devmajmin) {
      const [maj, min] = kv.devmajmin.split(":").map((h) => parseInt(h, 16));
      if (kv.majmin !== `${maj}:${min}`) return { status: "failed", msg: `${v.mountPoint} is already a mount of ${src}, not of volume ${a.volume} (${kv.dev}); unmount it by hand — nothing was changed` };
    }
    const have = new Set(vfsOpts.split(","));
    const optionDrift = mounted && options.some((o) => optionDiffers(o, have));
    const st = asStat(mpStat, `stat ${v.mountPoint}`);
    const owner = v.owner as string | undefined;
    const group = v.group as string | undefined;
    const mode = v.mode as string | undefined;
    const attrsOk = mounted && st.exists && (!owner || st.owner === owner) && (!group || st.group === group) && sameMode(st.mode, mode);
    if (!fstabChanged && mounted && !optionDrift && attrsOk) return { status: "ok", msg: `nothing to do (${v.mountPoint} mounted)` };

    const mp = shq(v.mountPoint);
    const why: string[] = [];
    if (fstabChanged) why.push(`fstab entry for ${v.mountPoint}`);
    const mountCmd = !mounted ? (why.push(`mount ${v.mountPoint}`), `mount --fstab ${shq(a.fstab)} ${mp}`) : optionDrift ? (why.push(`remount ${v.mountPoint} (${options.join(",")})`), `mount --fstab ${shq(a.fstab)} -o remount ${mp}`) : "true";
    const attrCmd = [
      owner || group ? `chown ${shq(`${owner ?? ""}${group ? `:${group}` : ""}`)} ${mp}` : "",
      mode ? `chmod ${normMode(mode)} ${mp}` : "",
    ].filter(Boolean);
    if (!attrsOk && attrCmd.length) why.push(`owner/mode of ${v.mountPoint}`);
    return {
      status: "changed",
      msg: why.join(", "),
      apply: [
        { op: "sh", script: `mkdir -p ${mp}` },
        ...(fstabChanged ? [{ op: "write" as const, path: a.fstab, content: b64(nextFstab), mode: "0644", validate: `findmnt --verify --tab-file %s` }] : []),
        { op: "sh", script: [mountCmd, ...attrCmd].join(" && ") },
      ],
    };
  },
};
