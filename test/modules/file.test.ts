/**
 * file against the real agent in a temp dir: directories, touch, links, absent, attributes,
 * recurse; each change followed by a second run that must be "nothing to do"; --check
 * changes nothing; awkward names (spaces, quotes, $) are quoted, never interpreted.
 */
import * as fs from "fs";
import * as path from "path";
import { file } from "../../runner/modules/file";
import { startHost, treeDigest, type TestHost } from "./harness";

let host: TestHost;
beforeAll(async () => {
  host = await startHost();
});
afterAll(() => host.close());

const asRoot = process.getuid?.() === 0 ? test : test.skip;
if (process.getuid?.() !== 0) console.log("skipping file owner cases: chown needs root");
const mode = (p: string) => fs.lstatSync(p).mode & 0o7777;
const uidOf = (name: string) => Number(new RegExp(`^${name}:[^:]*:(\\d+):`, "m").exec(fs.readFileSync("/etc/passwd", "utf8"))![1]);

describe("file", () => {
  test("directory: created with its mode (parents too), then nothing to do", async () => {
    const d = path.join(host.dir, "srv", "app", "data");
    const r = await host.run(file, { path: d, state: "directory", mode: "0750" });
    expect(r.plan).toMatchObject({ status: "changed", msg: `create directory ${d}` });
    expect(r.problem).toBeUndefined();
    expect(fs.statSync(d).isDirectory()).toBe(true);
    expect(mode(d)).toBe(0o750);
    expect(r.second).toMatchObject({ status: "ok", msg: "nothing to do" });
    // probe = one lstat; apply = one agent op, done without starting a process on the host
    expect(r.probe).toEqual([{ op: "stat", path: d }]);
    expect(r.plan.apply).toEqual([{ op: "path", path: d, state: "directory", mode: "0750", recurse: false }]);
  });

  test("directory: a different mode is fixed, and says from what to what", async () => {
    const d = path.join(host.dir, "srv", "app", "data");
    const r = await host.run(file, { path: d, state: "directory", mode: "0755" });
    expect(r.plan.msg).toBe(`${d}: mode 0750 → 0755`);
    expect(mode(d)).toBe(0o755);
    expect(r.second?.status).toBe("ok");
  });

  test("--check: reports, changes nothing", async () => {
    const before = treeDigest(host.dir);
    const d = path.join(host.dir, "srv", "app", "data");
    for (const args of [
      { path: path.join(host.dir, "new-dir"), state: "directory" },
      { path: d, state: "directory", mode: "0700" },
      { path: path.join(host.dir, "srv"), state: "absent" },
      { path: path.join(host.dir, "new-link"), state: "link", src: "/etc/hostname" },
      { path: path.join(host.dir, "new-file"), state: "touch" },
    ]) {
      const r = await host.run(file, args, { check: true });
      expect(r.plan.status).toBe("changed");
      expect(r.applied).toBeUndefined();
    }
    expect(treeDigest(host.dir)).toBe(before);
  });

  test("touch creates a missing file once; state file only fixes attributes of an existing file", async () => {
    const f = path.join(host.dir, "srv", "flag");
    const r = await host.run(file, { path: f, state: "touch", mode: "0600" });
    expect(r.plan.msg).toBe(`create ${f}`);
    expect(mode(f)).toBe(0o600);
    const mtime = fs.statSync(f).mtimeMs;
    expect(r.second?.status).toBe("ok");
    const again = await host.run(file, { path: f, state: "touch", mode: "0600" });
    expect(again.plan.status).toBe("ok");
    expect(fs.statSync(f).mtimeMs).toBe(mtime); // touch stays idempotent: no new mtime
    const fix = await host.run(file, { path: f, mode: "0644" });
    expect(fix.plan.msg).toBe(`${f}: mode 0600 → 0644`);
    const missing = await host.run(file, { path: path.join(host.dir, "nope"), mode: "0644" });
    expect(missing.plan).toMatchObject({ status: "failed", msg: `${path.join(host.dir, "nope")} does not exist (use state: touch to create it)` });
  });

  test("link: created, nothing to do when right, retargeted when wrong; a file in the way fails", async () => {
    const l = path.join(host.dir, "srv", "current");
    const r = await host.run(file, { path: l, state: "link", src: "app" });
    expect(r.plan.msg).toBe(`link ${l} → app`);
    expect(fs.readlinkSync(l)).toBe("app");
    expect(r.second?.status).toBe("ok");
    const moved = await host.run(file, { path: l, state: "link", src: "app/data" });
    expect(moved.plan.msg).toBe(`link ${l}: app → app/data`);
    expect(fs.readlinkSync(l)).toBe("app/data");
    // the old target (a directory) was not entered: ln -sfn replaced the link itself
    expect(fs.existsSync(path.join(host.dir, "srv", "app", "app"))).toBe(false);
    const blocked = await host.run(file, { path: path.join(host.dir, "srv", "flag"), state: "link", src: "app" });
    expect(blocked.plan).toMatchObject({ status: "failed" });
    expect(blocked.plan.msg).toMatch(/exists and is a file; remove it first/);
  });

  test("names with spaces, quotes and $ are quoted, never interpreted", async () => {
    const d = path.join(host.dir, `it's a "dir" $HOME; touch pwned`);
    const r = await host.run(file, { path: d, state: "directory", mode: "0700" });
    expect(r.problem).toBeUndefined();
    expect(fs.statSync(d).isDirectory()).toBe(true);
    expect(fs.existsSync(path.join(host.dir, "pwned"))).toBe(false);
    expect(fs.existsSync("pwned")).toBe(false);
    const gone = await host.run(file, { path: d, state: "absent" });
    expect(gone.problem).toBeUndefined();
    expect(fs.existsSync(d)).toBe(false);
  });

  asRoot("owner/group, and recurse: everything below, links get owner but never a mode", async () => {
    const top = path.join(host.dir, "tree");
    fs.mkdirSync(path.join(top, "a", "b"), { recursive: true });
    fs.writeFileSync(path.join(top, "a", "b", "f.txt"), "x");
    fs.symlinkSync("/etc/hostname", path.join(top, "a", "link"));
    const args = { path: top, state: "directory", owner: "nobody", group: "nogroup", mode: "0750", recurse: true };
    const before = treeDigest(host.dir);
    const check = await host.run(file, args, { check: true });
    expect(check.plan.status).toBe("changed");
    expect(treeDigest(host.dir)).toBe(before);
    const r = await host.run(file, args);
    expect(r.problem).toBeUndefined();
    expect(r.plan.msg).toContain("owner → nobody");
    expect(r.plan.msg).toContain("below:");
    for (const p of ["", "a", "a/b", "a/b/f.txt"]) {
      expect(fs.statSync(path.join(top, p)).uid).toBe(uidOf("nobody"));
      expect(mode(path.join(top, p))).toBe(0o750);
    }
    expect(fs.lstatSync(path.join(top, "a", "link")).uid).toBe(uidOf("nobody"));
    expect(fs.lstatSync(path.join(top, "a", "link")).isSymbolicLink()).toBe(true);
    expect(fs.statSync("/etc/hostname").uid).toBe(0); // the link's target was not touched
    expect(r.second).toMatchObject({ status: "ok", msg: "nothing to do" });
    // one file below drifts: the top is right, recurse still finds it
    fs.chownSync(path.join(top, "a", "b", "f.txt"), 0, 0);
    const drift = await host.run(file, args);
    expect(drift.plan.status).toBe("changed");
    expect(drift.plan.msg).toContain(`below: ${path.join(top, "a", "b", "f.txt")}`);
    expect(fs.statSync(path.join(top, "a", "b", "f.txt")).uid).toBe(uidOf("nobody"));
    expect(drift.second?.status).toBe("ok");
    // without recurse, only the top counts
    fs.chownSync(path.join(top, "a"), 0, 0);
    const flat = await host.run(file, { ...args, recurse: false });
    expect(flat.plan.status).toBe("ok");
  });

  test("an unknown owner or group fails in the host's words, before anything is created", async () => {
    const d = path.join(host.dir, "owned-by-nobody-known");
    const r = await host.run(file, { path: d, state: "directory", owner: "no-such-user-mt" });
    expect(r.problem).toBe("no such user: no-such-user-mt");
    expect(fs.existsSync(d)).toBe(false);
    const g = await host.run(file, { path: d, state: "touch", group: "no-such-group-mt" });
    expect(g.problem).toBe("no such group: no-such-group-mt");
    expect(fs.existsSync(d)).toBe(false);
  });

  test("absent removes a tree, then nothing to do", async () => {
    const d = path.join(host.dir, "srv");
    const r = await host.run(file, { path: d, state: "absent" });
    expect(r.plan.msg).toBe(`remove ${d} (directory, recursively)`);
    expect(fs.existsSync(d)).toBe(false);
    expect(r.second).toMatchObject({ status: "ok", msg: "nothing to do (absent)" });
  });

  test("a file where a directory is wanted fails", async () => {
    const f = path.join(host.dir, "plain");
    fs.writeFileSync(f, "");
    const r = await host.run(file, { path: f, state: "directory" });
    expect(r.plan).toMatchObject({ status: "failed", msg: `${f} exists and is a file, not a directory` });
  });

  test("argument errors name the field", () => {
    expect(() => host.parse(file, { path: "/x", state: "link" })).toThrow(/^file\.src: state: link needs src/);
    expect(() => host.parse(file, { path: "/x", state: "directory", src: "/y" })).toThrow(/^file\.src: src is the target of a link/);
    expect(() => host.parse(file, { path: "/x", state: "file", recurse: true, owner: "a" })).toThrow(/^file\.recurse: recurse is only for state: directory$/);
    expect(() => host.parse(file, { path: "/x", state: "directory", recurse: true })).toThrow(/^file\.recurse: recurse needs owner, group or mode$/);
    expect(() => host.parse(file, { path: "/", state: "absent" })).toThrow(/^file\.path: refusing to remove \/$/);
    expect(() => host.parse(file, { path: "/x", state: "gone" })).toThrow(/^file\.state: Invalid enum value/);
    expect(() => host.parse(file, { path: "/x", state: "directory", recursive: true })).toThrow(/Unrecognized key\(s\) in object: 'recursive'/);
  });
});
