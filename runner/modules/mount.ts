/**
 * mount — a declared volume in fstab by UUID, mounted with its declared options, the mount
 * point owned and moded as declared.
 *
 * Arguments:
 *   volume   a name from host.volumes: mountPoint, filesystem, mountOptions (default
 *            [defaults]), owner, group, mode and encryption come from the environment file
 *   fstab    default /etc/fstab (tests point it into a temp dir)
 *
 *   - name: mount /log
 *     mount: { volume: log }
 *
 * The line comes from templates/fstab.hbs: `UUID=<uuid> /log xfs defaults,noatime,noexec 0 2
 * # multitier:log` (`nofail` added for encrypted volumes: closed after a reboot until
 * `multitier unlock`). fstab is replaced atomically, only after `findmnt --verify --tab-file`
 * accepts the new file; our line is replaced in place, other lines are kept, and a line we
 * did not write for the same mount point stops the host. Then: mount point created, mounted
 * (or remounted when the live flags — compared with `findmnt -J` — or the options differ),
 * owner/group/mode set on the mounted root. Nothing to do when all of that already matches.
 * A volume's data is never touched.
 */
import { z } from "zod";
import type { Op } from "../agent/protocol";
import { facts } from "../facts";
import { normMode, sameMode } from "./results";
import { oldText } from "./files";
import { b64, shq, type Module, type Plan } from "./types";
import { filesystemDevice } from "./filesystem";
import { fstabLine, flagDrift, mountOptions, optionsOf, placeLine, remountExtra } from "../storage/fstab";
import { fileDiff, firstFailure } from "../storage/outcome";
import { disksProbe, isEncrypted, mapperPath, openVolume, volumeOf } from "../storage/volumes";

const args = z.object({ volume: z.string().min(1), fstab: z.string().startsWith("/").default("/etc/fstab") }).strict();
type Args = z.output<typeof args>;

