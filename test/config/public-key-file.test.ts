/**
 * keyPair.publicKeyFile (staging's ~/.ssh/id_ed25519.pub) checked by `validate` before
 * Terraform's file() would fail on it: one line at the field, with a throwaway HOME. The real
 * bin/multitier.js for the missing key (exit 1, nothing handed to terraform; --no-terraform does
 * not look at the key: it is only Terraform's to read), the checker alone for the other cases.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkEnvironment } from "../../config/load";
import { expandHome, publicKeyFileErrors } from "../../config/public-key-file";
import { YamlSource } from "../../config/yamlsource";

const ROOT = path.join(__dirname, "..", "..");
let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "mt-home-"));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const staging = () => {
  const source = YamlSource.read(path.join(ROOT, "hosts", "staging.yaml"));
  const { env, errors } = checkEnvironment(source);
  if (!env) throw new Error(errors.map((e) => e.message).join("\n"));
  return { source, env };
};
const where = () => {
  const lines = fs.readFileSync(path.join(ROOT, "hosts", "staging.yaml"), "utf8").split("\n");
  const line = lines.findIndex((l) => l.includes("publicKeyFile:"));
  return `hosts/staging.yaml:${line + 1}:${lines[line].indexOf("~") + 1}`;
};

test("validate: a missing key is one line at the field, exit 1, and terraform is not run on that stack", () => {
  const r = spawnSync(path.join(ROOT, "bin", "multitier.js"), ["validate", "--env", "staging"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, HOME: home } });
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split("\n")).toEqual([
    `${where()} keyPair.publicKeyFile: ~/.ssh/id_ed25519.pub (${home}/.ssh/id_ed25519.pub) does not exist (expected a readable public key file, e.g. from ssh-keygen -t ed25519; or name an existing key pair with keyPair.name)`,
  ]);
  expect(r.stdout).not.toMatch(/terraform validate/);
});

test("validate --no-terraform does not look at the key (the file is Terraform's to read)", () => {
  const r = spawnSync(path.join(ROOT, "bin", "multitier.js"), ["validate", "--env", "staging", "--no-terraform"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, HOME: home } });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
});

test("a readable key under $HOME: no error; a directory in its place: one line", () => {
  const { source, env } = staging();
  fs.mkdirSync(path.join(home, ".ssh"));
  const key = path.join(home, ".ssh", "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  expect(publicKeyFileErrors(source, env, home)).toEqual([]);
  fs.rmSync(`${key}.pub`);
  fs.mkdirSync(`${key}.pub`);
  expect(publicKeyFileErrors(source, env, home).map((e) => e.message)).toEqual([expect.stringMatching(/keyPair\.publicKeyFile: ~\/\.ssh\/id_ed25519\.pub \(.*\) is not a file \(expected a readable public key file/)]);
});

test("~/ is expanded from HOME as Terraform's pathexpand does; an absolute path is left alone", () => {
  expect(expandHome("~/.ssh/k.pub", "/home/op")).toBe("/home/op/.ssh/k.pub");
  expect(expandHome("/etc/k.pub", "/home/op")).toBe("/etc/k.pub");
});
