/**
 * Every module's plan, pure: recorded probe answers in → plan and ops out, no host and no
 * agent (issue 15.3). What each module does against a real host is in the other files of this
 * folder and in test/storage; here every decision is pinned to the facts it was made from.
 */
import type { Facts, OpResult } from "../../runner/agent/protocol";
import { modules } from "../../runner/modules";
import { withBlock } from "../../runner/modules/cron";
import { editLines } from "../../runner/modules/lineinfile";
import type { HostVars, Module, Plan, TaskContext } from "../../runner/modules/types";
import { planTask, prepareTask, probeOps } from "../../runner/task";

const FACTS: Facts = {
  hostname: "h1", fqdn: "h1", os: { id: "debian", version: "12", codename: "bookworm", like: [] }, pkgManager: "apt", init: "systemd",
  hasSupervisorctl: true, user: "root", uid: 0, python: "3.11", addresses: { ipv4: ["10.0.0.5"], ipv6: [] }, deviceMapper: true, kernel: "6.1",
};
const VOLUMES: HostVars["volumes"] = {
  code: { volumeId: "vol-0abc", device: "/dev/sdf", mountPoint: "/code", filesystem: "ext4", encryption: "none", mountOptions: ["defaults", "noatime"] },
  data: { volumeId: "vol-0def", device: "/dev/sdg", mountPoint: "/data", filesystem: "xfs", encryption: "luks" },
};

function ctx(over: Partial<TaskContext> = {}): TaskContext {
  const host: HostVars = { name: "h1", tier: "app", privateIp: "10.0.0.5", user: "ubuntu", volumes: VOLUMES };
  return {
    host, facts: FACTS, vars: { host }, check: false, diff: false, become: true,
    render: (s) => (s.inline ?? `rendered ${s.file}\n`), mask: (t) => t.replace(/hunter2/g, "********"), isSecret: (t) => t.includes("hunter2"),
    runState: new Map(), ...over,
  };
}

/** plan `name` with raw args and these answers to its probes */
function plan(name: string, raw: unknown, answers: OpResult[], over: Partial<TaskContext> = {}): Plan {
  const m: Module = modules[name];
  const t = prepareTask(m, m.args.parse(raw), ctx(over));
  expect(probeOps(t).length).toBe(answers.length); // one recorded answer per probe op
  return planTask(t, answers);
}

const ok = (x: object): OpResult => ({ ok: true, ...x }) as unknown as OpResult;
const sh = (stdout: string, rc = 0, stderr = ""): OpResult => ok({ rc, stdout, stderr });
const absent = ok({ exists: false });
const b64 = (s: string) => Buffer.from(s).toString("base64");
const sha = (s: string) => require("crypto").createHash("sha256").update(s).digest("hex");
const file = (text: string, attrs: object = {}) => ok({ exists: true, type: "file", mode: "0644", owner: "root", group: "root", sha256: sha(text), content: b64(text), size: text.length, ...attrs });

describe("content modules", () => {
  test("template: absent → one write op with the rendered bytes; same bytes → nothing to do", () => {
    const p = plan("template", { src: "a.hbs", dest: "/etc/a" }, [absent]);
    expect(p).toMatchObject({ status: "changed", msg: "create /etc/a" });
    expect(p.apply).toEqual([expect.objectContaining({ op: "write", path: "/etc/a", content: b64("rendered a.hbs\n") })]);
    expect(plan("template", { src: "a.hbs", dest: "/etc/a" }, [file("rendered a.hbs\n")])).toEqual({ status: "ok", msg: "nothing to do" });
  });
  test("copy: a mode change alone is an attribute change, not a rewrite message", () => {
    expect(plan("copy", { content: "x\n", dest: "/etc/x", mode: "0600" }, [file("x\n")])).toMatchObject({ status: "changed", msg: "/etc/x: mode 0644 → 0600" });
  });
  test("lineinfile: a missing file without create fails, and says what it would do once created (pending)", () => {
    expect(plan("lineinfile", { path: "/etc/l", line: "a=1" }, [absent])).toMatchObject({ status: "failed", pending: "edit /etc/l after it is created" });
    expect(plan("lineinfile", { path: "/etc/l", line: "a=2", regexp: "^a=" }, [file("a=1\nb=2\n")]).apply?.[0]).toMatchObject({ op: "write", content: b64("a=2\nb=2\n") });
    expect(editLines("x\n", { line: "y", state: "present", insertbefore: "BOF" })).toBe("y\nx\n");
  });
  test("file: directory absent → path op; a link pointing elsewhere → relinked", () => {
    expect(plan("file", { path: "/srv/d", state: "directory", mode: "0750" }, [absent]).apply).toEqual([{ op: "path", path: "/srv/d", state: "directory", mode: "0750", owner: undefined, group: undefined, recurse: false }]);
    expect(plan("file", { path: "/l", state: "link", src: "/b" }, [ok({ exists: true, type: "link", target: "/a" })])).toMatchObject({ status: "changed", msg: "link /l: /a → /b" });
  });
});

