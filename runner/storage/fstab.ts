/**
 * fstab lines for declared volumes: rendered from templates/fstab.hbs, mounted by UUID
 * (never /dev/nvme1n1: NVMe names follow attach order), one line per volume marked `# multitier:<volume>` so a run
 * finds and replaces its own line and leaves every other line as it is.
 *
 *   UUID=3f0c… /log xfs defaults,noatime,noexec 0 2 # multitier:log
 *
 * Also: which mount flags the kernel shows for a set of options, so a mounted volume whose
 * flags differ from the declaration is remounted (and one that matches is left alone).
 */
import * as fs from "fs";
import * as path from "path";
import { render } from "../template";
import { isEncrypted, type VolumeVars } from "./volumes";

/** fstab.hbs ships with the project, not with an environment's templates directory */
const TEMPLATE = fs.readFileSync(path.join(__dirname, "..", "..", "templates", "fstab.hbs"), "utf8").trimEnd();

/** Characters fstab cannot hold unescaped in a field (and `#` starts a comment). */
const FIELD = /^[^\s#]+$/;

/** Declared options (or `defaults`), with `nofail` for encrypted volumes: after a reboot they
 * stay closed until `multitier unlock`, and the boot must not wait for them. */
export function mountOptions(v: VolumeVars): string[] {
  const declared = (v.mountOptions as string[] | undefined)?.length ? [...(v.mountOptions as string[])] : ["defaults"];
  if (isEncrypted(v) && !declared.includes("nofail")) declared.push("nofail");
  for (const o of declared) if (!FIELD.test(o) || o.includes(",")) throw new Error(`mount option "${o}" cannot go in fstab (no spaces, commas or #)`);
  return declared;
}

export function fstabLine(f: { uuid: string; mountPoint: string; fstype: string; options: string[]; volume: string }): string {
  if (!FIELD.test(f.mountPoint) || !f.mountPoint.startsWith("/")) throw new Error(`mount point "${f.mountPoint}" cannot go in fstab (an absolute path without spaces or #)`);
  return render({ inline: TEMPLATE }, f);
}

export const marker = (volume: string): string => `# multitier:${volume}`;

export interface Placement {
  text: string;
  changed: boolean;
  /** our previous line for this volume, if there was one */
  previous?: string;
  /** a line we did not write that mounts something at the same mount point */
  foreign?: string;
}

/** Put `line` into fstab `text`: replace our line for `volume` in place, else append. */
export function placeLine(text: string, volume: string, mountPoint: string, line: string): Placement {
  const rows = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const mine = (l: string) => l.trimEnd().endsWith(marker(volume));
  const foreign = rows.find((l) => !mine(l) && !/^\s*#/.test(l) && l.trim().split(/\s+/)[1] === mountPoint);
  const previous = rows.find(mine);
  let next: string[];
  if (previous === undefined) next = [...rows, line];
  else {
    let placed = false;
    next = rows.flatMap((l) => (mine(l) ? (placed ? [] : ((placed = true), [line])) : [l]));
  }
  const out = next.join("\n") + "\n";
  return { text: out, changed: out !== (rows.length ? rows.join("\n") + "\n" : ""), previous, foreign };
}

/** The options field (4th) of an fstab line. */
export const optionsOf = (line: string | undefined): string | undefined => line?.trim().split(/\s+/)[3];

/**
 * The per-mount flags the kernel reports in findmnt's VFS-OPTIONS for these fstab options.
 * Options are applied left to right like mount(8) does (`defaults` = rw,suid,dev,exec;
 * `user`/`users` imply noexec,nosuid,nodev); atime is one of noatime|relatime|strictatime,
 * relatime when nothing is said.
 */
export function expectedFlags(options: string[]): Record<string, boolean | string> {
  const f = { ro: false, noexec: false, nosuid: false, nodev: false, nodiratime: false, atime: "relatime" };
  for (const o of options) {
    if (o === "defaults") Object.assign(f, { ro: false, noexec: false, nosuid: false, nodev: false });
    else if (o === "ro" || o === "rw") f.ro = o === "ro";
    else if (o === "exec" || o === "noexec") f.noexec = o === "noexec";
    else if (o === "suid" || o === "nosuid") f.nosuid = o === "nosuid";
    else if (o === "dev" || o === "nodev") f.nodev = o === "nodev";
    else if (o === "user" || o === "users") Object.assign(f, { noexec: true, nosuid: true, nodev: true });
    else if (o === "noatime" || o === "relatime" || o === "strictatime") f.atime = o;
    else if (o === "atime" && f.atime === "noatime") f.atime = "relatime";
    else if (o === "diratime" || o === "nodiratime") f.nodiratime = o === "nodiratime";
  }
  return f;
}

export function flagsShown(vfsOptions: string): Record<string, boolean | string> {
  const have = new Set(vfsOptions.split(","));
  return {
    ro: have.has("ro"),
    noexec: have.has("noexec"),
    nosuid: have.has("nosuid"),
    nodev: have.has("nodev"),
    nodiratime: have.has("nodiratime"),
    atime: have.has("noatime") ? "noatime" : have.has("relatime") ? "relatime" : "strictatime",
  };
}

/** Flags that differ between the declaration and the live mount: ["noexec: declared no, mounted yes"]. */
export function flagDrift(options: string[], vfsOptions: string): string[] {
  const want = expectedFlags(options);
  const have = flagsShown(vfsOptions);
  const word = (v: boolean | string) => (typeof v === "boolean" ? (v ? "yes" : "no") : v);
  return Object.keys(want)
    .filter((k) => want[k] !== have[k])
    .map((k) => `${k}: declared ${word(want[k])}, mounted ${word(have[k])}`);
}

/**
 * Extra `-o` options for a remount. A remount keeps the old atime mode unless one is given,
 * so removing `noatime` from the declaration needs an explicit `relatime`.
 */
export function remountExtra(options: string[]): string {
  return options.some((o) => o === "noatime" || o === "relatime" || o === "strictatime") ? "" : ",relatime";
}
