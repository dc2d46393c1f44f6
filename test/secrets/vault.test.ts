/**
 * Vault files with Debian's real `ansible-vault` both ways, the password rules, the masker,
 * and `multitier vault` through the real CLI.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Masker, MASK } from "../../runner/secrets/mask";
import { decryptVault, parseSecrets, readVault, vaultPassword, writeVault } from "../../runner/secrets/vault";

const ROOT = path.join(__dirname, "..", "..");
const CLI = path.join(ROOT, "bin", "multitier.js");
const hasAnsible = spawnSync("ansible-vault", ["--version"]).status === 0;
if (!hasAnsible) console.log("ansible-vault interoperability skipped: ansible-vault is not installed (Debian package ansible)");

let dir: string;
const saved = { ...process.env };
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-vault-"));
  fs.mkdirSync(path.join(dir, "hosts"));
  fs.copyFileSync(path.join(ROOT, "hosts", "lab.yaml"), path.join(dir, "hosts", "lab.yaml"));
  process.env.MULTITIER_HOSTS_DIR = path.join(dir, "hosts");
  process.env.MULTITIER_VAULT_KEY_DIR = dir;
  delete process.env.MULTITIER_VAULT_PASSWORD;
});
afterEach(() => {
  process.env = { ...saved };
  fs.rmSync(dir, { recursive: true, force: true });
});

function key(pw: string, mode = 0o600): string {
  const f = path.join(dir, "vault-key.lab");
  fs.writeFileSync(f, pw + "\n", { mode });
  fs.chmodSync(f, mode);
  return f;
}

const SECRETS = "mongodb:\n  admin: s3cret-admin-pw\n  readonly: r/o p@ss\nluks:\n  database: correct horse battery staple\n";

(hasAnsible ? test : test.skip)("a vault made by ansible-vault is read by us, and ours by ansible-vault view", () => {
  const k = key("interop-pw");
  const theirs = path.join(dir, "hosts", "lab.vault.yml");
  fs.writeFileSync(theirs, SECRETS);
  execFileSync("ansible-vault", ["encrypt", "--vault-password-file", k, theirs], { stdio: "ignore" });
  expect(fs.readFileSync(theirs, "utf8")).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
  expect(readVault("lab")).toEqual({ mongodb: { admin: "s3cret-admin-pw", readonly: "r/o p@ss" }, luks: { database: "correct horse battery staple" } });

  const ours = path.join(dir, "ours.vault.yml");
  writeVault(ours, SECRETS, "interop-pw");
  expect(execFileSync("ansible-vault", ["view", "--vault-password-file", k, ours], { encoding: "utf8" })).toBe(SECRETS);
  expect(fs.statSync(ours).mode & 0o777).toBe(0o600);
});

test("wrong password, missing key file and a 0644 key file: one clear line each", () => {
  writeVault(path.join(dir, "hosts", "lab.vault.yml"), SECRETS, "right");
  expect(() => vaultPassword("lab")).toThrow(`${dir}/vault-key.lab: vault password file not found; create it (mode 0600) or set MULTITIER_VAULT_PASSWORD`);
  key("right", 0o644);
  expect(() => vaultPassword("lab")).toThrow(`${dir}/vault-key.lab: vault password file is readable by others (mode 0644); run: chmod 600 ${dir}/vault-key.lab`);
  key("wrong");
  expect(() => readVault("lab")).toThrow(`${process.env.MULTITIER_HOSTS_DIR}/lab.vault.yml: wrong vault password (integrity check failed)`);
  key("right");
  expect(readVault("lab")).toBeDefined();
});

test("a YAML error in the decrypted text names the position, not the value", () => {
  expect(() => parseSecrets("hosts/lab.vault.yml", "a: 1\nb: [unclosed secret-value\n")).toThrow(/^hosts\/lab\.vault\.yml \(decrypted\):3:1: invalid YAML$/);
});

test("the masker hides plain, URL-encoded, base64 and multi-line forms, never short values", () => {
  const m = new Masker();
  m.addAll({ a: "s3cret-admin-pw", b: "r/o p@ss", short: "abc", n: 12, pem: "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----" });
  expect(m.mask("pw=s3cret-admin-pw end")).toBe(`pw=${MASK} end`);
  expect(m.mask(`mongodb://ro:${encodeURIComponent("r/o p@ss")}@db:27017/`)).toBe(`mongodb://ro:${MASK}@db:27017/`);
  expect(m.mask(Buffer.from("s3cret-admin-pw").toString("base64"))).toBe(MASK);
  expect(m.mask("+MIIEvQIBADANBgkqhkiG9w0BAQEFAASC")).toBe(`+${MASK}`);
  expect(m.mask("abc and 12 stay")).toBe("abc and 12 stay");
  expect(m.isSecret("echo s3cret-admin-pw")).toBe(true);
  expect(m.isSecret("echo hello")).toBe(false);
});

describe("multitier vault (real CLI)", () => {
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(CLI, args, { cwd: dir, encoding: "utf8", env: { ...process.env, MULTITIER_HOSTS_DIR: "hosts", MULTITIER_VAULT_KEY_DIR: ".", ...env } });

  test("create writes an encrypted 0600 file with every secret, refuses to overwrite; view shows it", () => {
    key("cli-pw");
    const c = cli(["vault", "create", "--env", "lab"]);
    expect(c.status).toBe(0);
    const file = path.join(dir, "hosts", "lab.vault.yml");
    expect(fs.readFileSync(file, "utf8")).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const secrets = parseSecrets(file, decryptVault(file, "cli-pw")) as any;
    expect(Object.keys(secrets.luks).sort()).toEqual(["analysis", "database", "monitoring", "notebook", "webapp"]);
    expect(secrets.monitoring).toBeUndefined(); // the lab alerts to a webhook: no SMTP credentials
    expect(secrets.mongodb.readwrite).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(secrets.tls.cert).toContain("BEGIN CERTIFICATE");
    const again = cli(["vault", "create", "--env", "lab"]);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe("hosts/lab.vault.yml: already exists; use `multitier vault edit` (nothing was overwritten)\n");
    const view = cli(["vault", "view", "--env", "lab"]);
    expect(view.stdout).toContain(secrets.mongodb.admin);
  });

  test("edit runs $EDITOR on a private copy and re-encrypts; the temp dir is gone", () => {
    key("cli-pw");
    writeVault(path.join(dir, "hosts", "lab.vault.yml"), SECRETS, "cli-pw");
    const editor = path.join(dir, "editor.sh");
    fs.writeFileSync(editor, `#!/bin/sh\nls -ld "$(dirname "$1")" | cut -c1-10 > ${dir}/perm\nsed -i 's/s3cret-admin-pw/changed-admin-pw/' "$1"\n`, { mode: 0o755 });
    const r = cli(["vault", "edit", "--env", "lab"], { EDITOR: editor });
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, "perm"), "utf8").trim()).toBe("drwx------");
    expect(decryptVault(path.join(dir, "hosts", "lab.vault.yml"), "cli-pw")).toContain("admin: changed-admin-pw");
    expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("mt-vault-") && fs.existsSync(path.join(os.tmpdir(), f, "lab.vault.yml")))).toEqual([]);
  });
});
