/**
 * The package source of systemd lab hosts: Debian's apt-cacher-ng on the controller side,
 * proxying to the Debian mirror this machine reaches, its cache kept per machine (so only the
 * first run downloads). Lab hosts reach it only through their bastion, which NATs them to it
 * as a private subnet reaches mirrors through a NAT gateway (network.ts): no host packet
 * leaves the lab for anywhere else.
 *
 * Where it listens comes from the environment file (`vars.aptProxy`, which the common
 * playbook also writes into each host's apt configuration):
 *
 *   vars:
 *     aptProxy: http://10.214.255.254:3142     # an address in the lab's link range
 *
 * One proxy serves every lab on the machine (the address is put on the loopback interface);
 * the first lab up starts it, the last one down stops it (under the lab lock, like the guard
 * routes), so a test suite's labs share its cache.
 *
 *   const p = aptProxyOf(env)          // { ip, port, url } or undefined when not declared
 *   ensureAptProxy(p)                  // idempotent
 *   stopAptProxyIfLast()               // when no lab is up any more
 */
import * as fs from "fs";
import * as path from "path";
import type { Environment } from "../config/environment";
import { sh, shQuiet } from "./exec";
import { withLabLock } from "./lock";
import { REPO, RUN_DIR } from "./state";

export interface AptProxy {
  ip: string;
  port: number;
  url: string;
}

const PIDFILE = path.join(RUN_DIR, "apt-proxy.pid");
/** apt-cacher-ng's transfer log: "time|I/O|bytes|client|path" lines (the client is a lab's bastion: NAT) */
export const APT_PROXY_LOG = path.join(RUN_DIR, "apt-proxy-log", "apt-cacher.log");
const ADDRFILE = path.join(RUN_DIR, "apt-proxy.addr");
/** the machine's package cache for lab hosts (beside the cached Debian root) */
export const cacheDir = () => process.env.LAB_CACHE_DIR || path.join(REPO, ".lab", "cache");

/** `vars.aptProxy` of a lab environment, checked: http://<address in 10.214.0.0/16>:<port> */
export function aptProxyOf(env: Environment): AptProxy | undefined {
  const v = (env.vars as Record<string, unknown> | undefined)?.aptProxy;
  if (v === undefined) return undefined;
  const m = typeof v === "string" ? /^http:\/\/(10\.214\.(\d{1,3})\.(\d{1,3})):(\d{2,5})\/?$/.exec(v) : null;
  if (!m || Number(m[2]) > 255 || Number(m[3]) < 4 || Number(m[3]) > 254)
    throw new Error(`lab: ${env.file} vars.aptProxy: expected http://10.214.<n>.<m>:<port> (an address of the lab's link range that no /30 link uses, e.g. http://10.214.255.254:3142), got ${JSON.stringify(v)}`);
  return { ip: m[1], port: Number(m[4]), url: v as string };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const runningPid = (): number | undefined => {
  try {
    const pid = Number(fs.readFileSync(PIDFILE, "utf8").trim());
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
};

/** Start the proxy unless it already runs on that address. */
export function ensureAptProxy(p: AptProxy): void {
  withLabLock(() => {
    const pid = runningPid();
    if (pid && fs.existsSync(ADDRFILE) && fs.readFileSync(ADDRFILE, "utf8").trim() === `${p.ip}:${p.port}`) return;
    if (pid) stopLocked();
    const cache = path.join(cacheDir(), "apt-cacher-ng");
    const logs = path.join(RUN_DIR, "apt-proxy-log");
    fs.mkdirSync(cache, { recursive: true });
    fs.mkdirSync(logs, { recursive: true });
    if (!sh("ip", ["-4", "-o", "addr", "show", "dev", "lo"]).includes(` ${p.ip}/32 `)) sh("ip", ["addr", "add", `${p.ip}/32`, "dev", "lo"]);
    fs.writeFileSync(ADDRFILE, `${p.ip}:${p.port}\n`);
    fs.rmSync(PIDFILE, { force: true });
    // our own configuration: Debian's package points its Debian backend at ftp.debian.org; the
    // lab proxies to the mirror this machine's apt uses (the one it is known to reach)
    const conf = path.join(RUN_DIR, "apt-proxy-conf");
    fs.mkdirSync(conf, { recursive: true });
    const mirror = machineMirror();
    fs.writeFileSync(
      path.join(conf, "acng.conf"),
      [
        `# multitier lab (lab/aptproxy.ts): Debian packages for the lab's systemd hosts, from ${mirror}`,
        `CacheDir: ${cache}`,
        `LogDir: ${logs}`,
        "SupportDir: /usr/lib/apt-cacher-ng",
        `BindAddress: ${p.ip}`,
        `Port: ${p.port}`,
        `PidFile: ${PIDFILE}`,
        `SocketPath: ${path.join(RUN_DIR, "apt-proxy.socket")}`,
        `Remap-debrep: file:deb_mirror*.gz /debian ; ${mirror}`,
        "ForeGround: 0",
        "ExThreshold: 30",
        "",
      ].join("\n"),
    );
    sh("apt-cacher-ng", ["-c", conf]);
    for (let i = 0; i < 200 && !runningPid(); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    if (!runningPid()) throw new Error(`lab: apt-cacher-ng did not start on ${p.ip}:${p.port} (its log: ${logs})`);
  });
}

/** the Debian mirror of this machine's apt sources (deb822 or one-line), else deb.debian.org */
export function machineMirror(): string {
  if (process.env.LAB_DEBIAN_MIRROR) return process.env.LAB_DEBIAN_MIRROR.replace(/\/?$/, "/");
  const files = ["/etc/apt/sources.list"];
  try {
    files.unshift(...fs.readdirSync("/etc/apt/sources.list.d").map((f) => path.join("/etc/apt/sources.list.d", f)));
  } catch {
    /* none */
  }
  for (const f of files) {
    let text = "";
    try {
      text = fs.readFileSync(f, "utf8");
    } catch {
      continue;
    }
    for (const m of text.matchAll(/^(?:URIs:|deb)\s+(?:\[[^\]]*\]\s+)?(http:\/\/\S+)/gm)) if (!/security/.test(m[1])) return m[1].replace(/\/?$/, "/");
  }
  return "http://deb.debian.org/debian/";
}

function stopLocked(): void {
  const pid = runningPid();
  if (pid)
    try {
      process.kill(pid, "SIGTERM");
      for (let i = 0; i < 200 && alive(pid); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
      if (alive(pid)) process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  try {
    const [ip] = fs.readFileSync(ADDRFILE, "utf8").trim().split(":");
    shQuiet("ip", ["addr", "del", `${ip}/32`, "dev", "lo"]);
  } catch {
    /* never started */
  }
  for (const f of [PIDFILE, ADDRFILE, path.join(RUN_DIR, "apt-proxy.socket"), path.join(RUN_DIR, "apt-proxy-conf")]) fs.rmSync(f, { recursive: true, force: true });
  fs.rmSync(path.join(RUN_DIR, "apt-proxy-log"), { recursive: true, force: true });
}

/** Stop the proxy when no lab is up any more (`labsUp` is passed in to keep this module small). */
export function stopAptProxyIfLast(labsUp: () => string[]): void {
  withLabLock(() => {
    if (labsUp().length === 0) stopLocked();
  });
}
