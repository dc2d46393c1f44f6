/**
 * An environment name becomes a path under hosts/ (the file, its vault, its outputs): the
 * real CLI refuses any name that is not ^[a-z][a-z0-9-]*$ — given as `--env` or as a file
 * name — with one line and exit 1, before reading anything.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
const cli = (args: string[], cwd = ROOT) =>
  spawnSync(process.execPath, [path.join(ROOT, "bin", "multitier.js"), ...args], { cwd, encoding: "utf8", env: { ...process.env, MULTITIER_VAULT_PASSWORD: "not-used" } });
const refusal = (name: string) =>
  `argument --env: expected an environment name matching ^[a-z][a-z0-9-]*$ (lower-case letters, digits, dashes; the file hosts/<name>.yaml), got ${JSON.stringify(name)}`;

describe("environment names", () => {
  test.each([
    [["validate", "--env", "../hosts/staging"], "../hosts/staging"],
    [["deploy", "webapp", "--env", "../hosts/staging"], "../hosts/staging"],
    [["vault", "view", "--env", "../../etc/passwd"], "../../etc/passwd"],
    [["ping", "--env", "Production"], "Production"],
  ])("%j: one line, exit 1, nothing read", (args, name) => {
    const r = cli(args as string[]);
    expect(r.stderr).toBe(`${refusal(name as string)}\n`);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(1);
  });

  test("validate refuses an environment file whose name is not an environment name", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-envname-"));
    try {
      fs.mkdirSync(path.join(dir, "hosts"));
      fs.copyFileSync(path.join(ROOT, "hosts", "staging.yaml"), path.join(dir, "hosts", "Staging_1.yaml"));
      const r = cli(["validate", "--no-terraform"], dir);
      expect(r.stderr).toBe("hosts/Staging_1.yaml: expected a file name <env>.yaml with <env> matching ^[a-z][a-z0-9-]*$ (lower-case letters, digits, dashes)\n");
      expect(r.status).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
