/**
 * Two deploys of the same hosts at once (issue 16), on the local machine: the REAL agent per
 * "host" (LocalConnector), every host's lock file under one directory both runs share. The
 * managed file is a crontab-like file holding named blocks of jobs: `test_jobs` is a
 * test-only stand-in for the cron module (same block logic, `withBlock`, on a plain file,
 * so no user's real crontab is touched): read, compute the block, write — the read-then-write
 * a second concurrent run would race with.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { toRequest } from "../../cli/runner-flags";
import { LocalConnector, NO_SECRETS } from "../../runner/connect";
import { duration } from "../../runner/lock";
import type { RunEvent } from "../../runner/events";
import { modules } from "../../runner/modules";
import { withBlock } from "../../runner/modules/cron";
import type { Module } from "../../runner/modules/types";
import { HumanReporter } from "../../runner/report";
import { run, type RunRequest } from "../../runner/run";
import { makeLocalEnv, type LocalEnv } from "./local-env";

const jobsModule: Module<{ path: string; name: string; jobs: string[] }> = {
  name: "test_jobs",
  doc: "test-only: a named block of jobs in a crontab-like file (the cron module's block logic)",
  args: z.object({ path: z.string(), name: z.string(), jobs: z.array(z.string()) }).strict(),
  probe: (a) => [{ op: "stat", path: a.path, content: true }],
  plan(a, [st]) {
    const current = st.ok && "content" in st && st.content ? Buffer.from(st.content, "base64").toString() : "";
    const next = withBlock(current, { name: a.name, state: "present", jobs: a.jobs.map((j, i) => ({ name: `job ${i}`, schedule: "@hourly", job: j })) });
    if (next === current) return { status: "ok", msg: "nothing to do" };
    return { status: "changed", msg: `block ${a.name}`, apply: [{ op: "write", path: a.path, content: Buffer.from(next).toString("base64") }] };
  },
};

let env: LocalEnv;
let restore: () => void;
let lockDir: string;
const tab = (host: string) => path.join(env.work, host, "crontab");
const recordOf = (host: string) => fs.readFileSync(path.join(lockDir, `${host}.lock`), "utf8");

/**
 * A playbook: the block `block` (jobs `<block>-1`, `<block>-2`), then, when `gated`, a slow
 * step that holds the host (and its lock) until the test opens the gate (`open(service)`;
 * at most a minute): the tests decide when a holder ends, whatever the machine's load.
 */
const gate = (service: string) => path.join(env.dir, `gate-${service}`);
const open = (service: string) => fs.writeFileSync(gate(service), "");
function jobsPlaybook(service: string, block: string, gated: boolean): void {
  env.writePlaybook(
    service,
    `- name: ${service}
  hosts: app
  become: false
  tasks:
    - name: jobs
      test_jobs: { path: "${env.work}/{{host.name}}/crontab", name: ${block}, jobs: ["run ${block}-1", "run ${block}-2"] }
${gated ? `    - name: slow step
      shell: { cmd: "n=0; until [ -e ${gate(service)} ] || [ $n -ge 600 ]; do sleep 0.1; n=$((n+1)); done" }
` : ""}`,
  );
}

beforeAll(() => {
  modules.test_jobs = jobsModule as Module;
  env = makeLocalEnv(2);
  restore = env.activate();
  lockDir = path.join(env.dir, "locks");
  fs.mkdirSync(lockDir);
  jobsPlaybook("alpha", "alpha", true);
  jobsPlaybook("beta", "beta", false);
  jobsPlaybook("hold", "hold", true);
});
afterAll(() => {
  killMatching(env.dir); // a killed agent's orphaned slow step
  restore();
  env.cleanup();
  delete modules.test_jobs;
});
beforeEach(() => {
  env.hostNames.forEach((h) => fs.rmSync(tab(h), { force: true }));
  ["alpha", "hold"].forEach((s) => fs.rmSync(gate(s), { force: true }));
});

/** SIGKILL every process whose command line holds `text` (this test's own temp dir). */
function killMatching(text: string): void {
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text)) process.kill(Number(pid), "SIGKILL");
    } catch {
      /* gone meanwhile */
    }
  }
}

