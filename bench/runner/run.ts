/**
 * multitier vs Ansible vs Ansible with Mitogen, side by side in the lab (issues #7, #21). For
 * H = 1, 5, 10 hosts per tier (4, 20, 40 targets): a fresh lab, a first converge and a no-op
 * run with each tool, the three tools alternated (the order rotates each repetition), each
 * figure the median of REPS runs (default 3). Measures (measure.ts) wall time, the
 * controller's peak memory, round trips per host (multitier; Ansible: one per task with
 * pipelining), TCP connections to the bastion and CPU. Prints a table and writes
 * bench/RESULTS.md. BENCH_TOOLS=multitier,ansible,mitogen picks the tools.
 */
import { withoutMonitoring } from "../../lab/env-copy";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { labDown, labUp, type LabState } from "../../lab/lab";
import { measure, settle, type Sample } from "./measure";

const ROOT = path.join(__dirname, "..", "..");
const REPS = Number(process.env.BENCH_REPS ?? 3);
const SIZES = (process.env.BENCH_SIZES ?? "1,5,10").split(",").map(Number);
const FORKS = 40; // ≥ the largest lab (40 targets), the same for every tool
type Tool = "multitier" | "ansible" | "mitogen";
const LABEL: Record<Tool, string> = { multitier: "multitier", ansible: "Ansible", mitogen: "Ansible + Mitogen" };
/** the goals of issues #7 (plain Ansible) and #21 (Mitogen, at 4 targets), printed beside the figures */
const GOAL: Record<Exclude<Tool, "multitier">, { first: string; noop: string }> = { ansible: { first: "≥ 4x", noop: "≥ 8x" }, mitogen: { first: "≥ 10x", noop: "≥ 10x" } };
const TOOLS = (process.env.BENCH_TOOLS ?? "multitier,ansible,mitogen").split(",") as Tool[];
/** Debian's ansible-mitogen puts its strategy plugins here (bench/runner/run.sh installs it when missing) */
const MITOGEN_STRATEGIES = "/usr/lib/python3/dist-packages/ansible_mitogen/plugins/strategy";

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

