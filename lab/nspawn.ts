/**
 * Systemd lab hosts (the default kind): a minimal Debian root booted with systemd as PID 1 by
 * systemd-nspawn in the host's network namespace (nspawn-up.sh), so the playbooks' systemd
 * branches run and every package is installed from scratch, as on a fresh instance.
 * Overlay hosts (host-up.sh: this machine's own root, a chrooted sshd) remain for tests that
 * need nothing more, and for the bastion.
 *
 *   const lower = await labRoot(labDir)            // the cached root, unpacked once per lab
 *   enterArgs(host)                                // argv of a root shell inside a host
 *   await rebootHost(host)                         // `systemctl reboot` inside, wait for sshd
 *   removeNspawnLeftovers(id)                      // cgroups and nspawn's /run files
 */
import * as fs from "fs";
import * as path from "path";
import { run, shQuiet } from "./exec";
import { listening } from "./processes";
import { cacheDir } from "./aptproxy";
import type { LabHost } from "./state";

export type HostKind = "systemd" | "overlay";

/** LAB_KIND=overlay selects the old kind for `make lab-up`/demo; tests pass `kind` */
export const defaultKind = (): HostKind => (process.env.LAB_KIND === "overlay" ? "overlay" : "systemd");

export function requireNspawn(): void {
  for (const [tool, pkg] of [["systemd-nspawn", "systemd-container"], ["debootstrap", "debootstrap"], ["apt-cacher-ng", "apt-cacher-ng"]])
    if (!["/usr/bin", "/usr/sbin", "/bin", "/sbin"].some((d) => fs.existsSync(path.join(d, tool))))
      throw new Error(`lab: systemd hosts need ${tool} (Debian package ${pkg}: make setup installs it), or LAB_KIND=overlay for the old hosts`);
}

/** The cached Debian root (built on first use: minutes, with progress on stderr) unpacked under the lab dir. */
export async function labRoot(labDir: string, progress: (line: string) => void = (l) => process.stderr.write(l + "\n")): Promise<string> {
  const tar = (await run("bash", [path.join(__dirname, "rootfs.sh"), cacheDir()], { onStderr: progress })).trim();
  const lower = path.join(labDir, "rootfs");
  fs.mkdirSync(lower, { recursive: true });
  await run("tar", ["-C", lower, "--numeric-owner", "-xpf", tar]);
  return lower;
}

/** the pid of a host's init: the chroot holder (overlay) or the container's systemd */
export function hostInit(h: LabHost): number {
  return Number(fs.readFileSync(path.join(h.dir, "holder.pid"), "utf8").trim());
}

/** argv that runs a command as root inside a host (append the command) */
export function enterArgs(h: LabHost): string[] {
  const pid = String(hostInit(h));
  return h.kind === "systemd" ? ["nsenter", "-t", pid, "-m", "-u", "-i", "-n", "-p", "--"] : ["nsenter", "-t", pid, "-m", "-n", "-u", "chroot", path.join(h.dir, "root")];
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** wait until the host's init runs and its sshd listens (after boot or reboot) */
export async function waitBooted(h: LabHost, timeoutMs = 120_000, notPid?: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let pid = 0;
    try {
      pid = hostInit(h);
    } catch {
      /* between two boots */
    }
    if (pid && pid !== notPid && listening(pid, 22)) return pid;
    if (Date.now() > end) throw new Error(`lab: ${h.name}: sshd not listening ${timeoutMs / 1000}s after boot (see ${path.join(h.dir, "console.log")})`);
    await pause(50);
  }
}

/** Reboot a systemd host as an operator would (`systemctl reboot`), and wait until sshd is back. */
export async function rebootHost(h: LabHost, timeoutMs = 90_000): Promise<void> {
  if (h.kind !== "systemd") throw new Error(`lab: ${h.name} is not a systemd host: it cannot reboot`);
  const before = hostInit(h);
  await run(enterArgs(h)[0], [...enterArgs(h).slice(1), "systemctl", "reboot"]);
  await waitBooted(h, timeoutMs, before);
}

/** cgroups and nspawn's files in /run of a lab's containers (their processes must be gone) */
export function removeNspawnLeftovers(id: string): void {
  const prefix = `mt${id}-`;
  for (const h of ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"]) {
    const base = `${h}/multitier-lab`;
    let names: string[] = [];
    try {
      names = fs.readdirSync(base).filter((n) => n.startsWith(prefix));
    } catch {
      continue;
    }
    for (const n of names) rmdirTree(path.join(base, n));
    try {
      fs.rmdirSync(base); // only when no other lab's container is left
    } catch {
      /* not empty */
    }
  }
  for (const d of ["/run/systemd/nspawn/propagate", "/run/systemd/nspawn/unix-export"])
    try {
      for (const n of fs.readdirSync(d)) if (n.startsWith(prefix)) fs.rmSync(path.join(d, n), { recursive: true, force: true });
    } catch {
      /* none */
    }
}

/** cgroup directories go bottom-up with rmdir (their files cannot be removed) */
function rmdirTree(dir: string): void {
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) rmdirTree(path.join(dir, e.name));
  for (let i = 0; i < 100; i++)
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // its last process is being reaped
    }
  shQuiet("rmdir", [dir]);
}
