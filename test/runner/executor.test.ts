/**
 * The executor on the local machine: the REAL agent runs as a local process for each
 * "host" (LocalConnector) and writes under a temp dir. The two modules below are test-only
 * stand-ins so these tests exercise the executor's batching, check mode, handlers and
 * failure isolation independently of the real modules (tested in test/modules).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import type { RunEvent } from "../../runner/events";
import { LocalConnector, NO_SECRETS } from "../../runner/connect";
import { modules } from "../../runner/modules";
import type { Module } from "../../runner/modules/types";
import { run, type RunRequest } from "../../runner/run";
import { makeLocalEnv, type LocalEnv } from "./local-env";

const note: Module<{ path: string; content: string }> = {
  name: "test_note",
  doc: "test-only: write content to path",
  args: z.object({ path: z.string(), content: z.string() }).strict(),
  probe: (a) => [{ op: "stat", path: a.path }],
  plan(a, [st]) {
    const want = crypto.createHash("sha256").update(a.content).digest("hex");
    if (st.ok && "sha256" in st && st.sha256 === want) return { status: "ok", msg: "nothing to do" };
    if (st.ok && "type" in st && st.type === "dir") return { status: "failed", msg: `${a.path} is a directory` };
    return { status: "changed", msg: `write ${a.path}`, diff: `+${a.content}`, apply: [{ op: "write", path: a.path, content: Buffer.from(a.content).toString("base64") }] };
  },
};
const append: Module<{ path: string; line: string }> = {
  name: "test_append",
  doc: "test-only: append a line (a handler)",
  args: z.object({ path: z.string(), line: z.string() }).strict(),
  probe: () => [],
  plan: (a) => ({ status: "changed", msg: "appended", apply: [{ op: "sh", script: `echo '${a.line}' >> '${a.path}'` }] }),
};

let env: LocalEnv;
let restore: () => void;

beforeAll(() => {
  modules.test_note = note;
  modules.test_append = append;
  env = makeLocalEnv(2);
  restore = env.activate();
  env.writePlaybook(
    "svc",
    `- name: configure
  hosts: app
  become: false
  tasks:
    - name: first file
      test_note: { path: "${env.work}/{{host.name}}/a.txt", content: "{{greeting}} from {{host.name}}" }
      notify: record
    - name: second file
      test_note: { path: "${env.work}/{{host.name}}/b.txt", content: "b" }
      notify: record
    - name: only on app-2
      test_note: { path: "${env.work}/{{host.name}}/c.txt", content: "c" }
      when: "host.name == 'app-2'"
  handlers:
    - name: record
      test_append: { path: "${env.work}/{{host.name}}/handler.log", line: ran }
`,
  );
});

afterAll(() => {
  restore();
  env.cleanup();
  delete modules.test_note;
  delete modules.test_append;
});

function request(over: Partial<RunRequest> = {}): RunRequest {
  return { env: "local", command: "deploy", services: ["svc"], check: false, diff: false, tags: [], skipTags: [], forks: 10, json: true, acceptNewHostKeys: false, ...over };
}

async function deploy(over: Partial<RunRequest> = {}) {
  const events: RunEvent[] = [];
  const result = await run(request(over), { connector: async () => new LocalConnector(), secrets: () => ({ vault: {}, filter: NO_SECRETS }), reporter: { emit: (e) => events.push(e) } });
  const recap = events.find((e) => e.event === "recap") as Extract<RunEvent, { event: "recap" }>;
  return { ...result, events, recap };
}

function checksums(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const f of fs.readdirSync(d)) {
      const p = path.join(d, f);
      if (fs.statSync(p).isDirectory()) walk(p);
      else out[path.relative(env.work, p)] = crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");
    }
  };
  walk(env.work);
  return out;
}

test("--check on fresh hosts reports changes and changes nothing", async () => {
  const before = checksums();
  const { code, recap } = await deploy({ check: true, diff: true });
  expect(code).toBe(0);
  // two tasks + the handler they notify, all "would change" (Ansible also runs handlers in check mode)
  expect(recap.hosts["app-1"]).toMatchObject({ changed: 3, skipped: 1, failed: 0 });
  expect(checksums()).toEqual(before);
});

test("first run changes, handler runs once per host, `when` skips", async () => {
  const { code, recap, events } = await deploy();
  expect(code).toBe(0);
  expect(recap.hosts["app-1"]).toEqual({ ok: 0, changed: 3, failed: 0, unreachable: 0, skipped: 1 });
  expect(recap.hosts["app-2"]).toEqual({ ok: 0, changed: 4, failed: 0, unreachable: 0, skipped: 0 });
  expect(fs.readFileSync(path.join(env.work, "app-1", "a.txt"), "utf8")).toBe("hello from app-1");
  expect(fs.readFileSync(path.join(env.work, "app-2", "handler.log"), "utf8")).toBe("ran\n");
  expect(events.filter((e) => e.event === "task" && e.handler).length).toBe(2);
});

test("second run: 0 changed, handler not run, two round trips per host", async () => {
  const { code, recap, executor } = await deploy();
  expect(code).toBe(0);
  for (const h of ["app-1", "app-2"]) expect(recap.hosts[h].changed).toBe(0);
  expect(fs.readFileSync(path.join(env.work, "app-1", "handler.log"), "utf8")).toBe("ran\n");
  expect(executor!.roundTrips()).toEqual({ "app-1": 2, "app-2": 2 });
});

test("handlers: run in the play's order, once each, batched (no round trip to probe what has no probe)", async () => {
  env.writePlaybook(
    "handlers2",
    `- name: two handlers
  hosts: app
  become: false
  tasks:
    - name: marker
      test_note: { path: "${env.work}/{{host.name}}/h2.txt", content: "x" }
      notify: [second, first]
  handlers:
    - name: first
      test_append: { path: "${env.work}/{{host.name}}/h2.log", line: first }
    - name: second
      test_append: { path: "${env.work}/{{host.name}}/h2.log", line: second }
`,
  );
  const { code, executor } = await deploy({ services: ["handlers2"] });
  expect(code).toBe(0);
  expect(fs.readFileSync(path.join(env.work, "app-1", "h2.log"), "utf8")).toBe("first\nsecond\n");
  // facts, the task's probe, its apply, then one round trip per handler's apply: handlers
  // are not probed one by one (one at a time, a handler cost a probe and an apply round trip)
  expect(executor!.roundTrips()).toEqual({ "app-1": 5, "app-2": 5 });
});

test("a failing host stops only itself; exit code 2", async () => {
  fs.rmSync(path.join(env.work, "app-1", "a.txt"));
  fs.mkdirSync(path.join(env.work, "app-1", "a.txt"));
  fs.rmSync(path.join(env.work, "app-2", "b.txt"));
  try {
    const { code, recap } = await deploy();
    expect(code).toBe(2);
    expect(recap.hosts["app-1"]).toMatchObject({ failed: 1, changed: 0 });
    expect(recap.hosts["app-2"]).toMatchObject({ failed: 0, changed: 2 });
  } finally {
    fs.rmdirSync(path.join(env.work, "app-1", "a.txt"));
  }
});

test("--limit restricts the hosts; an unknown pattern is one clear line", async () => {
  const { recap } = await deploy({ limit: "app-2", check: true });
  expect(Object.keys(recap.hosts)).toEqual(["app-2"]);
  await expect(deploy({ limit: "db*" })).rejects.toThrow('argument --limit: "db*" matches no tier or host');
});

test("--check on a fresh host: a task whose input an earlier task would make says what it would do; exit 0; a real failure stays one", async () => {
  env.writePlaybook(
    "chained",
    `- name: chained
  hosts: app
  become: false
  tasks:
    - name: the file
      copy: { content: "a=1\\n", dest: "${env.work}/{{host.name}}/chained.conf" }
    - name: a line in it
      lineinfile: { path: "${env.work}/{{host.name}}/chained.conf", line: "b=2" }
`,
  );
  const before = checksums();
  const { code, events } = await deploy({ services: ["chained"], check: true, limit: "app-1" });
  const tasks = events.filter((e): e is Extract<RunEvent, { event: "task" }> => e.event === "task");
  expect(tasks.map((t) => [t.task, t.status, t.msg])).toEqual([
    ["the file", "changed", `(check) create ${env.work}/app-1/chained.conf`],
    ["a line in it", "changed", `would edit ${env.work}/app-1/chained.conf after it is created`],
  ]);
  expect(code).toBe(0);
  expect(checksums()).toEqual(before);
  // the same missing file with no earlier change: the failure it is
  env.writePlaybook(
    "unchained",
    `- name: unchained
  hosts: app
  become: false
  tasks:
    - name: a line in a missing file
      lineinfile: { path: "${env.work}/{{host.name}}/missing.conf", line: "b=2" }
`,
  );
  const lone = await deploy({ services: ["unchained"], check: true, limit: "app-1" });
  expect(lone.code).toBe(2);
  expect(lone.events.find((e) => e.event === "task")).toMatchObject({ status: "failed", msg: `${env.work}/app-1/missing.conf does not exist (set create: true to make it)` });
});