async function runTool(tool: Tool, hostsPerTier: number): Promise<{ first: Sample; noop: Sample }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-bench-"));
  // the four service tiers (1, 5, 10 hosts each: 4, 20, 40 targets), without the monitoring tier
  fs.writeFileSync(path.join(dir, "lab.yaml"), withoutMonitoring(fs.readFileSync(path.join(ROOT, "hosts", "lab.yaml"), "utf8")));
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
      // the same Ansible, inventory, bastion and forks; only the strategy differs (Mitogen's docs: set
      // strategy_plugins to its folder and strategy = mitogen_linear)
      if (tool === "mitogen") Object.assign(env, { ANSIBLE_STRATEGY_PLUGINS: MITOGEN_STRATEGIES, ANSIBLE_STRATEGY: "mitogen_linear" });
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
        if (phase === "noop" && /changed=[1-9]/.test(m.stdout)) throw new Error(`${tool} no-op run changed something:\n${m.stdout.slice(-1500)}`);
      }
      out.push(m);
    }
    return { first: out[0], noop: out[1] };
  } finally {
    await labDown({ id: "bn", labDir: path.join(dir, "lab") });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function mitogenVersion(): string {
  try {
    return execFileSync("dpkg-query", ["-W", "-f", "${Version}", "ansible-mitogen"], { encoding: "utf8" }).trim();
  } catch {
    return "(not installed)";
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log("bench/runner: skipped (the lab needs root)");
    return;
  }
  type Row = { targets: number; tool: Tool; first: Sample[]; noop: Sample[] };
  const rows: Row[] = [];
  for (const h of SIZES) {
    const size: Row[] = TOOLS.map((tool) => ({ targets: 4 * h, tool, first: [], noop: [] }));
    for (let rep = 0; rep < REPS; rep++) {
      // rotate the order so that no tool always runs first (or right after the heaviest)
      for (let k = 0; k < size.length; k++) {
        const row = size[(k + rep) % size.length];
        const r = await runTool(row.tool, h);
        row.first.push(r.first);
        row.noop.push(r.noop);
        process.stderr.write(`  ${row.tool} ${4 * h} targets rep ${rep + 1}: first ${r.first.seconds.toFixed(2)}s, no-op ${r.noop.seconds.toFixed(2)}s\n`);
      }
    }
    rows.push(...size);
  }
  const fmt = (x: number, d = 2) => x.toFixed(d);
  const med = (r: Row, phase: "first" | "noop", f: (s: Sample) => number) => median(r[phase].map(f));
  const lines = [
    `| targets | tool | first converge (s) | no-op (s) | peak memory (MB) | round trips / host (no-op) | TCP connections to the bastion | controller CPU, no-op (s) | machine CPU, no-op (s) | no-op cost per host: machine CPU (ms) |`,
    `|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|`,
  ];
  for (const r of rows)
    lines.push(
      `| ${r.targets} | ${LABEL[r.tool]} | ${fmt(med(r, "first", (x) => x.seconds))} | ${fmt(med(r, "noop", (x) => x.seconds))} | ${fmt(Math.max(med(r, "first", (x) => x.peakMb), med(r, "noop", (x) => x.peakMb)), 0)} | ${r.tool === "multitier" ? fmt(med(r, "noop", (x) => x.roundTripsPerHost!), 1) : "≈ 12 (one per task)"} | ${median(r.first.map((x) => x.bastionConnections))} | ${fmt(med(r, "noop", (x) => x.controllerCpu))} | ${fmt(med(r, "noop", (x) => x.machineCpu))} | ${fmt((med(r, "noop", (x) => x.machineCpu) * 1000) / r.targets, 0)} |`,
    );
  // each peer's time over multitier's, first converge and no-op, per lab size
  const peers = TOOLS.filter((t) => t !== "multitier");
  const ratioHead = peers.flatMap((p) => [`${LABEL[p]} / multitier, first converge (goal ${GOAL[p].first})`, `${LABEL[p]} / multitier, no-op (goal ${GOAL[p].noop})`]);
  const ratios = [`| targets | ${ratioHead.join(" | ")} |`, `|---:|${ratioHead.map(() => "---:").join("|")}|`];
  for (const m of rows.filter((r) => r.tool === "multitier")) {
    const cells = peers.flatMap((p) => {
      const o = rows.find((r) => r.tool === p && r.targets === m.targets)!;
      return (["first", "noop"] as const).map((ph) => `${fmt(med(o, ph, (x) => x.seconds) / med(m, ph, (x) => x.seconds), 1)}x`);
    });
    ratios.push(`| ${m.targets} | ${cells.join(" | ")} |`);
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
    ...ratios,
    "",
    scaling,
  ].join("\n");
  console.log(table);
  const extra = process.env.BENCH_EXTRA ?? "";
  const results = `# Benchmark results\n\nProduced by \`make bench\` (bench/runner/run.sh: ${REPS} runs per figure, medians, tools alternated, fresh lab hosts for every first converge) on ${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}. Ansible ${execFileSync("ansible", ["--version"], { encoding: "utf8" }).split("\n")[0].replace(/^ansible /, "")} with pipelining, ControlPersist, ${FORKS} forks, no fact gathering, plain and with Mitogen's \`mitogen_linear\` strategy (Debian's ansible-mitogen ${mitogenVersion()}); multitier with ${FORKS} forks. Workload: bench/workload (multitier) = bench/ansible (both Ansible runs), 12 tasks per host, through the same bastion. "No-op cost per host" is the machine's CPU during a no-op run divided by the targets: what the tool makes the controller, the bastion and every target spend.\n\n${table}\n${extra}`;
  fs.writeFileSync(path.join(ROOT, "bench", "RESULTS.md"), results);
}

main().catch((e) => {
  console.error(`bench/runner: ${(e as Error).message}`);
  process.exit(1);
});
