/**
 * The REAL agent (a local process) when its runner goes away, and the host lock it holds:
 * it ends on its own when stdin closes (also in the middle of an op, which it finishes),
 * never acts on a request cut off mid-upload, releases its lock however it ends, and the
 * temp files an agent killed mid-write leaves are removed by the next write (issue 16).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AgentClient, agentCommand, localChannel, NO_SECRETS } from "../../runner/agent/client";
import type { LockResult, OpResult } from "../../runner/agent/protocol";

const AGENT_SOURCE = fs.readFileSync(path.join(__dirname, "..", "..", "runner", "agent", "agent.py"), "utf8");
const holder = { user: "alice", controller: "ctl-1", command: "multitier deploy jobs --env local", started: "2026-12-01T00:00:00.000Z" };

let dir: string;
const agents: ChildProcessWithoutNullStreams[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-life-"));
});
afterEach(() => {
  for (const a of agents.splice(0)) if (a.exitCode === null && a.signalCode === null) a.kill("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A bare agent process (no client): its source sent, the request lines written as given. */
function rawAgent(): { child: ChildProcessWithoutNullStreams; exited: Promise<{ code: number | null; signal: string | null; ms: number }>; stdout: () => string; stderr: () => string } {
  const child = spawn("/bin/sh", ["-c", agentCommand(false)], { stdio: ["pipe", "pipe", "pipe"] });
  agents.push(child);
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  child.stdin.on("error", () => undefined);
  child.stdin.write(`${Buffer.byteLength(AGENT_SOURCE)}\n${AGENT_SOURCE}`);
  const t0 = Date.now();
  const exited = new Promise<{ code: number | null; signal: string | null; ms: number }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, ms: Date.now() - t0 })));
  return { child, exited, stdout: () => out, stderr: () => err };
}

/** SIGKILL every process whose command line holds `text` (a test's own unique temp path). */
function killMatching(text: string): void {
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text)) process.kill(Number(pid), "SIGKILL");
    } catch {
      /* gone meanwhile */
    }
  }
}

const line = (id: number, ops: unknown[]) => JSON.stringify({ id, ops }) + "\n";
const tempsIn = (d: string) => fs.readdirSync(d).filter((f) => f.startsWith(".multitier-"));

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}

test("stdin closed in the middle of an op: the agent finishes the op (its write lands whole) and ends on its own", async () => {
  const a = rawAgent();
  const file = path.join(dir, "after-sleep");
  a.child.stdin.write(line(1, [{ op: "sh", script: "sleep 1" }, { op: "write", path: file, content: Buffer.from("whole\n").toString("base64") }]));
  await new Promise((r) => setTimeout(r, 300)); // the sleep is running
  a.child.stdin.end();
  const end = await a.exited;
  expect(end).toMatchObject({ code: 0, signal: null });
  expect(end.ms).toBeLessThan(10_000);
  expect(fs.readFileSync(file, "utf8")).toBe("whole\n");
  expect(JSON.parse(a.stdout().trim())).toMatchObject({ id: 1, results: [{ ok: true, rc: 0 }, { ok: true, changed: true }] });
  expect(tempsIn(dir)).toEqual([]);
});

test("a request cut off mid-upload (the runner killed while sending it) is never acted on: no file, no temp file, the agent ends", async () => {
  const a = rawAgent();
  const file = path.join(dir, "big.txt");
  const whole = line(1, [{ op: "write", path: file, content: Buffer.alloc(2 << 20, "y").toString("base64") }]);
  a.child.stdin.end(whole.slice(0, whole.length - 40)); // everything but the end of the line
  const end = await a.exited;
  expect(end).toMatchObject({ code: 0, signal: null });
  expect(fs.existsSync(file)).toBe(false);
  expect(tempsIn(dir)).toEqual([]);
  expect(a.stdout()).toBe("");
  expect(a.stderr()).toBe("");
});

test("the runner gone altogether (stdout and stdin closed): the agent ends quietly after its op, releasing its lock", async () => {
  const a = rawAgent();
  const lock = path.join(dir, "host.lock");
  a.child.stdin.write(line(1, [{ op: "lock", path: lock, holder }]));
  await until(() => a.stdout().includes('"acquired":true'));
  expect(JSON.parse(fs.readFileSync(lock, "utf8"))).toMatchObject({ ...holder, pid: expect.any(Number) });
  a.child.stdin.write(line(2, [{ op: "sh", script: "sleep 0.5" }]));
  a.child.stdout.destroy(); // nobody reads the answer: a broken pipe for the agent
  a.child.stdin.end();
  const end = await a.exited;
  expect(end).toMatchObject({ code: 0, signal: null });
  expect(a.stderr()).toBe(""); // no traceback, no "Exception ignored"
  expect(fs.readFileSync(lock, "utf8")).toBe(""); // a clean end empties the record
});