export const mount: Module<Args> = {
  name: "mount",
  doc: "fstab entry by UUID (findmnt-verified), mounted with the declared options, owner/group/mode",
  args,
  probe(a, ctx) {
    const v = volumeOf(ctx.host, a.volume);
    return [
      disksProbe(ctx),
      facts.blockDevice.op({ locate: filesystemDevice(v, a.volume) }),
      facts.mountPoint.op({ path: v.mountPoint }),
      facts.file.op({ path: a.fstab, content: true }),
      facts.file.op({ path: v.mountPoint }),
      facts.dirEntries.op({ path: v.mountPoint }),
    ];
  },
  plan(a, [disks, mine, live, tab, mpStat, entries], ctx): Plan {
    const o = openVolume(ctx, a.volume, disks);
    if ("failed" in o) return o.failed;
    const { v } = o;
    const c = facts.blockDevice.read(mine, "probe the device");
    if (!c.device)
      return {
        status: "failed",
        msg: isEncrypted(v) ? `${mapperPath(a.volume)} is not open: volume ${a.volume} is encrypted and closed (after a reboot: multitier unlock <service> --env <env>)` : `no device for volume ${a.volume}`,
        ...(isEncrypted(v) ? { pending: `mount ${v.mountPoint} after its LUKS volume is opened and its filesystem made` } : {}),
      };
    const dev = c.device;
    if (c.blkidRc !== 0 || !c.uuid)
      return {
        status: "failed",
        msg: `${dev} (volume ${a.volume}) has no filesystem to mount (blkid -p exit ${c.blkidRc}${c.blkid ? `: ${c.blkid}` : ""}); the filesystem task makes it`,
        // blank (blkid exit 2): the filesystem task before this one makes it
        ...(c.blkidRc === 2 ? { pending: `mount ${v.mountPoint} after its filesystem is made (${v.filesystem} on ${dev})` } : {}),
      };
    if (c.type !== v.filesystem) return { status: "failed", msg: `${dev} (volume ${a.volume}) holds ${c.type}, but ${v.filesystem} is declared: not mounting it (nothing was changed)` };

    const options = mountOptions(v);
    const line = fstabLine({ uuid: c.uuid, mountPoint: v.mountPoint, fstype: v.filesystem, options, volume: a.volume });
    const fstabBefore = oldText(facts.file.read(tab, `read ${a.fstab}`));
    const placed = placeLine(fstabBefore, a.volume, v.mountPoint, line);
    if (placed.foreign) return { status: "failed", msg: `${a.fstab} already mounts something else at ${v.mountPoint} ("${placed.foreign.trim()}"); remove or change that line by hand — nothing was changed` };

    const m = facts.mountPoint.read(live, "findmnt");
    if (m) {
      if (m["maj:min"] !== c.devnum) return { status: "failed", msg: `${v.mountPoint} is already a mount of ${m.source}, not of volume ${a.volume} (${dev}); unmount it by hand — nothing was changed` };
    }
    const drift = m ? flagDrift(options, m["vfs-options"]) : [];
    const optionsChanged = Boolean(m && placed.previous && optionsOf(placed.previous) !== options.join(","));
    const remount = Boolean(m) && (drift.length > 0 || optionsChanged);

    const st = facts.file.read(mpStat, `stat ${v.mountPoint}`);
    const owner = v.owner as string | undefined;
    const group = v.group as string | undefined;
    const mode = v.mode as string | undefined;
    const attrsOk = Boolean(m) && st.exists && (!owner || st.owner === owner) && (!group || st.group === group) && sameMode(st.mode, mode);
    if (!placed.changed && m && !remount && attrsOk) return { status: "ok", msg: `nothing to do (${v.mountPoint} is ${dev} by UUID, ${options.join(",")})` };

    const why: string[] = [];
    if (placed.changed) why.push(`fstab entry for ${v.mountPoint}`);
    const mp = shq(v.mountPoint);
    const tabq = shq(a.fstab);
    let mountCmd = "true";
    if (!m) {
      const hidden = facts.dirEntries.read(entries, `list ${v.mountPoint}`);
      why.push(`mount ${v.mountPoint}${hidden.length ? ` (over ${hidden.length > 3 ? "4+" : hidden.length} entries already in it on the root filesystem — hidden, not deleted: ${hidden.slice(0, 3).join(", ")})` : ""}`);
      mountCmd = `mount --fstab ${tabq} ${mp}`;
    } else if (remount) {
      why.push(`remount ${v.mountPoint} with ${options.join(",")}${drift.length ? ` (${drift.join("; ")})` : ""}`);
      mountCmd = `mount --fstab ${tabq} -o remount${remountExtra(options)} ${mp}`;
    }
    const attrCmds = [owner || group ? `chown ${shq(`${owner ?? ""}${group ? `:${group}` : ""}`)} ${mp}` : "", mode ? `chmod ${normMode(mode)} ${mp}` : ""].filter(Boolean);
    if (!attrsOk && attrCmds.length) why.push(`owner/mode of ${v.mountPoint}`);

    const apply: Op[] = [{ op: "sh", script: `mkdir -p ${mp}` }];
    const labels = [`mkdir ${v.mountPoint}`];
    if (placed.changed) apply.push({ op: "write", path: a.fstab, content: b64(placed.text), validate: "findmnt --verify --tab-file %s" }), labels.push(`write ${a.fstab} (checked with findmnt --verify)`);
    // the ops of a batch all run: mount only if fstab really holds our line now
    apply.push({ op: "sh", script: [`grep -qxF ${shq(line)} ${tabq} || { echo "${a.fstab} does not hold the new line: not mounting" >&2; exit 1; }`, mountCmd, ...attrCmds].join(" && ") });
    labels.push(m ? (remount ? "remount" : "owner/mode") : "mount");
    return {
      status: "changed",
      msg: why.join(", "),
      diff: placed.changed ? fileDiff(a.fstab, fstabBefore, placed.text) : undefined,
      apply,
      verify: (res) => firstFailure(res, labels),
    };
  },
};
