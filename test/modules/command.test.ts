/**
 * command and shell against the real agent in a temp dir: guards (creates, removes, unless),
 * "would run" under --check, stdin as the only place for secrets, argv quoting of `command`,
 * running as another user, failures, argument errors.
 */
import * as fs from "fs";
import * as path from "path";
import { command, shell } from "../../runner/modules/command";
import type { ShResult } from "../../runner/agent/protocol";
import { shOps, startHost, treeDigest, type TestHost } from "./harness";

let host: TestHost;
beforeAll(async () => {
  host = await startHost();
});
afterAll(() => host.close());

describe("command", () => {
  test("creates: runs once, then nothing to do (X exists)", async () => {
    const made = path.join(host.dir, "made");
    const r = await host.run(command, { cmd: `touch ${made}`, creates: made });
    expect(r.plan).toMatchObject({ status: "changed", msg: `ran: touch ${made}` });
    expect(r.problem).toBeUndefined();
    expect(fs.existsSync(made)).toBe(true);
    expect(r.second).toMatchObject({ status: "ok", msg: `nothing to do (${made} exists)` });
    expect(r.probe).toEqual([{ op: "stat", path: made }]);
  });

  test("--check: would run, runs nothing", async () => {
    const before = treeDigest(host.dir);
    const target = path.join(host.dir, "not-yet");
    const r = await host.run(command, { cmd: `touch ${target}`, creates: target }, { check: true });
    expect(r.plan).toMatchObject({ status: "changed", msg: `would run: touch ${target}` });
    expect(r.applied).toBeUndefined();
    expect(treeDigest(host.dir)).toBe(before);
  });

  test("removes: nothing to do when the path is absent, runs when it is there", async () => {
    const made = path.join(host.dir, "made");
    const r = await host.run(command, { cmd: `rm ${made}`, removes: made });
    expect(r.plan.status).toBe("changed");
    expect(fs.existsSync(made)).toBe(false);
    expect(r.second).toMatchObject({ status: "ok", msg: `nothing to do (${made} does not exist)` });
  });

  test("each word is one argument, quoted: = , @ : are plain characters", async () => {
    const odd = path.join(host.dir, "k=v,x@y:z");
    const r = await host.run(command, { cmd: `mkdir -p ${odd}` });
    expect(r.problem).toBeUndefined();
    expect(fs.statSync(odd).isDirectory()).toBe(true);
    expect(shOps(r.plan)[0].script).toBe(`'mkdir' '-p' '${odd}'`);
  });

  test("a failing program fails the task with its exit code and output", async () => {
    const r = await host.run(command, { cmd: `ls ${path.join(host.dir, "no-such-thing")}` });
    expect(r.plan.status).toBe("changed");
    expect(r.problem).toMatch(/^command failed \(rc 2\): ls: cannot access/);
  });

  test("shell syntax is refused (it would not mean what it says once quoted)", () => {
    for (const cmd of ["echo hi > /tmp/x", "ls | wc -l", "echo $HOME", "echo 'quoted'", "ls *.txt", "a && b", "cd ~", "echo `id`", "a; b"])
      expect(() => host.parse(command, { cmd })).toThrow(/^command\.cmd: shell syntax in a command .*use the shell module$/);
    expect(host.parse(command, { cmd: "python3 -m pip install --index-url=https://x.example/simple pkg==1.0" }).cmd).toContain("pkg==1.0");
  });
});

describe("shell", () => {
  test("unless: nothing to do when the check exits 0; the check runs in chdir as the probe", async () => {
    const log = path.join(host.dir, "shell.log");
    const args = { cmd: "echo ran >> shell.log", chdir: host.dir, unless: "grep -q ran shell.log" };
    const r = await host.run(shell, args);
    expect(r.plan).toMatchObject({ status: "changed", msg: "ran: echo ran >> shell.log" });
    expect(fs.readFileSync(log, "utf8")).toBe("ran\n");
    expect(r.second).toMatchObject({ status: "ok", msg: "nothing to do (unless: grep -q ran shell.log succeeded)" });
    expect(r.probe).toEqual([{ op: "sh", script: "grep -q ran shell.log", cwd: host.dir, user: undefined }]);
  });

  test("stdin carries the secret; the script never does", async () => {
    const secret = "s3cret-admin-pass-42";
    host.secrets.add(secret);
    const out = path.join(host.dir, "from-stdin");
    const r = await host.run(shell, { cmd: `umask 077; cat > ${out}`, stdin: "{{password}}\n" }, { vars: { password: secret } });
    expect(r.problem).toBeUndefined();
    expect(fs.readFileSync(out, "utf8")).toBe(`${secret}\n`);
    const [op] = shOps(r.plan);
    expect(op.stdin).toBe(`${secret}\n`);
    expect(op.script).not.toContain(secret);
  });

  test("stdinTemplate: a template rendered into stdin", async () => {
    fs.writeFileSync(path.join(host.templates, "stdin.hbs"), "user={{u}}\n");
    const r = await host.run(shell, { cmd: "cat", stdinTemplate: "stdin.hbs" }, { vars: { u: "app" } });
    expect((r.applied![0] as unknown as ShResult).stdout).toBe("user=app\n");
  });

  test("a secret in cmd or unless fails before anything is sent", () => {
    const secret = "another-secret-value";
    host.secrets.add(secret);
    const probe = (raw: unknown) => {
      const t = host.prepare(shell, raw);
      return () => shell.probe(t.args, t.ctx, t.prepared);
    };
    expect(probe({ cmd: `echo ${secret} | chpasswd` })).toThrow(/^cmd contains a secret value; secrets go on stdin/);
    expect(probe({ cmd: "true", unless: `test x = ${secret}` })).toThrow(/^unless contains a secret value/);
  });

  // switching user needs root: as another user this case cannot run here
  const asRoot = process.getuid?.() === 0 ? test : test.skip;
  if (process.getuid?.() !== 0) console.log("skipping shell user: (needs root)");
  asRoot("user: runs as that user", async () => {
    const r = await host.run(shell, { cmd: "id -un", user: "nobody" });
    expect(r.problem).toBeUndefined();
    expect((r.applied![0] as unknown as ShResult).stdout.trim()).toBe("nobody");
  });

  test("a multi-line script is one op; its message shows the first line", async () => {
    const r = await host.run(shell, { cmd: `set -e\ncd ${host.dir}\necho two > two.txt\n` });
    expect(r.plan.msg).toBe("ran: set -e …");
    expect(fs.readFileSync(path.join(host.dir, "two.txt"), "utf8")).toBe("two\n");
  });

  test("argument errors name the field", () => {
    expect(() => host.parse(shell, { cmd: "x", stdin: "a", stdinTemplate: "b" })).toThrow(/^shell\.stdinTemplate: expected stdin or stdinTemplate, not both$/);
    expect(() => host.parse(shell, { cmd: "x", creates: "relative" })).toThrow(/^shell\.creates: expected an absolute path$/);
    expect(() => host.parse(shell, { cmd: "x", user: "Bad User" })).toThrow(/^shell\.user: expected a user name$/);
    expect(() => host.parse(shell, { command: "x" })).toThrow(/^shell\.cmd: Required$/);
    expect(() => host.parse(shell, { cmd: "x", become: true })).toThrow(/Unrecognized key\(s\) in object: 'become'/);
  });
});