test("a temp file left by an agent killed mid-write is removed by the next write in that directory; a live agent's is not", async () => {
  const victim = rawAgent();
  const file = path.join(dir, "conf");
  fs.writeFileSync(file, "old\n");
  // the write's validate step holds the temp file in place while we kill the agent
  victim.child.stdin.write(line(1, [{ op: "write", path: file, content: Buffer.from("new\n").toString("base64"), validate: `exec python3 -c "import time; time.sleep(30)" %s` }]));
  await until(() => tempsIn(dir).length === 1);
  const stale = tempsIn(dir)[0];
  const pid = Number(/^\.multitier-(\d+)-/.exec(stale)![1]);
  process.kill(pid, "SIGKILL");
  await victim.exited;
  expect(fs.readFileSync(file, "utf8")).toBe("old\n"); // old content, never a partial one
  expect(tempsIn(dir)).toEqual([stale]);
  // a temp file of a live agent (this test process's pid) must survive the cleaning
  const live = `.multitier-${process.pid}-00000000.tmp`;
  fs.writeFileSync(path.join(dir, live), "in flight");
  const next = await AgentClient.start("local", localChannel(false), NO_SECRETS);
  try {
    const [w] = await next.call([{ op: "write", path: file, content: Buffer.from("new\n").toString("base64") }]);
    expect(w).toMatchObject({ ok: true, changed: true });
  } finally {
    next.close();
  }
  expect(tempsIn(dir)).toEqual([live]);
  expect(fs.readFileSync(file, "utf8")).toBe("new\n");
  killMatching(stale); // the orphaned validate command of the killed agent

});

describe("the lock op", () => {
  const lockOf = async (client: AgentClient, file: string, wait = 0) => (await client.call([{ op: "lock", path: file, holder, wait }]))[0] as OpResult & LockResult;
  const clients: AgentClient[] = [];
  const start = async () => {
    const c = await AgentClient.start("local", localChannel(false), NO_SECRETS);
    clients.push(c);
    return c;
  };
  afterEach(() => clients.splice(0).forEach((c) => c.close()));

  test("held by one live agent: another is refused with the holder's record and how long; it waits until the first ends", async () => {
    const file = path.join(dir, "sub", "lock"); // the directory is made (as /run/multitier is)
    const first = await start();
    expect(await lockOf(first, file)).toEqual({ ok: true, acquired: true });
    const second = await start();
    const refused = await lockOf(second, file);
    expect(refused).toMatchObject({ ok: true, acquired: false, holder: { ...holder, pid: expect.any(Number), login: os.userInfo().username } });
    expect(refused.heldFor).toBeGreaterThanOrEqual(0);
    expect(refused.heldFor).toBeLessThan(60);
    const waiting = lockOf(second, file, 30);
    await new Promise((r) => setTimeout(r, 500));
    first.close();
    const got = await waiting;
    expect(got).toEqual({ ok: true, acquired: true }); // released cleanly: nothing taken over
  });

  test("an agent waiting for the lock whose runner goes away stops waiting and ends (not after --wait-lock)", async () => {
    const file = path.join(dir, "lock");
    const first = await start();
    expect(await lockOf(first, file)).toEqual({ ok: true, acquired: true });
    const waiter = rawAgent();
    waiter.child.stdin.write(line(1, [{ op: "lock", path: file, holder, wait: 600 }]));
    await new Promise((r) => setTimeout(r, 500));
    waiter.child.stdin.end();
    const end = await waiter.exited;
    expect(end).toMatchObject({ code: 0, signal: null });
    expect(end.ms).toBeLessThan(60_000); // far below the 600 s it was asked to wait
    expect(JSON.parse(waiter.stdout().trim())).toMatchObject({ id: 1, results: [{ ok: true, acquired: false }] });
    expect(JSON.parse(fs.readFileSync(file, "utf8")).pid).not.toBe(waiter.child.pid); // still the first's
  });

  test("the holder killed with SIGKILL: the lock is free at once, and its record is taken over (named, not alive)", async () => {
    const file = path.join(dir, "lock");
    const a = rawAgent();
    a.child.stdin.write(line(1, [{ op: "lock", path: file, holder }]));
    await until(() => a.stdout().includes('"acquired":true'));
    const pid = JSON.parse(fs.readFileSync(file, "utf8")).pid as number;
    process.kill(pid, "SIGKILL");
    await a.exited;
    const next = await start();
    const got = await lockOf(next, file);
    expect(got).toMatchObject({ ok: true, acquired: true, tookOver: { ...holder, pid, alive: false } });
  });
});
