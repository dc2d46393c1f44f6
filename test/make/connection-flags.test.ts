/**
 * The Makefile's connection variables reach the CLI as the flags it has: KEY=path becomes
 * `--identity <path>` as ONE argument whatever the path holds (spaces, quotes, commas), and
 * ACCEPT_NEW_HOST_KEYS=1 becomes `--accept-new-host-keys`, on every target that connects.
 * The real make runs each target with MULTITIER pointed at a script that prints its argv.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
let dir: string;
let argvScript: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-make-"));
  argvScript = path.join(dir, "argv.sh");
  fs.writeFileSync(argvScript, "#!/bin/sh\nfor a; do printf '%s\\0' \"$a\"; done\n", { mode: 0o755 });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function argvOf(target: string, vars: string[]): string[] {
  const r = spawnSync("make", ["--no-print-directory", "-s", target, "ENV=production", `MULTITIER=${argvScript}`, ...vars], { cwd: ROOT, encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout.split("\0").slice(0, -1);
}

const KEY = "/home/op/it's my key, v2";

test.each([
  ["ping", ["ping", "--env", "production"]],
  ["deploy-webapp", ["deploy", "webapp", "--env", "production"]],
  ["deploy-all", ["deploy", "all", "--env", "production"]],
  ["restart-database", ["restart", "database", "--env", "production"]],
  ["unlock-database", ["unlock", "database", "--env", "production"]],
])("make %s KEY=… ACCEPT_NEW_HOST_KEYS=1 passes --identity and --accept-new-host-keys", (target, head) => {
  const argv = argvOf(target, [`KEY=${KEY}`, "ACCEPT_NEW_HOST_KEYS=1"]);
  expect(argv.slice(0, head.length)).toEqual(head);
  expect(argv.slice(head.length)).toEqual(["--identity", KEY, "--accept-new-host-keys"]);
});

test("without the variables no connection flag is passed", () => {
  expect(argvOf("ping", [])).toEqual(["ping", "--env", "production"]);
});

test("make tunnel-notebook KEY=… passes --identity (tunnel has no --accept-new-host-keys)", () => {
  expect(argvOf("tunnel-notebook", [`KEY=${KEY}`, "ACCEPT_NEW_HOST_KEYS=1"])).toEqual(["tunnel", "notebook", "--env", "production", "--remote-port", "8888", "--identity", KEY]);
});

test("the CLI has those flags on each of these commands (its own --help)", () => {
  for (const [command, flags] of [
    ["ping", ["--identity <file>", "--accept-new-host-keys"]],
    ["deploy", ["--identity <file>", "--accept-new-host-keys"]],
    ["unlock", ["--identity <file>", "--accept-new-host-keys"]],
    ["tunnel", ["--identity <file>"]],
  ] as const) {
    const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "multitier.js"), command, "--help"], { cwd: ROOT, encoding: "utf8" });
    for (const f of flags) expect([command, r.stdout.includes(f)]).toEqual([command, true]);
  }
}, 60_000);
