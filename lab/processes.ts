/**
 * The lab's processes, found from /proc without running anything: a process belongs to the
 * lab when it lives in one of the lab's network namespaces (holders, sshd, sessions, and
 * whatever a playbook started: supervisord, the stand-ins) or has its root inside the lab
 * dir (a chrooted process that somehow left the namespace), or its working directory there
 * (the keeper loop and systemd-nspawn of a systemd host).
 *
 *   await killLabProcesses(["mtlab-bastion", "mtlab-webapp"], "/work/main/.lab/lab")
 *   await waitListening(holderPid, 22)       // sshd has bound its port in that namespace
 */
import * as fs from "fs";

function nsInodes(names: string[]): Set<string> {
  const s = new Set<string>();
  for (const n of names)
    try {
      const st = fs.statSync(`/run/netns/${n}`);
      s.add(`${st.dev}:${st.ino}`);
    } catch {
      /* gone */
    }
  return s;
}

export function labPids(netns: string[], labDir: string): number[] {
  const inodes = nsInodes(netns);
  const pids: number[] = [];
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const st = fs.statSync(`/proc/${e}/ns/net`);
      if (inodes.has(`${st.dev}:${st.ino}`)) {
        pids.push(Number(e));
        continue;
      }
      if (fs.readlinkSync(`/proc/${e}/root`).startsWith(labDir + "/")) pids.push(Number(e));
      // a systemd host's keeper loop and its systemd-nspawn run in the root namespace from the host's dir
      else if (fs.readlinkSync(`/proc/${e}/cwd`).startsWith(labDir + "/")) pids.push(Number(e));
    } catch {
      /* exited, or a kernel thread */
    }
  }
  return pids;
}

/** SIGKILL until none is left (processes may fork while we look); throws after ~5 s. */
export async function killLabProcesses(netns: string[], labDir: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    const pids = labPids(netns, labDir);
    if (!pids.length) return;
    for (const p of pids)
      try {
        process.kill(p, "SIGKILL");
      } catch {
        /* already gone */
      }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`lab: processes still alive after 5s: ${labPids(netns, labDir).join(" ")}`);
}

/** true when a TCP socket listens on `port` in the network namespace of `pid` */
export function listening(pid: number, port: number): boolean {
  const hex = ":" + port.toString(16).toUpperCase().padStart(4, "0");
  try {
    return fs
      .readFileSync(`/proc/${pid}/net/tcp`, "utf8")
      .split("\n")
      .some((l) => {
        const f = l.trim().split(/\s+/);
        return f[1]?.endsWith(hex) && f[3] === "0A";
      });
  } catch {
    return false;
  }
}

/** sshd daemonizes before it binds: wait for the socket, not for the command to return */
export async function waitListening(pid: number, port: number, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!listening(pid, port)) {
    if (Date.now() > end) throw new Error(`lab: ${what}: nothing listens on port ${port} after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