describe("cron (withBlock, tested directly as its comment says)", () => {
  const jobs = [{ name: "pipeline", schedule: "*/10 * * * *", job: "/code/run.sh" }];
  test("a new block goes at the end; other lines are kept as they are", () => {
    expect(withBlock("MAILTO=ops\n0 1 * * * other\n", { name: "emission", jobs, state: "present" })).toBe(
      "MAILTO=ops\n0 1 * * * other\n# BEGIN multitier emission\n# pipeline\n*/10 * * * * /code/run.sh\n# END multitier emission\n",
    );
  });
  test("an existing block is replaced where it stands; absent removes it; the empty crontab stays empty", () => {
    const old = "A\n# BEGIN multitier emission\n# old\n0 0 * * * old\n# END multitier emission\nB\n";
    expect(withBlock(old, { name: "emission", jobs, state: "present" })).toBe("A\n# BEGIN multitier emission\n# pipeline\n*/10 * * * * /code/run.sh\n# END multitier emission\nB\n");
    expect(withBlock(old, { name: "emission", jobs: [], state: "absent" })).toBe("A\nB\n");
    expect(withBlock("", { name: "emission", jobs: [], state: "absent" })).toBe("");
    // another block of ours is not touched
    expect(withBlock("# BEGIN multitier other\nx\n# END multitier other\n", { name: "emission", jobs: [], state: "absent" })).toBe("# BEGIN multitier other\nx\n# END multitier other\n");
  });
  test("a block without its END line is an error to fix by hand", () => {
    expect(() => withBlock("# BEGIN multitier emission\n0 0 * * * x\n", { name: "emission", jobs, state: "present" })).toThrow(/without "# END multitier emission": fix it by hand/);
  });
  test("plan: the new crontab goes on stdin of crontab -u <user> -", () => {
    const p = plan("cron", { user: "emission", name: "emission", jobs }, [ok({ exists: false, content: "" })]);
    expect(p).toMatchObject({ status: "changed", msg: "changed crontab of emission: 1 job(s) in block emission" });
    expect(p.apply).toEqual([{ op: "sh", script: "crontab -u 'emission' -", stdin: b64("# BEGIN multitier emission\n# pipeline\n*/10 * * * * /code/run.sh\n# END multitier emission\n") }]);
  });
});

