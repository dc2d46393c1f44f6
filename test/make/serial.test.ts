/**
 * `SERIAL=` reaches the CLI as `--serial <value>` (one argument, whatever it holds) on
 * deploy-<service> and restart-<service>, and `make help` says so. The real make runs each
 * target with MULTITIER pointed at a script that prints its argv.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
let dir: string;
let argvScript: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-make-serial-"));
  argvScript = path.join(dir, "argv.sh");
  fs.writeFileSync(argvScript, "#!/bin/sh\nfor a; do printf '%s\\0' \"$a\"; done\n", { mode: 0o755 });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function make(args: string[]): { argv: string[]; stdout: string; code: number | null } {
  const r = spawnSync("make", ["--no-print-directory", "-s", ...args, "ENV=production", `MULTITIER=${argvScript}`], { cwd: ROOT, encoding: "utf8" });
  expect(r.stderr).toBe("");
  return { argv: r.stdout.split("\0").slice(0, -1), stdout: r.stdout, code: r.status };
}

test.each([
  ["deploy-webapp", ["deploy", "webapp"]],
  ["restart-webapp", ["restart", "webapp"]],
  ["deploy-all", ["deploy", "all"]],
])("make %s SERIAL=… passes --serial with the value as one argument", (target, head) => {
  const { argv, code } = make([target, "SERIAL=1,50%"]);
  expect(code).toBe(0);
  expect(argv.slice(0, head.length)).toEqual(head);
  const i = argv.indexOf("--serial");
  expect(argv[i + 1]).toBe("1,50%");
  expect(make([target]).argv).not.toContain("--serial");
});

test("make help names SERIAL= for deploy and says restart rolls", () => {
  const { stdout } = make(["help"]);
  expect(stdout).toMatch(/deploy-webapp\s+apply playbooks\/webapp\.yml .*SERIAL=/);
  expect(stdout).toMatch(/restart-webapp\s+restart the webapp tier's services \(rolling where the playbook says serial; SERIAL= overrides\)/);
});
