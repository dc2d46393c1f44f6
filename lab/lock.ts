/**
 * A machine-wide lock for the few steps where labs share something: choosing a free
 * controller-link subnet, and adding/removing the routes that keep the lab ranges on this
 * machine. A directory (mkdir is atomic) holding the owner's pid; a dead owner's lock is
 * taken over, so a killed run never wedges the next one.
 *
 *   withLabLock(() => allocateLink(id))
 */
import * as fs from "fs";
import * as path from "path";
import { RUN_DIR } from "./state";

const LOCK = path.join(RUN_DIR, "lock");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function ageMs(p: string): number {
  try {
    return Date.now() - fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

export function withLabLock<T>(fn: () => T, timeoutMs = 30_000): T {
  fs.mkdirSync(RUN_DIR, { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      fs.writeFileSync(path.join(LOCK, "pid"), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(LOCK, "pid"), "utf8"));
      } catch {
        /* being written or removed: look again */
      }
      const dead = Number.isInteger(owner) && owner > 0 ? !alive(owner) : ageMs(LOCK) > 5_000; // no pid: died before writing it
      if (dead) fs.rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`lab: ${LOCK} held by pid ${owner} for ${timeoutMs / 1000}s`);
      else pause(20);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}
