/**
 * Scratch space for storage tests on this machine: a temp dir holding sparse image files,
 * the loop devices made from them (`losetup -f --show`), mount points, fstab and crypttab.
 * `cleanup()` unmounts everything under the dir (deepest first), closes LUKS mappings the
 * tests opened, detaches the loops and removes the dir — call it in afterAll; it also runs
 * at process exit in case afterAll never comes. Never touches /etc/fstab or /etc/crypttab.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const isRoot = process.getuid?.() === 0 && process.platform === "linux";

const sh = (script: string): string => execFileSync("/bin/sh", ["-c", script], { encoding: "utf8" });

export class Scratch {
  readonly dir: string;
  private readonly loops: string[] = [];
  private readonly mappers: string[] = [];
  private cleaned = false;

  constructor(id: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `mt-storage-${id}-`));
    process.once("exit", () => this.cleanup());
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** a new loop device over a sparse file of `mb` MiB (xfs needs at least 300) */
  loop(name: string, mb = 320): string {
    const img = this.path(`${name}.img`);
    fs.writeFileSync(img, "");
    fs.truncateSync(img, mb * 1024 * 1024);
    const dev = execFileSync("losetup", ["-f", "--show", img], { encoding: "utf8" }).trim();
    this.loops.push(dev);
    return dev;
  }

  /** remember a /dev/mapper name to close at cleanup */
  mapper(name: string): void {
    this.mappers.push(name);
  }

  /** the temp dir's mounts, deepest first */
  mounts(): string[] {
    const targets = sh("findmnt -rn -o TARGET")
      .split("\n")
      .map((t) => t.replace(/\\040/g, " "))
      .filter((t) => t === this.dir || t.startsWith(this.dir + "/"));
    return targets.sort((a, b) => b.length - a.length);
  }

  cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    const quiet = (file: string, args: string[]) => {
      try {
        execFileSync(file, args, { stdio: "ignore" });
        return true;
      } catch {
        return false;
      }
    };
    for (let round = 0; round < 3; round++) for (const t of this.mounts()) quiet("umount", [t]) || quiet("umount", ["-l", t]);
    for (const m of this.mappers) quiet("cryptsetup", ["close", m]);
    for (const l of this.loops) quiet("losetup", ["-d", l]);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export { sh };
