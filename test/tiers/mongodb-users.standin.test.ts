/**
 * templates/mongodb-users.js.hbs, rendered as a deploy renders it, run through a mongosh stub
 * against a STAND-IN MongoDB server (test/tiers/mongodb-standin.ts: the documented
 * localhost-exception and authentication rules, nothing more — no MongoDB can be installed
 * here). Scenarios: a fresh server, a re-run, passwords changed in the vault, the admin's
 * password rotated, and a server whose admin password the vault does not know. Also: the
 * playbook runs the script from a root-only file, never with a secret on a command line.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { render } from "../../runner/template";
import { loadPlaybook } from "../../runner/playbook";
import { MongodStandin, runMongosh } from "./mongodb-standin";
import { productionInventory, ROOT, TEST_VAULT, varsFor } from "./render";

const inv = productionInventory();
const USERS = { admin: "admin", readwrite: "emission_rw", readonly: "emission_ro" }; // hosts/production.yaml

function script(mongodb: Record<string, string>): string {
  const vars = { ...varsFor(inv, "database"), vault: { ...TEST_VAULT, mongodb } };
  return render({ file: "mongodb-users.js.hbs" }, vars);
}

const V1 = { ...TEST_VAULT.mongodb };
const V2 = { admin: V1.admin, readwrite: "rw-rotated \"quoted\" \\ pw", readonly: "ro-rotated-2" };

function expectUsers(server: MongodStandin, v: Record<string, string>) {
  expect(server.accepts(USERS.admin, v.admin)).toBe(true);
  expect(server.accepts(USERS.readwrite, v.readwrite)).toBe(true);
  expect(server.accepts(USERS.readonly, v.readonly)).toBe(true);
  expect(server.users.get("admin.emission_rw")?.roles).toEqual([{ role: "readWrite", db: "Stage_database" }]);
  expect(server.users.get("admin.emission_ro")?.roles).toEqual([{ role: "read", db: "Stage_database" }]);
  expect(server.users.get("admin.admin")?.roles).toEqual([{ role: "root", db: "admin" }]);
}

describe("mongodb users script against a MongoDB stand-in (documented localhost-exception and auth rules)", () => {
  test("fresh server: the admin is created first through the localhost exception, then the others authenticated", () => {
    const server = new MongodStandin();
    const r = runMongosh(script(V1), server.connect());
    expect(r).toEqual({ code: 0, out: ["mongodb users: created admin (localhost exception) and authenticated, created emission_rw, created emission_ro, updated admin"] });
    expectUsers(server, V1);
    // the only command that ran unauthenticated and succeeded is the first createUser
    const unauthenticated = server.log.filter((l) => !l.as && l.ok);
    expect(unauthenticated.map((l) => l.command)).toEqual(["createUser", "authenticate"]);
  });

  test("re-run: authenticates first, changes nothing, no usersInfo/getUser without auth", () => {
    const server = new MongodStandin();
    expect(runMongosh(script(V1), server.connect()).code).toBe(0);
    server.log.length = 0;
    const r = runMongosh(script(V1), server.connect());
    expect(r.code).toBe(0);
    expect(r.out).toEqual(["mongodb users: authenticated as admin, updated emission_rw, updated emission_ro, updated admin"]);
    expect(server.log[0]).toEqual({ command: "authenticate", db: "admin", as: undefined, ok: true });
    expect(server.log.filter((l) => l.command !== "authenticate").every((l) => l.as === "admin.admin")).toBe(true);
    expectUsers(server, V1);
  });

  test("passwords changed in the vault: the new ones work, the old ones no longer", () => {
    const server = new MongodStandin();
    runMongosh(script(V1), server.connect());
    const r = runMongosh(script(V2), server.connect());
    expect(r.code).toBe(0);
    expectUsers(server, V2);
    expect(server.accepts(USERS.readwrite, V1.readwrite)).toBe(false);
    expect(server.accepts(USERS.readonly, V1.readonly)).toBe(false);
  });

  test("admin password rotated with mongodb.adminPrevious: authenticates with the old, sets the new", () => {
    const server = new MongodStandin();
    runMongosh(script(V1), server.connect());
    const rotated = { ...V1, admin: "new-admin-pw-42", adminPrevious: V1.admin };
    const r = runMongosh(script(rotated), server.connect());
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^mongodb users: authenticated as admin with mongodb\.adminPrevious \(rotating its password\), /);
    expectUsers(server, rotated);
    expect(server.accepts(USERS.admin, V1.admin)).toBe(false);
    // once adminPrevious is deleted from the vault, the next run authenticates with the new one
    expect(runMongosh(script({ ...V1, admin: "new-admin-pw-42" }), server.connect()).out[0]).toMatch(/^mongodb users: authenticated as admin, /);
  });

  test("admin password changed in the vault without adminPrevious: one line, exit 1, nothing changed", () => {
    const server = new MongodStandin();
    runMongosh(script(V1), server.connect());
    const before = JSON.stringify([...server.users]);
    const r = runMongosh(script({ ...V2, admin: "not-what-the-server-has" }), server.connect());
    expect(r.code).toBe(1);
    expect(r.out).toEqual([
      "mongodb users: FAILED: the server already has users and admin does not accept the vault's mongodb.admin password: put the password the server has under mongodb.adminPrevious in the vault and deploy again",
    ]);
    expect(JSON.stringify([...server.users])).toBe(before);
    expect(r.out.join("\n")).not.toContain("not-what-the-server-has");
  });

  test("the stand-in is strict: the previous script (getUser on an unauthenticated connection) fails on a fresh server", () => {
    // the script before issue 20: auth (fails), then getUser = usersInfo, refused without auth
    const old = `const admin = db.getSiblingDB("admin");
      try { admin.auth("admin", "pw"); } catch (e) { }
      function ensure(user, pwd, roles) { if (admin.getUser(user)) admin.updateUser(user, { pwd, roles }); else admin.createUser({ user, pwd, roles }); }
      ensure("admin", "pw", [{ role: "root", db: "admin" }]);
      ensure("emission_rw", "rw", [{ role: "readWrite", db: "Stage_database" }]);`;
    const server = new MongodStandin();
    const r = runMongosh(old, server.connect());
    expect(r.code).toBe(1);
    expect(r.out).toEqual(["uncaught: Command usersInfo requires authentication"]);
    expect(server.users.size).toBe(0);
    // and without getUser, the second createUser is refused once the first user exists
    const noGet = `const a = db.getSiblingDB("admin"); a.createUser({ user: "admin", pwd: "p", roles: [] }); a.createUser({ user: "x", pwd: "p", roles: [] });`;
    expect(runMongosh(noGet, new MongodStandin().connect()).out).toEqual(["uncaught: Command createUser requires authentication"]);
    // the exception applies to localhost connections only
    expect(runMongosh(script(V1), new MongodStandin().connect(false)).out[0]).toMatch(/^mongodb users: FAILED: the server already has users/);
  });

  test("the playbook runs it from a root-only file with --file, guarded by the checksum of its last success", () => {
    const book = loadPlaybook("database", path.join(ROOT, "playbooks"));
    const tasks = book.plays[0].tasks;
    const i = tasks.findIndex((t) => t.moduleName === "template" && t.args.src === "mongodb-users.js.hbs");
    expect(i).toBeGreaterThan(-1);
    const file = tasks[i];
    expect(file.args).toMatchObject({ dest: "/etc/mongod-users.js", owner: "root", mode: "0600" });
    const run = tasks[i + 1];
    expect(run.moduleName).toBe("shell");
    expect(run.args.cmd).toMatch(/; mongosh --quiet --port \{\{mongodb\.port\}\} --file \/etc\/mongod-users\.js && .*sha256sum \/etc\/mongod-users\.js > \/etc\/mongod-users\.js\.applied$/);
    // waits for mongod with a ping, which needs no authentication (and no secret)
    expect(run.args.cmd).toMatch(/^for i in \$\(seq 30\); do mongosh --quiet --port \{\{mongodb\.port\}\} --eval 'db\.runCommand\(\{ ping: 1 \}\)\.ok'/);
    expect(run.args.unless).toBe("sha256sum --status -c /etc/mongod-users.js.applied");
    expect(run.args).not.toHaveProperty("stdin");
    expect(tasks.findIndex((t) => /mongod running/.test(t.name))).toBeLessThan(i);
  });

  test("the task's guard, with the real /bin/sh and sha256sum: runs until a success, then only when the script changes", () => {
    const book = loadPlaybook("database", path.join(ROOT, "playbooks"));
    const run = book.plays[0].tasks.find((t) => t.moduleName === "shell" && String(t.args.cmd).includes("mongod-users.js"))!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-users-"));
    try {
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin);
      // mongosh stand-in: --eval (the wait) answers; --file exits with $USERS_RC
      fs.writeFileSync(path.join(bin, "mongosh"), '#!/bin/sh\ncase "$*" in *--file*) exit "${USERS_RC:-0}";; esac\necho 1\n', { mode: 0o755 });
      const local = (s: string) => s.replaceAll("/etc/", `${dir}/`).replaceAll("{{mongodb.port}}", "27017");
      const sh = (script: string, rc = 0) => spawnSync("/bin/sh", ["-c", local(script)], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, USERS_RC: String(rc) }, encoding: "utf8" }).status;
      const unless = String(run.args.unless);
      fs.writeFileSync(path.join(dir, "mongod-users.js"), "v1");
      expect(sh(unless)).not.toBe(0); // never applied: runs
      expect(sh(String(run.args.cmd), 1)).not.toBe(0); // the script failed …
      expect(sh(unless)).not.toBe(0); // … so the next deploy runs it again
      expect(sh(String(run.args.cmd), 0)).toBe(0);
      expect(sh(unless)).toBe(0); // applied: nothing to do
      expect(fs.statSync(path.join(dir, "mongod-users.js.applied")).mode & 0o077).toBe(0);
      fs.writeFileSync(path.join(dir, "mongod-users.js"), "v2"); // a password changed in the vault
      expect(sh(unless)).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
