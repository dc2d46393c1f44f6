/**
 * The command line as an operator meets it (issues 15.4 and 20), through the real
 * bin/multitier.js in a throwaway directory: --version, each command listing only the flags it
 * honours, ping reading no vault, key files and ssh-agent checked before anything is tried,
 * tunnel's ports and its unreachable bastion, unlock with no terminal and no passphrase,
 * policy/review on a broken environment file saying what validate says, a playbook `tags: 5`,
 * and the Makefile's quoting and service targets. Every address used is 127.0.0.1 on a port
 * nothing listens on.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { writeVault } from "../../runner/secrets/vault";
import { localEnvYaml } from "../runner/local-env";

const ROOT = path.join(__dirname, "..", "..");
const CLI = path.join(ROOT, "bin", "multitier.js");

let dir: string;
let closedPort: number;
let key: string;

/** a port on 127.0.0.1 that nothing listens on (bound, then closed) */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const LUKS_VOLUME = ["    volumes:", "      - { name: data, sizeGb: 1, device: /dev/sdf, mountPoint: /data, encryption: luks }"];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-cli-"));
  closedPort = await freePort();
  for (const d of ["hosts", "playbooks", "templates", "home"]) fs.mkdirSync(path.join(dir, d));
  fs.writeFileSync(path.join(dir, "hosts", "local.yaml"), localEnvYaml(LUKS_VOLUME));
  const volumes = { data: { volumeId: "vol-0abc", device: "/dev/sdf", mountPoint: "/data", filesystem: "xfs", encryption: "luks" } };
  fs.writeFileSync(
    path.join(dir, "hosts", "local.outputs.json"),
    JSON.stringify({ inventory: { value: { bastion: { publicIp: "127.0.0.1", port: closedPort, user: "nobody" }, hosts: { "app-1": { tier: "app", privateIp: "127.0.0.1", port: closedPort, volumes } } }, type: "object", sensitive: false } }),
  );
  // a vault whose password only the runs that need it get: ping and facts must not ask for it
  writeVault(path.join(dir, "hosts", "local.vault.yml"), "app: { x: not-used }\n", "vault-pw");
  fs.writeFileSync(path.join(dir, "playbooks", "svc.yml"), "- name: svc\n  hosts: app\n  tasks:\n    - name: hello\n      show: { cmd: 'true' }\n      tags: [restart]\n");
  key = path.join(dir, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], extra: Record<string, string | undefined> = {}, input = "") {
  const env: Record<string, string | undefined> = {
    ...process.env,
    MULTITIER_HOSTS_DIR: path.join(dir, "hosts"),
    MULTITIER_PLAYBOOKS_DIR: path.join(dir, "playbooks"),
    MULTITIER_TEMPLATES_DIR: path.join(dir, "templates"),
    MULTITIER_VAULT_PASSWORD: args[0] === "ping" || args[0] === "facts" ? undefined : "vault-pw",
    MULTITIER_IDENTITY: undefined,
    SSH_AUTH_SOCK: undefined,
    HOME: path.join(dir, "home"),
    ...extra,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const r = spawnSync(CLI, args, { cwd: extra.CWD ?? ROOT, encoding: "utf8", env: env as NodeJS.ProcessEnv, input, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stderr.trim().split("\n").filter(Boolean) };
}

test("--version prints package.json's version", () => {
  const r = cli(["--version"]);
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
});

test("each command lists only the flags it honours", () => {
  const flags = (cmd: string[]) => new Set(cli([...cmd, "--help"]).stdout.match(/--[a-z-]+/g));
  for (const cmd of [["ping"], ["facts"], ["unlock", "x"]]) {
    const f = flags(cmd);
    for (const no of ["--check", "--diff", "--tags", "--skip-tags"]) expect([cmd[0], no, f.has(no)]).toEqual([cmd[0], no, false]);
    for (const yes of ["--env", "--limit", "--identity", "--accept-new-host-keys"]) expect([cmd[0], yes, f.has(yes)]).toEqual([cmd[0], yes, true]);
  }
  expect([...flags(["deploy", "x"])]).toEqual(expect.arrayContaining(["--check", "--diff", "--tags", "--skip-tags", "--forks"]));
  const restart = flags(["restart", "x"]);
  expect([restart.has("--check"), restart.has("--tags")]).toEqual([true, false]); // restart runs the `restart` tasks
  expect(cli(["ping", "--env", "local", "--check"]).lines).toEqual(["error: unknown option '--check'"]);
});

test("ping reads no vault (no password asked) and reports the unreachable host with exit 4", () => {
  const r = cli(["ping", "--env", "local", "-i", key]);
  expect(r.code).toBe(4);
  expect(r.stdout).toMatch(/^app-1\s+UNREACHABLE/m);
  expect(r.stderr).not.toMatch(/vault/i);
});

describe("key files and ssh-agent: bad input, one line, exit 1, nothing attempted", () => {
  test.each([
    ["deploy", ["deploy", "svc", "--env", "local"]],
    ["ping", ["ping", "--env", "local"]],
  ])("%s with a missing -i file", (_n, args) => {
    const r = cli([...args, "-i", path.join(dir, "no-such-key")]);
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([`argument -i: cannot read the private key file ${path.join(dir, "no-such-key")} (no such file)`]);
    expect(r.stdout).not.toMatch(/UNREACHABLE|unreachable/);
  });
  test("a key path that is a directory", () => {
    expect(cli(["deploy", "svc", "--env", "local", "-i", dir]).lines).toEqual([`argument -i: cannot read the private key file ${dir} (not a file)`]);
  });
  test("no -i, no ssh-agent, no ~/.ssh key", () => {
    const r = cli(["deploy", "svc", "--env", "local"]);
    expect(r.code).toBe(1);
    expect(r.lines).toEqual(["argument -i: no private key: expected -i <key file>, a running ssh-agent (SSH_AUTH_SOCK), or ~/.ssh/id_ed25519 or ~/.ssh/id_rsa"]);
    expect(r.stdout).toBe("");
  });
  test("SSH_AUTH_SOCK naming no socket", () => {
    const r = cli(["ping", "--env", "local"], { SSH_AUTH_SOCK: path.join(dir, "gone.sock") });
    expect([r.code, r.lines.length]).toEqual([1, 1]);
    expect(r.lines[0]).toMatch(/^argument -i: no private key: SSH_AUTH_SOCK names .*gone\.sock, which does not exist/);
  });
});

describe("tunnel", () => {
  test.each([
    ["--remote-port", "99999"],
    ["--remote-port", "http"],
    ["--local-port", "0"],
  ])("%s %s is refused before connecting", (flag, value) => {
    const r = cli(["tunnel", "app-1", "--env", "local", "-i", key, flag, value]);
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([`argument ${flag}: expected a port number from 1 to 65535, got "${value}"`]);
  });
  test("an unreachable bastion is exit 4, one line", () => {
    const r = cli(["tunnel", "app-1", "--env", "local", "-i", key, "--local-port", "1"]);
    expect(r.code).toBe(4);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^tunnel: .*(unreachable|ECONNREFUSED)/);
  });
});

test("unlock with no terminal and no passphrase: one line, exit 1, nothing opened", () => {
  const r = cli(["unlock", "svc", "--env", "local", "-i", key], { MULTITIER_NO_TTY: "1" }, "");
  expect(r.code).toBe(1);
  expect(r.stderr.replace("LUKS passphrase for the app volumes of local: ", "").trim().split("\n")).toEqual([
    "argument unlock: no terminal to ask the app LUKS passphrase of local on and no line on stdin: run it on a terminal, pipe the passphrase in, or set vars.unlockFromVault with luks.app in the vault",
  ]);
  expect(r.stdout).toBe("");
});

test("policy and review --synth-diff on a broken environment file say what validate says, with its exit code", () => {
  const cwd = fs.mkdtempSync(path.join(dir, "broken-"));
  fs.mkdirSync(path.join(cwd, "hosts"));
  fs.writeFileSync(path.join(cwd, "hosts", "staging.yaml"), localEnvYaml([], "staging").replace("instanceType: t3.micro", "instanceType: 5"));
  const over = { CWD: cwd, MULTITIER_HOSTS_DIR: undefined };
  const validate = cli(["validate"], over);
  expect(validate.code).toBe(1);
  expect(validate.lines.length).toBeGreaterThan(0);
  expect(validate.lines[0]).toMatch(/^hosts\/staging\.yaml:\d+:\d+ /);
  for (const args of [["policy"], ["review", "--synth-diff", "HEAD"]]) {
    const r = cli(args, over);
    expect([args[0], r.code, r.lines]).toEqual([args[0], validate.code, validate.lines]);
    expect(r.stderr).not.toMatch(/Command failed|main\.ts/);
  }
});

test("a playbook `tags: 5` says what was expected", () => {
  fs.writeFileSync(path.join(dir, "playbooks", "tagged.yml"), "- name: p\n  hosts: app\n  tasks:\n    - name: t\n      show: { cmd: 'true' }\n      tags: 5\n");
  const r = cli(["deploy", "tagged", "--env", "local", "-i", key]);
  expect(r.code).toBe(1);
  expect(r.lines).toEqual([`${path.join(dir, "playbooks", "tagged.yml")}:6:13 [0].tasks[0].tags: expected a tag or a list of tags (strings, e.g. [web, restart]), got 5`]);
});

describe("Makefile", () => {
  let stub: string;
  beforeAll(() => {
    stub = path.join(dir, "argv.sh");
    fs.writeFileSync(stub, '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n', { mode: 0o755 });
  });
  const make = (args: string[]) => spawnSync("make", ["-s", "-C", ROOT, ...args, `MULTITIER=${stub}`], { encoding: "utf8" });
  test(`LIMIT="web'app" reaches the command as one argument (no shell syntax error)`, () => {
    const r = make(["deploy-webapp", "LIMIT=web'app", "TAGS=a b", "ENV=x'y"]);
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")).toEqual(["deploy", "webapp", "--env", "x'y", "--limit", "web'app", "--tags", "a b", ""]);
  });
  test("deploy-_volumes is not a service: make stops with one line, the command is not run", () => {
    const r = make(["deploy-_volumes"]);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim()).toMatch(/"_volumes" is not a service: expected one of analysis database monitoring notebook webapp\.\s+Stop\.$/);
  });
  test("the CLI says the same for a task file or a path", () => {
    expect(cli(["deploy", "_volumes", "--env", "production"], { MULTITIER_HOSTS_DIR: undefined, MULTITIER_PLAYBOOKS_DIR: undefined }).lines).toEqual(['argument service: "_volumes" is not a service (playbooks/_volumes.yml holds tasks that playbooks import); services: analysis, database, monitoring, notebook, webapp']);
  });
});
