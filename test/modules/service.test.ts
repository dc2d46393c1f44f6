/**
 * service with the supervisord backend against a REAL supervisord, started on a temp config
 * with a temp unix socket (`config:` → `supervisorctl -c`), stopped in afterAll (also when a
 * test failed). State is checked with supervisorctl directly, not through the module.
 * systemd cannot run here (no systemd as PID 1): its paths are exercised in the lab.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { service } from "../../runner/modules/service";
import { startHost, type TestHost } from "./harness";

let host: TestHost;
let conf: string;
let pidFile: string;

const ctl = (...args: string[]): string => {
  try {
    return execFileSync("supervisorctl", ["-c", conf, ...args], { encoding: "utf8" });
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? ""); // status exits non-zero for stopped programs
  }
};
const state = (name: string) => /^\S+\s+(\S+)/.exec(ctl("status", name))?.[1];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 10000): Promise<void> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(100)) if (ok()) return;
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  host = await startHost({ prefix: "mt-svc-" });
  conf = path.join(host.dir, "supervisord.conf");
  pidFile = path.join(host.dir, "supervisord.pid");
  const d = host.dir;
  fs.writeFileSync(
    conf,
    `[unix_http_server]
file=${d}/sv.sock
chmod=0700

[supervisord]
logfile=${d}/supervisord.log
pidfile=${pidFile}
childlogdir=${d}
user=root

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://${d}/sv.sock

[program:mtapp]
command=/bin/sh -c 'trap "echo hup >> ${d}/hup.log" HUP; while :; do sleep 0.2; done'
autostart=false
autorestart=false
startsecs=0
stopasgroup=true
killasgroup=true

[program:mtbroken]
command=/nonexistent/mt-no-such-program
autostart=false
autorestart=false
startsecs=0
startretries=0
`,
  );
  execFileSync("supervisord", ["-c", conf]);
  await until("supervisord's socket", () => /^\d+$/m.test(ctl("pid")));
});

afterAll(async () => {
  try {
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    ctl("shutdown");
    await until("supervisord to exit", () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }).catch(() => process.kill(pid, "SIGKILL"));
  } finally {
    await host.close();
  }
});

const svc = (extra: object) => ({ name: "mtapp", config: conf, ...extra });

describe("service (supervisord)", () => {
  test("started: starts a stopped program, then nothing to do", async () => {
    expect(state("mtapp")).toBe("STOPPED");
    const r = await host.run(service, svc({ state: "started" }));
    expect(r.plan).toMatchObject({ status: "changed", msg: "start mtapp (supervisord)" });
    expect(r.problem).toBeUndefined();
    expect(state("mtapp")).toBe("RUNNING");
    expect(r.second).toMatchObject({ status: "ok", msg: "nothing to do (supervisord: RUNNING)" });
    // one sh op to probe, naming the config; one to apply
    expect(r.probe).toHaveLength(1);
    expect(r.probe[0]).toMatchObject({ op: "sh" });
    expect((r.probe[0] as { script: string }).script).toContain(`supervisorctl -c '${conf}' status 'mtapp'`);
  });

  test("--check: would stop, and the program keeps running", async () => {
    const pid = ctl("pid", "mtapp").trim();
    const r = await host.run(service, svc({ state: "stopped" }), { check: true });
    expect(r.plan).toMatchObject({ status: "changed", msg: "would stop mtapp (supervisord)" });
    expect(state("mtapp")).toBe("RUNNING");
    expect(ctl("pid", "mtapp").trim()).toBe(pid);
  });

  test("restarted always acts (a handler): a new process", async () => {
    const pid = ctl("pid", "mtapp").trim();
    const r = await host.run(service, svc({ state: "restarted" }));
    expect(r.plan).toMatchObject({ status: "changed", msg: "restart mtapp (supervisord)" });
    expect(r.problem).toBeUndefined();
    expect(state("mtapp")).toBe("RUNNING");
    expect(ctl("pid", "mtapp").trim()).not.toBe(pid);
    expect(r.second?.status).toBe("changed"); // restarted is never "nothing to do"
  });

  test("reloaded sends HUP to the program", async () => {
    const r = await host.run(service, svc({ state: "reloaded" }));
    expect(r.plan.msg).toBe("reload mtapp (supervisord)");
    expect(r.problem).toBeUndefined();
    await until("the program's HUP trap", () => fs.existsSync(path.join(host.dir, "hup.log")));
    expect(state("mtapp")).toBe("RUNNING");
  });

  test("backend auto finds the supervisord program; stopped stops it, then nothing to do", async () => {
    const r = await host.run(service, { name: "mtapp", config: conf, state: "stopped" });
    expect(r.plan).toMatchObject({ status: "changed", msg: "stop mtapp (supervisord)" });
    expect(state("mtapp")).toBe("STOPPED");
    expect(r.second).toMatchObject({ status: "ok", msg: "nothing to do (supervisord: STOPPED)" });
  });

  test("a program that cannot start fails the task with supervisorctl's words", async () => {
    const r = await host.run(service, { name: "mtbroken", config: conf, backend: "supervisord", state: "started" });
    expect(r.plan.status).toBe("changed");
    expect(r.problem).toMatch(/^start mtbroken failed: .*(spawn error|ERROR)/);
  });

  test("a program supervisord does not know is a failure, not a change", async () => {
    const r = await host.run(service, { name: "mt-unknown", config: conf, backend: "supervisord", state: "started" });
    expect(r.plan.status).toBe("failed");
    expect(r.plan.msg).toMatch(/^supervisord does not manage a program "mt-unknown" \(mt-unknown: ERROR \(no such process\)\)$/);
    const auto = await host.run(service, { name: "mt-unknown", config: conf, state: "started" });
    if (host.agent.facts.init === "systemd") expect(auto.plan.status).not.toBe("ok");
    else expect(auto.plan).toMatchObject({ status: "failed", msg: 'no supervisord program "mt-unknown" (mt-unknown: ERROR (no such process)) and no systemd on this host' });
    const sd = await host.run(service, { name: "mtapp", backend: "systemd", state: "started" });
    if (host.agent.facts.init !== "systemd") expect(sd.plan).toMatchObject({ status: "failed", msg: expect.stringMatching(/^systemd is not running on this host/) });
  });

  test("argument errors name the field", () => {
    expect(() => host.parse(service, { name: "x" })).toThrow(/^service\.: expected state and\/or enabled$/);
    expect(() => host.parse(service, { name: "x", state: "running" })).toThrow(/^service\.state: Invalid enum value/);
    expect(() => host.parse(service, { name: "x", enabled: true, backend: "supervisord" })).toThrow(/^service\.enabled: enabled is for systemd/);
    expect(() => host.parse(service, { name: "x", state: "started", backend: "systemd", config: "/etc/s.conf" })).toThrow(/^service\.config: config is supervisord's config file/);
    expect(() => host.parse(service, { name: "x; reboot", state: "started" })).toThrow(/^service\.name: expected a service name$/);
    expect(() => host.parse(service, { name: "x", state: "started", daemon_reload: true })).toThrow(/Unrecognized key/);
  });
});
