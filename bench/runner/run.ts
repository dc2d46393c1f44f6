/**
 * multitier vs Ansible, side by side in the lab (issue #7). For H = 1, 5, 10 hosts per tier
 * (4, 20, 40 targets): a fresh lab, a first converge and a no-op run with each tool, the two
 * tools alternated, each figure the median of REPS runs (default 3). Measures wall time,
 * the controller's peak memory (the whole process tree, sampled), round trips per host
 * (multitier; Ansible: one per task with pipelining) and TCP connections to the bastion
 * (seen from the bastion's side). Prints a table and writes bench/RESULTS.md.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { labDown, labUp, type LabState } from "../../lab/lab";

const ROOT = path.join(__dirname, "..", "..");
const REPS = Number(process.env.BENCH_REPS ?? 3);
const SIZES = (process.env.BENCH_SIZES ?? "1,5,10").split(",").map(Number);
const FORKS = 40; // ≥ the largest lab (40 targets), the same for both tools

interface Sample {
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
async function settle(): Promise<void> {
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

async function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv, bastionNs: string): Promise<Sample & { stderr: string; stdout: string }> {
  const t0 = process.hrtime.bigint();
  const busy0 = busyJiffies();
  const cpuFile = path.join(os.tmpdir(), `mt-bench-cpu-${process.pid}`);
  const child = spawn("/usr/bin/time", ["-o", cpuFile, "-f", "%U %S %M", cmd, ...args], { cwd: ROOT, env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
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
  const code: number = await new Promise((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  clearInterval(sampler);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const machineCpu = (busyJiffies() - busy0) / 100; // USER_HZ
  const [user, sys, maxRssKb] = fs.readFileSync(cpuFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
  fs.rmSync(cpuFile, { force: true });
  return { seconds, peakMb: Math.max(peak, maxRssKb) / 1024, bastionConnections: peers.size, controllerCpu: user + sys, machineCpu, ok: code === 0, stderr, stdout };
}

function ansibleInventory(s: LabState, dir: string): string {
  const kh = s.knownHostsFile;
  const proxy = `ssh -i ${s.keyFile} -o UserKnownHostsFile=${kh} -o StrictHostKeyChecking=yes -o BatchMode=yes -W %h:%p ${s.user}@${s.bastion.address}`;
  const lines = ["[all:vars]", `ansible_user=${s.user}`, `ansible_ssh_private_key_file=${s.keyFile}`, `ansible_ssh_common_args='-o UserKnownHostsFile=${kh} -o StrictHostKeyChecking=yes -o ProxyCommand="${proxy}"'`, "env_name=lab", ""];
  const tiers = [...new Set(s.hosts.map((h) => h.tier))];
  for (const t of tiers) {
    lines.push(`[${t}]`);
    for (const h of s.hosts.filter((x) => x.tier === t)) lines.push(`${h.name} ansible_host=${h.address} tier=${t}`);
    lines.push("");
  }
  const f = path.join(dir, "inventory.ini");
  fs.writeFileSync(f, lines.join("\n"));
  return f;
}

async function runTool(tool: "multitier" | "ansible", hostsPerTier: number): Promise<{ first: Sample; noop: Sample }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-bench-"));
  fs.copyFileSync(path.join(ROOT, "hosts", "lab.yaml"), path.join(dir, "lab.yaml"));
  const state = await labUp({ id: "bn", hostsPerTier, outDir: dir, envFile: path.join(dir, "lab.yaml"), labDir: path.join(dir, "lab"), kind: "overlay" }); // the figures below compare runners on the same (overlay) hosts
  try {
    const ns = state.bastion.ns;
    let cmd: string;
    let args: string[];
    let env: NodeJS.ProcessEnv;
    if (tool === "multitier") {
      cmd = path.join(ROOT, "bin", "multitier.js");
      args = ["deploy", "bench", "--env", "lab", "--forks", String(FORKS), "--json"];
      env = { ...process.env, MULTITIER_HOSTS_DIR: dir, MULTITIER_IDENTITY: state.keyFile, MULTITIER_PLAYBOOKS_DIR: path.join(ROOT, "bench", "workload", "playbooks"), MULTITIER_TEMPLATES_DIR: path.join(ROOT, "bench", "workload", "templates"), MULTITIER_STATS: "1" };
    } else {
      cmd = "ansible-playbook";
      args = ["-i", ansibleInventory(state, dir), path.join(ROOT, "bench", "ansible", "site.yml")];
      env = { ...process.env, ANSIBLE_CONFIG: path.join(ROOT, "bench", "ansible", "ansible.cfg"), ANSIBLE_FORKS: String(FORKS), ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(dir, "cp"), ANSIBLE_LOCAL_TEMP: path.join(dir, "tmp"), ANSIBLE_NOCOLOR: "1" };
    }
    const out: Sample[] = [];
    for (const phase of ["first", "noop"]) {
      await settle();
      const m = await measure(cmd, args, env, ns);
      if (!m.ok) throw new Error(`${tool} ${phase} run failed:\n${(m.stdout + m.stderr).slice(-2000)}`);
      if (tool === "multitier") {
        const stats = JSON.parse(m.stderr.trim().split("\n").filter((l) => l.startsWith('{"stats"')).pop()!).stats;
        const trips = Object.values(stats.roundTrips as Record<string, number>);
        m.roundTripsPerHost = trips.reduce((a, b) => a + b, 0) / trips.length;
        // the bastion's own view (ss) and the runner's count; a short run can fall between samples
        m.bastionConnections = Math.max(m.bastionConnections, stats.bastionConnections);
        const recap = JSON.parse(m.stdout.trim().split("\n").pop()!);
        const changed = Object.values(recap.hosts as Record<string, { changed: number }>).reduce((a, h) => a + h.changed, 0);
        if (phase === "noop" && changed !== 0) throw new Error(`multitier no-op run changed ${changed} task(s)`);
      } else {
        m.roundTripsPerHost = 12; // one pipelined exec per task (and a file transfer per template/copy)
        if (phase === "noop" && /changed=[1-9]/.test(m.stdout)) throw new Error(`ansible no-op run changed something:\n${m.stdout.slice(-1500)}`);
      }
      out.push(m);
    }
    return { first: out[0], noop: out[1] };
  } finally {
    await labDown({ id: "bn", labDir: path.join(dir, "lab") });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log("bench/runner: skipped (the lab needs root)");
    return;
  }
  type Row = { targets: number; tool: string; first: Sample[]; noop: Sample[] };
  const rows: Row[] = [];
  for (const h of SIZES) {
    const m: Row = { targets: 4 * h, tool: "multitier", first: [], noop: [] };
    const a: Row = { targets: 4 * h, tool: "ansible", first: [], noop: [] };
    for (let rep = 0; rep < REPS; rep++) {
      const order: ["multitier" | "ansible", Row][] = rep % 2 === 0 ? [["multitier", m], ["ansible", a]] : [["ansible", a], ["multitier", m]];
      for (const [tool, row] of order) {
        const r = await runTool(tool, h);
        row.first.push(r.first);
        row.noop.push(r.noop);
        process.stderr.write(`  ${tool} ${4 * h} targets rep ${rep + 1}: first ${r.first.seconds.toFixed(2)}s, no-op ${r.noop.seconds.toFixed(2)}s\n`);
      }
    }
    rows.push(m, a);
  }
  const fmt = (x: number, d = 2) => x.toFixed(d);
  const lines = [
    `| targets | tool | first converge (s) | no-op (s) | peak memory (MB) | round trips / host (no-op) | TCP connections to the bastion | controller CPU, no-op (s) | machine CPU, no-op (s) |`,
    `|---:|---|---:|---:|---:|---:|---:|---:|---:|`,
  ];
  const ratios: string[] = [];
  for (let i = 0; i < rows.length; i += 2) {
    const [m, a] = [rows[i], rows[i + 1]];
    for (const r of [m, a])
      lines.push(
        `| ${r.targets} | ${r.tool} | ${fmt(median(r.first.map((x) => x.seconds)))} | ${fmt(median(r.noop.map((x) => x.seconds)))} | ${fmt(Math.max(median(r.first.map((x) => x.peakMb)), median(r.noop.map((x) => x.peakMb))), 0)} | ${r.tool === "multitier" ? fmt(median(r.noop.map((x) => x.roundTripsPerHost!)), 1) : "≈ 12 (one per task)"} | ${median(r.first.map((x) => x.bastionConnections))} | ${fmt(median(r.noop.map((x) => x.controllerCpu)))} | ${fmt(median(r.noop.map((x) => x.machineCpu)))} |`,
      );
    ratios.push(`| ${m.targets} | ${fmt(median(a.first.map((x) => x.seconds)) / median(m.first.map((x) => x.seconds)), 1)}x | ${fmt(median(a.noop.map((x) => x.seconds)) / median(m.noop.map((x) => x.seconds)), 1)}x |`);
  }
  // the smallest and the largest lab (4 and 40 targets with the default sizes)
  const mine = rows.filter((r) => r.tool === "multitier");
  const [m4, m40] = mine.length > 1 ? [mine[0], mine[mine.length - 1]] : [undefined, undefined];
  const ratio = (a: Row, b: Row, f: (s: Sample) => number, phase: "first" | "noop" = "noop") => fmt(median(a[phase].map(f)) / median(b[phase].map(f)), 1);
  const scaling =
    m4 && m40
      ? [
          `Scaling (multitier): ${m40.targets} targets take ${ratio(m40, m4, (x) => x.seconds, "first")}x the first-converge time of ${m4.targets} (goal ≤ 2x), ${ratio(m40, m4, (x) => x.seconds)}x for no-op runs.`,
          `The controller's own CPU grows ${ratio(m40, m4, (x) => x.controllerCpu)}x from ${m4.targets} to ${m40.targets} targets (no-op); the machine's grows ${ratio(m40, m4, (x) => x.machineCpu)}x, because in the lab the targets' sshd, sudo and Python agent run on the same ${os.cpus().length} cores as the controller (on AWS each target brings its own CPU).`,
          floor(m4, m40),
        ].join("\n\n")
      : "";
  /**
   * What the lab's hosts cost, apart from the controller: the machine's CPU minus the
   * controller's, per target. The extra targets' share of it, spread over the cores, is a
   * floor under the 40-target time that no controller change can lower.
   */
  function floor(a: Row, b: Row): string {
    const hostCpu = (r: Row) => median(r.noop.map((x) => Math.max(0, x.machineCpu - x.controllerCpu)));
    const perTarget = hostCpu(b) / b.targets;
    const cores = os.cpus().length;
    const extra = (perTarget * (b.targets - a.targets)) / cores;
    const budget = median(a.noop.map((x) => x.seconds));
    return `Where the time goes (no-op, multitier): the lab's hosts spend ${fmt(perTarget * 1000, 0)} ms of CPU per target (the machine's CPU minus the controller's: the bastion's and target's sshd, sudo, the agent's Python, and this bench's own sampler). The ${b.targets - a.targets} extra targets therefore need at least ${fmt(extra)} s on ${cores} cores, whatever the controller does, while the ≤ 2x goal leaves them ${fmt(budget)} s (the 4-target run's own time).`;
  }
  const table = [
    ...lines,
    "",
    "| targets | Ansible / multitier, first converge (goal ≥ 4x) | Ansible / multitier, no-op (goal ≥ 8x) |",
    "|---:|---:|---:|",
    ...ratios,
    "",
    scaling,
  ].join("\n");
  console.log(table);
  const extra = process.env.BENCH_EXTRA ?? "";
  const results = `# Benchmark results\n\nProduced by \`make bench\` (bench/runner/run.sh: ${REPS} runs per figure, medians, tools alternated, fresh lab hosts for every first converge) on ${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}. Ansible ${execFileSync("ansible", ["--version"], { encoding: "utf8" }).split("\n")[0].replace(/^ansible /, "")} with pipelining, ControlPersist, ${FORKS} forks, no fact gathering; multitier with ${FORKS} forks. Workload: bench/workload (multitier) = bench/ansible (Ansible), 12 tasks per host.\n\n${table}\n${extra}`;
  fs.writeFileSync(path.join(ROOT, "bench", "RESULTS.md"), results);
}

main().catch((e) => {
  console.error(`bench/runner: ${(e as Error).message}`);
  process.exit(1);
});