type Started = { code: number; events: RunEvent[]; text: string };
/** one run; `onEvent` sees each event as it comes (to start a second run at the right moment) */
async function deploy(over: Partial<RunRequest>, onEvent: (e: RunEvent) => void = () => undefined): Promise<Started> {
  const events: RunEvent[] = [];
  let text = "";
  const human = new HumanReporter({ write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream, false);
  const req: RunRequest = { env: "local", command: "deploy", services: ["alpha"], check: false, diff: false, tags: [], skipTags: [], forks: 10, json: false, acceptNewHostKeys: false, ...over };
  const reporter = { emit: (e: RunEvent) => (events.push(e), human.emit(e), onEvent(e)) };
  const { code } = await run(req, { connector: async () => new LocalConnector({ lockDir }), secrets: () => ({ vault: {}, filter: NO_SECRETS }), reporter });
  return { code, events, text };
}

const lockEvents = (r: Started) => r.events.filter((e): e is Extract<RunEvent, { event: "lock" }> => e.event === "lock");
const changedOn = (r: Started, host: string) => r.events.some((e) => e.event === "task" && e.host === host && e.task === "jobs" && e.status === "changed");
const jobLines = (host: string) => fs.readFileSync(tab(host), "utf8").split("\n").filter((l) => l.startsWith("@hourly"));

test("two deploys of one playbook at once: exactly one changes each host, the other says who holds it in one line (exit 4); every job once", async () => {
  // each host is decided (one run wrote its block, the other was refused) before the gate opens
  const decided = [new Set<string>(), new Set<string>()];
  const watch = (i: number) => (e: RunEvent) => {
    if ((e.event === "task" && e.task === "jobs") || e.event === "lock" || e.event === "unreachable") decided[i].add(e.host);
    if (decided.every((d) => d.size === env.hostNames.length)) open("alpha");
  };
  const [a, b] = await Promise.all([deploy({}, watch(0)), deploy({}, watch(1))]);
  for (const host of env.hostNames) {
    // exactly one of the two runs wrote this host's block, the other left the host alone
    expect([changedOn(a, host), changedOn(b, host)].filter(Boolean)).toHaveLength(1);
    const loser = changedOn(a, host) ? b : a;
    const refused = lockEvents(loser).filter((e) => e.host === host);
    expect(refused).toHaveLength(1);
    expect(refused[0].state).toBe("refused");
    expect(refused[0].msg).toMatch(/^held by \S+@\S+ \("multitier deploy alpha --env local", agent pid \d+\) for \d+s; nothing changed on this host \(--wait-lock <seconds> waits for it\)$/);
    // the human line: one line naming the host
    const lines = loser.text.split("\n").filter((l) => l.includes("LOCKED"));
    expect(lines.filter((l) => l.trimStart().startsWith(host))).toEqual([`  ${host.padEnd(14)} LOCKED ${refused[0].msg}`]);
    expect(loser.events.some((e) => e.event === "task" && e.host === host)).toBe(false);
    expect(jobLines(host)).toEqual(["@hourly run alpha-1", "@hourly run alpha-2"]);
    // released when the run ended: the record is empty
    expect(recordOf(host)).toBe("");
  }
  // a host left alone is not reached: exit 4 for a run refused anywhere, 0 for one refused nowhere
  for (const r of [a, b]) expect(r.code).toBe(lockEvents(r).length ? 4 : 0);
  expect(lockEvents(a).length + lockEvents(b).length).toBe(env.hostNames.length);
});

test("--wait-lock: the second run waits (saying for whom) and converges once the first ends; both blocks, every job once", async () => {
  let second: Promise<Started> | undefined;
  const holding = new Set<string>();
  // the second run starts once the first holds every host and has its slow step to go
  const waiting = new Set<string>();
  const first = deploy({ services: ["hold"] }, (e) => {
    if (e.event === "task" && e.task === "jobs") holding.add(e.host);
    if (holding.size === env.hostNames.length && !second)
      second = deploy({ services: ["beta"], waitLock: 60 }, (w) => {
        if (w.event === "lock" && w.state === "waiting") waiting.add(w.host);
        if (waiting.size === env.hostNames.length) open("hold"); // the first ends while the second waits
      });
  });
  const a = await first;
  const b = await second!;
  expect(a.code).toBe(0);
  expect(b.code).toBe(0);
  for (const host of env.hostNames) {
    const waits = lockEvents(b).filter((e) => e.host === host);
    expect(waits.map((e) => e.state)).toEqual(["waiting"]);
    expect(waits[0].msg).toMatch(/^waiting up to 1m00s for the lock held by \S+@\S+ \("multitier deploy hold --env local", agent pid \d+\) for \d+s$/);
    expect(changedOn(b, host)).toBe(true);
    expect(jobLines(host)).toEqual(["@hourly run hold-1", "@hourly run hold-2", "@hourly run beta-1", "@hourly run beta-2"]);
  }
});

test("a holder's agent killed with SIGKILL is no obstacle: the next run takes the lock over, says so, and converges", async () => {
  let holding: Promise<Started> | undefined;
  const connected = new Promise<void>((resolve) => {
    holding = deploy({ services: ["hold"], limit: "app-1" }, (e) => e.event === "task" && e.task === "jobs" && resolve());
  });
  await connected;
  const pid = JSON.parse(recordOf("app-1")).pid as number;
  process.kill(pid, "SIGKILL"); // its slow step's process lives on: it must not hold the lock
  const killed = await holding!;
  killMatching(gate("hold")); // the killed agent's slow step lives on (it does not hold the lock)
  expect(killed.code).toBe(4);
  expect(killed.text).toMatch(/app-1\s+unreachable\s+slow step — connection lost during task "slow step"/);
  const next = await deploy({ services: ["beta"], limit: "app-1" });
  expect(next.code).toBe(0);
  const [took] = lockEvents(next);
  expect(took).toMatchObject({ host: "app-1", state: "took-over" });
  expect(took.msg).toMatch(new RegExp(`^took over the lock left by \\S+@\\S+ \\("multitier deploy hold --env local --limit app-1", agent pid ${pid}\\) since \\S+: its agent ended without releasing it \\(killed\\)$`));
  expect(jobLines("app-1")).toEqual(["@hourly run hold-1", "@hourly run hold-2", "@hourly run beta-1", "@hourly run beta-2"]);
  expect(recordOf("app-1")).toBe("");
});

test("--check takes no lock and never waits: it runs while another run holds every host, and leaves the record alone", async () => {
  let holding: Promise<Started> | undefined;
  const locked = new Promise<void>((resolve) => {
    const seen = new Set<string>();
    holding = deploy({ services: ["hold"] }, (e) => {
      if (e.event === "task" && e.task === "jobs") seen.add(e.host);
      if (seen.size === env.hostNames.length) resolve();
    });
  });
  await locked;
  const records = env.hostNames.map(recordOf);
  const check = await deploy({ services: ["beta"], check: true });
  expect(check.code).toBe(0);
  expect(lockEvents(check)).toEqual([]);
  for (const host of env.hostNames) expect(check.events.find((e) => e.event === "task" && e.host === host && e.task === "jobs")).toMatchObject({ status: "changed" });
  expect(env.hostNames.map(recordOf)).toEqual(records); // still the first run's, untouched
  expect(records.every((r) => JSON.parse(r).command === "multitier deploy hold --env local")).toBe(true);
  open("hold");
  expect((await holding!).code).toBe(0);
  for (const host of env.hostNames) expect(jobLines(host)).toEqual(["@hourly run hold-1", "@hourly run hold-2"]);
});

test("--wait-lock and WAIT_LOCK=: seconds, or one line naming the flag; durations as the lock lines show them", () => {
  const flags = { env: "local", forks: "10" };
  expect(toRequest("deploy", ["alpha"], { ...flags, waitLock: "90" }).waitLock).toBe(90);
  expect(toRequest("deploy", ["alpha"], flags).waitLock).toBe(0);
  for (const bad of ["soon", "-5", "1e3", ""]) expect(() => toRequest("deploy", ["alpha"], { ...flags, waitLock: bad })).toThrow(`--wait-lock: expected a number of seconds (0 or more), got "${bad}"`);
  const make = spawnSync("make", ["-n", "-s", "deploy-analysis", "restart-analysis", "unlock-database", "WAIT_LOCK=30"], { cwd: path.join(__dirname, "..", ".."), encoding: "utf8" });
  expect(make.stdout.split("\n").filter((l) => l.includes("--wait-lock '30'"))).toHaveLength(3);
  expect([duration(0), duration(45.4), duration(125), duration(7260)]).toEqual(["0s", "45s", "2m05s", "2h01m"]);
});