describe("system modules", () => {
  test("package (apt): installed → nothing; missing → apt-get update once per run, then install", () => {
    expect(plan("package", { name: "nginx-light" }, [sh("installed:nginx-light\n")])).toMatchObject({ status: "ok" });
    const runState = new Map<string, unknown>();
    const p = plan("package", { name: ["nginx-light", "cron"] }, [sh("installed:cron\n")], { runState });
    expect(p.msg).toBe("install nginx-light (apt)");
    expect((p.apply![0] as { script: string }).script).toMatch(/apt-get .* update && apt-get .* install --no-install-recommends 'nginx-light'$/);
    const again = plan("package", { name: "jq" }, [sh("")], { runState });
    expect((again.apply![0] as { script: string }).script).not.toMatch(/update/);
  });
  test("service: systemd inactive → start (+ enable); supervisord program unknown → failed with pending", () => {
    const p = plan("service", { name: "nginx", state: "started", enabled: true, backend: "systemd" }, [sh("sd=yes\nsd_active=inactive\nsd_enabled=disabled\n")]);
    expect(p).toMatchObject({ status: "changed", msg: "start + enable nginx (systemd)", apply: [{ op: "sh", script: "systemctl start 'nginx' && systemctl enable 'nginx'" }] });
    expect(plan("service", { name: "emissionpy", state: "started", backend: "supervisord" }, [sh("sv_rc=4\nsv=emissionpy: ERROR (no such process)\n")])).toMatchObject({
      status: "failed",
      pending: "start emissionpy once supervisord knows it",
    });
  });
  test("service: a unit file changed since systemd read it → daemon-reload before the restart; nothing to do stays nothing", () => {
    const p = plan("service", { name: "mongod", state: "restarted", backend: "systemd" }, [sh("sd=yes\nsd_active=active\nsd_enabled=enabled\nsd_reload=yes\n")]);
    expect(p).toMatchObject({ status: "changed", apply: [{ op: "sh", script: "systemctl daemon-reload && systemctl restart 'mongod'" }] });
    expect(plan("service", { name: "mongod", state: "started", backend: "systemd" }, [sh("sd=yes\nsd_active=active\nsd_enabled=enabled\nsd_reload=yes\n")]).status).toBe("ok");
  });
  test("user: absent → useradd with the declared options; present with a missing group → usermod --append", () => {
    expect(plan("user", { name: "emission", groups: ["adm"] }, [ok({ exists: false })]).apply).toEqual([
      { op: "sh", script: "useradd --system --user-group --no-create-home --shell '/usr/sbin/nologin' --groups 'adm' 'emission'" },
    ]);
    expect(plan("user", { name: "emission", groups: ["adm"] }, [ok({ exists: true, uid: 998, gid: 998, home: "/", shell: "/usr/sbin/nologin", groups: ["emission"] })]).msg).toBe("change user emission: groups + adm");
  });
  test("git: absent → clone at the version; at the wanted commit → nothing to do; another origin → refused", () => {
    const a = { repo: "https://example.invalid/r.git", dest: "/code/r", version: "v1" };
    expect(plan("git", a, [sh("absent=1\n")])).toMatchObject({ status: "changed", msg: "clone https://example.invalid/r.git at v1 into /code/r" });
    expect(plan("git", a, [sh(`head=${"a".repeat(40)}\nurl=${a.repo}\nwant=${"a".repeat(40)}\nerr=\n`)])).toMatchObject({ status: "ok" });
    expect(plan("git", a, [sh(`head=${"a".repeat(40)}\nurl=https://other.invalid/x.git\nwant=\nerr=\n`)]).msg).toMatch(/is a checkout of https:\/\/other\.invalid\/x\.git, not/);
  });
  test("command/shell: creates exists → nothing; else one sh op with stdin; --check says would run", () => {
    expect(plan("command", { cmd: "touch /x", creates: "/x" }, [ok({ exists: true, type: "file" })])).toEqual({ status: "ok", msg: "nothing to do (/x exists)" });
    const p = plan("shell", { cmd: "cat > /y", stdin: "hunter2" }, [], { check: true });
    expect(p).toMatchObject({ status: "changed", msg: "would run: cat > /y", apply: [{ op: "sh", script: "cat > /y", stdin: b64("hunter2") }] });
  });
  test("show: output in the message, never a change; a failing command fails", () => {
    expect(plan("show", { cmd: "crontab -l" }, [sh("0 0 * * * x\n")])).toEqual({ status: "ok", msg: "\n0 0 * * * x" });
    expect(plan("show", { cmd: "false" }, [sh("", 1)]).status).toBe("failed");
  });
});

describe("storage modules", () => {
  const resolved = sh("R code /dev/loop7\nR data /dev/loop8\n");
  const blank = (dev: string) => sh(`dev=${dev}\nblkid_rc=2\nblkid=\nluks=no\nzero_start=yes\n`);
  test("filesystem: a blank disk → mkfs behind the guard; the declared filesystem there → nothing to do", () => {
    const p = plan("filesystem", { volume: "code" }, [resolved, blank("/dev/loop7")]);
    expect(p.msg).toBe("make ext4 on /dev/loop7 (volume code)");
    expect((p.apply![0] as { script: string }).script).toMatch(/blkid -p "\$g"[\s\S]*mkfs\.ext4 -q "\$g"$/);
    expect(plan("filesystem", { volume: "code" }, [resolved, sh("dev=/dev/loop7\nblkid_rc=0\nblkid=UUID=1234 TYPE=ext4 \nluks=no\nzero_start=no\n")])).toMatchObject({ status: "ok" });
  });
  test("filesystem: something else on the disk → refused, nothing planned", () => {
    const p = plan("filesystem", { volume: "code" }, [resolved, sh("dev=/dev/loop7\nblkid_rc=0\nblkid=UUID=1 TYPE=xfs \nwipefs=0x0,1,,xfs\nluks=no\nzero_start=no\n")]);
    expect(p.status).toBe("failed");
    expect(p.msg).toMatch(/^refusing to make ext4 on \/dev\/loop7 \(volume code\): it is not empty/);
    expect(p.apply).toBeUndefined();
  });
  test("mount: a blank disk → failed, pending 'mount after its filesystem is made'", () => {
    const p = plan("mount", { volume: "code" }, [resolved, blank("/dev/loop7"), sh(""), absent, absent, sh("")]);
    expect(p).toMatchObject({ status: "failed", pending: "mount /code after its filesystem is made (ext4 on /dev/loop7)" });
  });
  test("luks: a blank disk → luksFormat (key on stdin) + crypttab; a disk found twice → the host stops", () => {
    const p = plan("luks", { volume: "data", passphrase: "hunter2hunter2" }, [resolved, sh("dev=/dev/loop8\nblkid_rc=2\nblkid=\nluks=no\nzero_start=yes\ndm_control=yes\ndm_misc=yes\n"), sh("", 3), absent]);
    expect(p.status).toBe("changed");
    expect(p.apply![0]).toMatchObject({ op: "sh", stdin: b64("hunter2hunter2") });
    expect((p.apply![0] as { script: string }).script).not.toContain("hunter2");
    expect(p.apply![1]).toMatchObject({ op: "write", path: "/etc/crypttab" });
    const twice = plan("luks", { volume: "data", passphrase: "hunter2hunter2" }, [sh("R code /dev/loop7\nR data /dev/loop7\n"), blank("/dev/loop7"), sh("", 3), absent]);
    expect(twice.msg).toMatch(/volumes code and data resolve to the same disk \/dev\/loop7/);
  });
});

