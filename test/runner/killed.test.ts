/**
 * The controller killed outright (SIGKILL, not Ctrl-C) with template uploads in flight
 * (issue 16), on the local machine: a deploy through the LocalConnector runs in a process of
 * its own (./local-deploy.ts; the real modules, the real agent per "host"), and is killed
 *   (a) alone: its agents find their stdin closed and end on their own; the op in flight is
 *       finished, a cut-off upload is dropped; locks released;
 *   (b) with its agents (the whole process group, as when a CI job's cgroup is killed): what
 *       a host keeps is a temp file and a lock record; the next run removes the one and takes
 *       the other over, saying so.
 * Both: every managed file is its old or its new content (checksums), no agent is left after
 * a bounded wait, and the next run converges (exit 0, then a run with nothing to change).
 * app-1's first task writes a file whose `validate` waits for a gate the test opens: that
 * host is deterministically mid-write (its temp file in place) when the kill comes, while the
 * other hosts upload two 4 MB templates.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { makeLocalEnv, type LocalEnv } from "./local-env";

const ROOT = path.join(__dirname, "..", "..");
const BIG = "y".repeat(100) + "\n";
const BIG_TEXT = BIG.repeat(40_000); // 4 MB each
const FILES = ["small.txt", "gated.txt", "big1.txt", "big2.txt"];
const sha = (s: string | Buffer) => crypto.createHash("sha256").update(s).digest("hex");

let env: LocalEnv;
let restore: () => void;
let lockDir: string;
let marker: string;
const gate = () => path.join(env.dir, "gate");
const fileOf = (host: string, f: string) => path.join(env.work, host, f);
const newContent = (host: string, f: string) => sha(f === "small.txt" ? `small ${host}\n` : f === "gated.txt" ? `gated ${host}\n` : BIG_TEXT);
const oldContent = (host: string, f: string) => sha(`old ${f} ${host}\n`);

beforeAll(() => {
  env = makeLocalEnv(3);
  restore = env.activate();
  lockDir = path.join(env.dir, "locks");
  fs.mkdirSync(lockDir);
  marker = `MT_KILLED_TEST=${env.dir}`;
  env.writeTemplate("big.hbs", BIG_TEXT);
  env.writeTemplate("gated.hbs", "gated {{host.name}}\n");
  env.writePlaybook(
    "uploads",
    `- name: uploads
  hosts: app
  become: false
  tasks:
    - name: gated write
      template: { src: gated.hbs, dest: "${env.work}/{{host.name}}/gated.txt", validate: "n=0; until [ -e ${gate()} ] || [ $n -ge 600 ]; do sleep 0.1; n=$((n+1)); done; test -f %s" }
      when: "host.name == 'app-1'"
    - name: small file
      copy: { content: "small {{host.name}}\\n", dest: "${env.work}/{{host.name}}/small.txt" }
    - name: big one
      template: { src: big.hbs, dest: "${env.work}/{{host.name}}/big1.txt" }
    - name: big two
      template: { src: big.hbs, dest: "${env.work}/{{host.name}}/big2.txt" }
`,
  );
});
afterAll(() => {
  killMarked("SIGKILL");
  restore();
  env.cleanup();
});

/** every file before the run: old content, known checksums; no gate, no lock file */
function reset(): void {
  for (const h of env.hostNames) for (const f of FILES) fs.writeFileSync(fileOf(h, f), `old ${f} ${h}\n`);
  fs.rmSync(gate(), { force: true });
  for (const f of fs.readdirSync(lockDir)) fs.rmSync(path.join(lockDir, f));
}

