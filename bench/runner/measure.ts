/**
 * How bench/runner measures one run of a tool: wall time, the controller's peak memory (the
 * whole process tree, sampled, and /usr/bin/time's figure), its CPU and the machine's, and the
 * TCP connections the bastion saw. Kept apart from run.ts, which decides what runs when.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startChild } from "../../lab/child";

const ROOT = path.join(__dirname, "..", "..");

export interface Sample {
  seconds: number;
  peakMb: number;
  bastionConnections: number;
  roundTripsPerHost?: number;
  /** user+sys CPU of the controller (the tool's process and its children: forks, ssh clients) */
  controllerCpu: number;
  /** CPU the whole machine spent meanwhile: the controller plus every lab host's sshd, sudo, agent or Ansible module */
  machineCpu: number;
  ok: boolean;
}

/**
 * Wait until the machine is quiet (under 10% busy over half a second, at most 15 s): the
 * kernel tears namespaces down asynchronously after the previous lab, and that work would
 * otherwise land on whichever tool runs next.
 */
export async function settle(): Promise<void> {
  const end = Date.now() + 15_000;
  while (Date.now() < end) {
    const total = () => fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number).reduce((a, b) => a + b, 0);
    const [b0, t0] = [busyJiffies(), total()];
    await new Promise((r) => setTimeout(r, 500));
    if ((busyJiffies() - b0) / Math.max(1, total() - t0) < 0.1) return;
  }
}

/** busy jiffies of all cores (/proc/stat: everything but idle and iowait) */
function busyJiffies(): number {
  const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return f.reduce((a, b) => a + b, 0) - f[3] - f[4];
}

function treeRssKb(root: number): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(d), Number(fields[1]));
      rss.set(Number(d), Number(fields[21]) * 4);
    } catch {
      /* gone */
    }
  }
  let total = 0;
  for (const [pid, kb] of rss) {
    let p: number | undefined = pid;
    while (p && p !== root && p > 1) p = parent.get(p);
    if (p === root) total += kb;
  }
  return total;
}

export async function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv, bastionNs: string): Promise<Sample & { stderr: string; stdout: string }> {
  const t0 = process.hrtime.bigint();
  const busy0 = busyJiffies();
  const cpuFile = path.join(os.tmpdir(), `mt-bench-cpu-${process.pid}`);
  const started = startChild("/usr/bin/time", ["-o", cpuFile, "-f", "%U %S %M", cmd, ...args], { cwd: ROOT, env });
  const child = started.child;
  let peak = 0;
  const peers = new Set<string>();
  const sampler = setInterval(() => {
    peak = Math.max(peak, treeRssKb(child.pid!));
    try {
      const ss = execFileSync("ip", ["netns", "exec", bastionNs, "ss", "-tnH", "state", "established", "( sport = :22 )"], { encoding: "utf8" });
      for (const line of ss.split("\n")) {
        const peer = line.trim().split(/\s+/).pop();
        if (peer && peer.startsWith("10.214.")) peers.add(peer);
      }
    } catch {
      /* sampling only */
    }
    // every 250 ms: the sampler's own work (a walk of /proc, an `ss` in the bastion) competes
    // for the same 2 cores as the tools and the lab hosts, so it must stay light; the largest
    // single process's peak comes exactly from /usr/bin/time below
  }, 250);
  const { code: exit, stdout, stderr } = await started.done;
  const code = exit ?? 1;
  clearInterval(sampler);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const machineCpu = (busyJiffies() - busy0) / 100; // USER_HZ
  const [user, sys, maxRssKb] = fs.readFileSync(cpuFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
  fs.rmSync(cpuFile, { force: true });
  return { seconds, peakMb: Math.max(peak, maxRssKb) / 1024, bastionConnections: peers.size, controllerCpu: user + sys, machineCpu, ok: code === 0, stderr, stdout };
}