describe("health gates (wait_for, http_check, uri): never a change; --check does not wait", () => {
  const answer = (j: object) => sh(JSON.stringify(j) + "\n");
  test("wait_for: one python3 probe with its arguments on stdin (nothing but `python3 -` on the command line); ok or failed", () => {
    const m = modules.wait_for;
    const t = prepareTask(m, m.args.parse({ port: 8080, timeout: 10 }), ctx());
    const [op] = probeOps(t);
    expect(op).toMatchObject({ op: "sh", script: "python3 -" });
    const program = Buffer.from((op as { stdin: string }).stdin, "base64").toString();
    expect(JSON.parse(Buffer.from(/^ARGS = "([^"]+)"/.exec(program)![1], "base64").toString())).toEqual({ kind: "tcp", host: "127.0.0.1", port: 8080, state: "started", delay: 0, timeout: 10 });
    expect(plan("wait_for", { port: 8080 }, [answer({ passed: true, tries: 2, detail: "port open" })])).toEqual({ status: "ok", msg: "healthy: 127.0.0.1:8080 open (2 tries)" });
    expect(plan("wait_for", { port: 8080, state: "stopped", timeout: 5 }, [answer({ passed: false, tries: 5, detail: "port open" })]).msg).toBe("health check failed: expected 127.0.0.1:8080 closed; after 5 tries (5s): port open");
  });
  test("http_check / uri: status and body; the check's own failure to run is a failure; --check says what it would check", () => {
    const args = { path: "/ping", port: 8080, body: "pong" };
    expect(plan("http_check", args, [answer({ passed: true, tries: 1, status: 200, detail: "pong" })]).msg).toBe('healthy: http://127.0.0.1:8080/ping answers 200, body holds "pong" (1 try)');
    expect(plan("uri", { url: "https://127.0.0.1/ping", status: [200, 204] }, [answer({ passed: false, tries: 6, status: 502, detail: "Bad Gateway" })]).msg).toBe(
      "health check failed: expected https://127.0.0.1/ping answers 200 or 204; after 6 tries: status 502: Bad Gateway",
    );
    expect(plan("http_check", args, [sh("", 127, "python3: not found")]).msg).toBe("http_check on the host: the check did not run (rc 127): python3: not found");
    expect(plan("http_check", args, [], { check: true })).toEqual({ status: "skipped", msg: '--check: would check http://127.0.0.1:8080/ping answers 200, body holds "pong"' });
    expect(plan("http_check", { ...args, from: "controller" }, [])).toMatchObject({ status: "failed" }); // from the controller: the executor checks, never the host
    expect(() => modules.http_check.args.parse({ url: "https://x/", path: "/y" })).toThrow("expected url, or path/port/scheme: not both");
  });
});

test("every registered module has a plan test in this file", () => {
  const src = require("fs").readFileSync(__filename, "utf8") as string;
  const missing = Object.keys(modules).filter((m) => !new RegExp(`plan\\("${m}"`).test(src));
  expect(missing).toEqual([]);
});
