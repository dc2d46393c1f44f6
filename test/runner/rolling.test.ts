/**
 * Rolling deploys through the executor on this machine: three "hosts" run the REAL agent as
 * local processes (LocalConnector), the health gate asks a real HTTP server on 127.0.0.1 (the
 * test's stand-in for the hosts' health endpoint: it answers with the version a host's file
 * holds, 503 for a host the test makes sick), and a recording balancer stands in for the load
 * balancer (its real implementations are tested in balancer.test.ts). The lab version of
 * these (sshd hosts, nginx on the bastion) is test/lab/rolling.test.ts.
 */
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { Writable } from "stream";
import type { RunEvent } from "../../runner/events";
import { LocalConnector, NO_SECRETS } from "../../runner/connect";
import { HumanReporter } from "../../runner/report";
import { run, type RunRequest } from "../../runner/run";
import type { Balancer } from "../../runner/balancer/types";
import { makeLocalEnv, type LocalEnv } from "./local-env";

let env: LocalEnv;
let restore: () => void;
let server: http.Server;
let port = 0;
const sick = new Set<string>();

beforeAll(async () => {
  env = makeLocalEnv(3);
  restore = env.activate();
  server = http.createServer((req, res) => {
    const host = /^\/health\/([\w-]+)$/.exec(req.url ?? "")?.[1] ?? "";
    let version = "";
    try {
      version = fs.readFileSync(path.join(env.work, host, "version"), "utf8").trim();
    } catch {
      /* no version yet */
    }
    res.writeHead(sick.has(host) || version.startsWith("broken") ? 503 : 200).end(`version ${version}`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  restore();
  env.cleanup();
  await new Promise((r) => server.close(r));
});

/** the service: the version file (its handler stamps the time), then the health gate(s) */
function writeBook(version: string, keywords = "  serial: 1\n  balancer: drain\n", gate = "") {
  const w = env.work;
  env.writePlaybook(
    "web",
    `- name: web
  hosts: app
  become: false
${keywords}  tasks:
    - name: version
      copy: { content: "${version}\\n", dest: "${w}/{{host.name}}/version" }
      notify: stamp
  post_tasks:
    - name: healthy
      http_check: { url: "http://127.0.0.1:${port}/health/{{host.name}}", body: "version ${version}", retries: 1, delay: 0.2, timeout: 2 }
${gate}  handlers:
    - name: stamp
      shell: { cmd: "date +%s.%N >> ${w}/{{host.name}}/stamps" }
- name: restart
  hosts: app
  become: false
  serial: 1
  tasks:
    - name: restart
      shell: { cmd: "date +%s.%N >> ${w}/{{host.name}}/restarts" }
      tags: [restart, never]
    - name: healthy after restart
      wait_for: { port: ${port}, timeout: 5 }
      tags: [restart, never]
`,
  );
}

const request = (over: Partial<RunRequest> = {}): RunRequest => ({ env: "local", command: "deploy", services: ["web"], check: false, diff: false, tags: [], skipTags: [], forks: 10, json: true, acceptNewHostKeys: false, ...over });

async function deploy(over: Partial<RunRequest> = {}) {
  const events: RunEvent[] = [];
  const calls: string[] = [];
  const balancer: Balancer = {
    name: "the recording balancer (test stand-in)",
    drain: async (hs) => void calls.push(`drain ${hs.map((h) => h.name).join(",")}`),
    restore: async (hs) => void calls.push(`restore ${hs.map((h) => h.name).join(",")}`),
  };
  let text = "";
  const human = new HumanReporter(new Writable({ write: (c, _e, cb) => ((text += c), cb()) }), false);
  const result = await run(request(over), {
    connector: async () => new LocalConnector(),
    secrets: () => ({ vault: {}, filter: NO_SECRETS }),
    reporter: { emit: (e) => (events.push(e), human.emit(e)) },
    balancer: () => balancer,
  });
  const recap = events.find((e) => e.event === "recap") as Extract<RunEvent, { event: "recap" }>;
  const batches = events.filter((e): e is Extract<RunEvent, { event: "batch" }> => e.event === "batch");
  return { ...result, events, recap, calls, text, batches };
}

const version = (h: string) => fs.readFileSync(path.join(env.work, h, "version"), "utf8").trim();
const stamps = (h: string, f = "stamps") => fs.readFileSync(path.join(env.work, h, f), "utf8").trim().split("\n").map(Number);

test("--check shows the batches, changes nothing and does not wait for health", async () => {
  writeBook("v1");
  const r = await deploy({ check: true });
  expect(r.code).toBe(0);
  expect(r.events.find((e) => e.event === "rollout")).toMatchObject({ batches: [["app-1"], ["app-2"], ["app-3"]], check: true });
  expect(r.text).toContain("ROLLOUT (check) batch 1/3: app-1; batch 2/3: app-2; batch 3/3: app-3");
  const gates = r.events.filter((e) => e.event === "task" && e.task === "healthy");
  expect(gates.map((e) => e.event === "task" && [e.status, e.msg])).toEqual(
    ["app-1", "app-2", "app-3"].map((h) => ["skipped", `--check: would check http://127.0.0.1:${port}/health/${h} answers 200, body holds "version v1"`]),
  );
  expect(r.calls).toEqual([]); // no balancer call under --check
  for (const h of env.hostNames) expect(fs.existsSync(path.join(env.work, h, "version"))).toBe(false);
});

test("a rolling deploy changes one host at a time: each batch drained, changed, healthy, restored before the next", async () => {
  writeBook("v1");
  const r = await deploy();
  expect(r.code).toBe(0);
  expect(r.calls).toEqual(["drain app-1", "restore app-1", "drain app-2", "restore app-2", "drain app-3", "restore app-3"]);
  // each host's change (its handler's time stamp) happened after the previous batch ended
  const ends = r.batches.filter((b) => b.state === "done").map((b) => Date.parse(b.at));
  const starts = r.batches.filter((b) => b.state === "started").map((b) => Date.parse(b.at));
  expect(ends).toHaveLength(3);
  for (let k = 1; k < 3; k++) {
    expect(starts[k]).toBeGreaterThanOrEqual(ends[k - 1]);
    expect(stamps(`app-${k + 1}`)[0] * 1000).toBeGreaterThan(stamps(`app-${k}`)[0] * 1000);
  }
  expect(r.recap.rollouts?.[0]).toMatchObject({ updated: ["app-1", "app-2", "app-3"], notStarted: [], failed: [] });
  expect(r.text).toMatch(/BATCH 1\/3 app-1 started \d\d:\d\d:\d\d/);
  expect(r.text).toContain("new configuration on: app-1, app-2, app-3");
});

test("a health gate failing on the first host stops the rollout there: exit 2, the others untouched and not started", async () => {
  writeBook("broken-v2");
  const r = await deploy();
  expect(r.code).toBe(2);
  expect(version("app-1")).toBe("broken-v2");
  expect([version("app-2"), version("app-3")]).toEqual(["v1", "v1"]);
  expect(r.calls).toEqual(["drain app-1"]); // the failed host stays out of the balancer
  expect(r.recap.notStarted).toEqual(["app-2", "app-3"]);
  expect(r.recap.rollouts?.[0]).toMatchObject({ stoppedAt: 1, updated: [], failed: ["app-1"], notStarted: ["app-2", "app-3"] });
  expect(r.text).toContain(`failed   healthy — health check failed: expected http://127.0.0.1:${port}/health/app-1 answers 200, body holds "version broken-v2"; after 2 tries: status 503: version broken-v2`);
  expect(r.text).toContain("STOPPED at batch 1/3 — new configuration on: none; failed: app-1; not started (old configuration): app-2, app-3");
  expect(r.text).toMatch(/^app-2 .* not started$/m);
});

test("a fixed deploy then rolls through all three (health checked on the host and from the controller)", async () => {
  writeBook("v2", undefined, `    - name: healthy from outside\n      http_check: { url: "http://127.0.0.1:${port}/health/{{host.name}}", from: controller, retries: 1, delay: 0.2 }\n`);
  const r = await deploy();
  expect(r.code).toBe(0);
  expect(env.hostNames.map(version)).toEqual(["v2", "v2", "v2"]);
  const outside = r.events.filter((e) => e.event === "task" && e.task === "healthy from outside");
  expect(outside.map((e) => e.event === "task" && e.msg)).toEqual(["app-1", "app-2", "app-3"].map((h) => `healthy: http://127.0.0.1:${port}/health/${h} answers 200 (from the controller) (1 try)`));
  expect(r.recap.rollouts?.[0].updated).toEqual(["app-1", "app-2", "app-3"]);
});

test("max_fail_percentage with two batches: one failure in a batch of two is 50%, not more: the second batch runs; without it, it does not", async () => {
  sick.add("app-2");
  try {
    writeBook("v3", "  serial: 2\n  max_fail_percentage: 50\n");
    const tolerated = await deploy();
    expect(tolerated.code).toBe(2); // a host failed all the same
    expect(tolerated.recap.rollouts?.[0]).toMatchObject({ batches: [["app-1", "app-2"], ["app-3"]], updated: ["app-1", "app-3"], failed: ["app-2"], notStarted: [] });
    expect(version("app-3")).toBe("v3");
    writeBook("v4", "  serial: 2\n");
    const strict = await deploy();
    expect(strict.code).toBe(2);
    expect(strict.recap.rollouts?.[0]).toMatchObject({ stoppedAt: 1, updated: ["app-1"], failed: ["app-2"], notStarted: ["app-3"] });
    expect(version("app-3")).toBe("v3");
  } finally {
    sick.delete("app-2");
  }
});

test("restart rolls too, one host at a time behind its gate; --serial overrides the playbook", async () => {
  writeBook("v4");
  const r = await deploy({ command: "restart" });
  expect(r.code).toBe(0);
  expect(r.events.find((e) => e.event === "rollout")).toMatchObject({ play: "restart", batches: [["app-1"], ["app-2"], ["app-3"]] });
  expect(stamps("app-2", "restarts")[0]).toBeGreaterThan(stamps("app-1", "restarts")[0]);
  expect(stamps("app-3", "restarts")[0]).toBeGreaterThan(stamps("app-2", "restarts")[0]);
  const all = await deploy({ command: "restart", serial: [{ count: 3 }] });
  expect(all.events.find((e) => e.event === "rollout")).toMatchObject({ batches: [["app-1", "app-2", "app-3"]] });
});