/** pids of the processes this test started (the deploy, its agents, their commands): they carry the marker */
function marked(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/environ`, "utf8").split("\0").includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}
function killMarked(signal: NodeJS.Signals): void {
  for (const pid of marked()) {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** the deploy in a process of its own (its own process group, so (b) can kill it whole) */
function deploy() {
  const child = spawn(process.execPath, ["-r", "tsx/cjs", path.join(__dirname, "local-deploy.ts"), lockDir, "uploads"], {
    cwd: ROOT,
    env: { ...process.env, [marker.split("=")[0]]: env.dir, NO_COLOR: "1" },
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done, out: () => stdout };
}

const temps = () => env.hostNames.flatMap((h) => fs.readdirSync(path.join(env.work, h)).filter((f) => f.startsWith(".multitier-")).map((f) => `${h}/${f}`));
const records = () => Object.fromEntries(fs.readdirSync(lockDir).map((f) => [f, fs.readFileSync(path.join(lockDir, f), "utf8")]));

/** no file partly written: each is its old or its new content */
function expectWhole(): void {
  for (const h of env.hostNames)
    for (const f of FILES) {
      const now = sha(fs.readFileSync(fileOf(h, f)));
      expect({ host: h, file: f, whole: [oldContent(h, f), newContent(h, f)].includes(now) }).toEqual({ host: h, file: f, whole: true });
    }
}

/** kill the deploy when app-1 is mid-write (its temp file there) and another host has finished one big upload */
async function runUntilInFlight() {
  const d = deploy();
  await until(() => temps().some((t) => t.startsWith("app-1/")) && /app-[23]\s+changed\s+big one/.test(d.out()), 90_000, "app-1 mid-write and a big upload done");
  return d;
}

/** the next run converges: exit 0, every file new, no temp file; the run after changes nothing */
async function expectConverges(): Promise<string> {
  const again = await deploy().done;
  expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: "" });
  for (const h of env.hostNames) for (const f of FILES) if (h === "app-1" || f !== "gated.txt") expect(sha(fs.readFileSync(fileOf(h, f)))).toBe(newContent(h, f));
  expect(temps()).toEqual([]);
  const noop = await deploy().done;
  expect(noop.code).toBe(0);
  // recap lines "host ok changed failed unreachable skipped": nothing changed anywhere, no lock said
  const recap = noop.stdout.split("\n").filter((l) => /^app-\d+\s+(\d+\s+){4}\d+$/.test(l.trim()));
  expect(recap.map((l) => l.trim().split(/\s+/)[0]).sort()).toEqual(env.hostNames);
  for (const l of recap) expect(Number(l.trim().split(/\s+/)[2])).toBe(0);
  expect(noop.stdout).not.toMatch(/\block\b/);
  return again.stdout;
}

test("(a) the controller alone SIGKILLed mid-upload: its agents end on their own (the op in flight finished), files whole, no temp file, locks released; the next run converges", async () => {
  reset();
  const d = await runUntilInFlight();
  process.kill(d.child.pid!, "SIGKILL");
  const res = await d.done;
  expect(res.signal).toBe("SIGKILL");
  fs.writeFileSync(gate(), ""); // app-1's write in flight may now finish: the agent completes it, then ends
  await until(() => marked().length === 0, 30_000, "every agent to end on its own");
  expectWhole();
  expect(sha(fs.readFileSync(fileOf("app-1", "gated.txt")))).toBe(newContent("app-1", "gated.txt"));
  expect(temps()).toEqual([]);
  // every agent that held a lock released it on its way out (an empty record: nobody cut off)
  expect(Object.keys(records()).length).toBeGreaterThan(0);
  for (const [file, text] of Object.entries(records())) expect({ file, text }).toEqual({ file, text: "" });
  const out = await expectConverges();
  expect(out).not.toMatch(/took over/);
}, 240_000);

test("(b) the controller killed with its agents (the process group): files whole, the temp file left is removed and the locks taken over by the next run, which converges", async () => {
  reset();
  const d = await runUntilInFlight();
  const stale = temps().filter((t) => t.startsWith("app-1/"));
  process.kill(-d.child.pid!, "SIGKILL");
  await d.done;
  await until(() => marked().length === 0, 30_000, "the killed processes to be gone");
  expectWhole();
  expect(sha(fs.readFileSync(fileOf("app-1", "gated.txt")))).toBe(oldContent("app-1", "gated.txt"));
  expect(temps()).toEqual(expect.arrayContaining(stale)); // what the kill left: the next run removes it
  const held = Object.entries(records()).filter(([, text]) => text !== "");
  expect(held.map(([f]) => f).sort()).toEqual(env.hostNames.map((h) => `${h}.lock`));
  fs.writeFileSync(gate(), "");
  const out = await expectConverges();
  for (const [file, text] of held) {
    const pid = (JSON.parse(text) as { pid: number }).pid;
    const host = file.replace(/\.lock$/, "");
    expect(out).toMatch(new RegExp(`^  ${host}\\s+lock took over the lock left by \\S+@\\S+ \\("multitier deploy uploads --env local", agent pid ${pid}\\) since \\S+: its agent ended without releasing it \\(killed\\)$`, "m"));
  }
}, 240_000);
