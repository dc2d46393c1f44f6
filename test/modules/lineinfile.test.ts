/**
 * lineinfile: the new content is computed locally (editLines, tested as a pure function
 * below) from the probed content and written with one atomic write op; against the real
 * agent in a temp dir: create, replace, insert positions, absent, idempotence, --check,
 * --diff, validate keeping the old file, argument errors.
 */
import * as fs from "fs";
import * as path from "path";
import { editLines, lineinfile } from "../../runner/modules/lineinfile";
import { sha256, startHost, treeDigest, type TestHost } from "./harness";

let host: TestHost;
let conf: string;
beforeAll(async () => {
  host = await startHost();
  conf = path.join(host.dir, "sshd_config");
});
afterAll(() => host.close());

describe("editLines (pure)", () => {
  const text = "a=1\n#Port 22\nb=2\nPort 2222\nc=3\n";
  test("regexp: the LAST match is replaced", () => {
    expect(editLines(text, { line: "Port 22", regexp: "^#?Port ", state: "present" })).toBe("a=1\n#Port 22\nb=2\nPort 22\nc=3\n");
  });
  test("no match: appended at EOF, or after the last insertafter match, or before the first insertbefore match", () => {
    expect(editLines(text, { line: "x=9", regexp: "^x=", state: "present" })).toBe(text + "x=9\n");
    expect(editLines(text, { line: "x=9", state: "present", insertafter: "^[ab]=" })).toBe("a=1\n#Port 22\nb=2\nx=9\nPort 2222\nc=3\n");
    expect(editLines(text, { line: "x=9", state: "present", insertbefore: "^[bc]=" })).toBe("a=1\n#Port 22\nx=9\nb=2\nPort 2222\nc=3\n");
    expect(editLines(text, { line: "x=9", state: "present", insertbefore: "BOF" })).toBe("x=9\n" + text);
    expect(editLines(text, { line: "x=9", state: "present", insertafter: "^nomatch" })).toBe(text + "x=9\n");
  });
  test("a line already there leaves the text exactly as it is", () => {
    expect(editLines("b=2\na=1", { line: "a=1", state: "present" })).toBe("b=2\na=1");
    expect(editLines("a=1\n", { line: "a=1", regexp: "^zzz", state: "present" })).toBe("a=1\n");
  });
  test("absent removes every match", () => {
    expect(editLines(text, { regexp: "Port", state: "absent" })).toBe("a=1\nb=2\nc=3\n");
    expect(editLines(text, { line: "b=2", state: "absent" })).toBe("a=1\n#Port 22\nPort 2222\nc=3\n");
    expect(editLines("only\n", { line: "only", state: "absent" })).toBe("");
  });
});

describe("lineinfile", () => {
  test("create: a missing file is made with the line, then nothing to do", async () => {
    const r = await host.run(lineinfile, { path: conf, line: "PasswordAuthentication no", create: true, mode: "0600" });
    expect(r.plan).toMatchObject({ status: "changed", msg: `create ${conf}` });
    expect(fs.readFileSync(conf, "utf8")).toBe("PasswordAuthentication no\n");
    expect(fs.statSync(conf).mode & 0o777).toBe(0o600);
    expect(r.second).toMatchObject({ status: "ok", msg: "nothing to do" });
    expect(r.plan.apply!.map((op) => op.op)).toEqual(["write"]);
  });

  test("regexp replaces the matching line in place; the rest is untouched", async () => {
    fs.writeFileSync(conf, "# sshd\n#Port 22\nPermitRootLogin yes\nUsePAM yes\n");
    const r = await host.run(lineinfile, { path: conf, regexp: "^#?PermitRootLogin\\s", line: "PermitRootLogin no" });
    expect(r.plan.msg).toBe(`update ${conf}`);
    expect(fs.readFileSync(conf, "utf8")).toBe("# sshd\n#Port 22\nPermitRootLogin no\nUsePAM yes\n");
    expect(r.second?.status).toBe("ok");
  });

  test("insertafter a regexp, in the real file", async () => {
    const r = await host.run(lineinfile, { path: conf, line: "Port 2222", regexp: "^Port ", insertafter: "^#Port" });
    expect(r.problem).toBeUndefined();
    expect(fs.readFileSync(conf, "utf8")).toBe("# sshd\n#Port 22\nPort 2222\nPermitRootLogin no\nUsePAM yes\n");
    expect(r.second?.status).toBe("ok");
  });

  test("--check --diff: the diff of the edit, and the file untouched", async () => {
    const before = treeDigest(host.dir);
    const r = await host.run(lineinfile, { path: conf, regexp: "^UsePAM", line: "UsePAM no" }, { check: true, diff: true });
    expect(r.plan.status).toBe("changed");
    expect(r.plan.diff).toContain("-UsePAM yes\n+UsePAM no\n");
    expect(treeDigest(host.dir)).toBe(before);
  });

  test("absent removes the matching lines; a missing file is nothing to do", async () => {
    const r = await host.run(lineinfile, { path: conf, regexp: "^#", state: "absent" });
    expect(fs.readFileSync(conf, "utf8")).toBe("Port 2222\nPermitRootLogin no\nUsePAM yes\n");
    expect(r.second?.status).toBe("ok");
    const none = await host.run(lineinfile, { path: path.join(host.dir, "missing"), line: "x", state: "absent", create: true });
    expect(none.plan).toMatchObject({ status: "ok", msg: "nothing to do (no file)" });
    expect(fs.existsSync(path.join(host.dir, "missing"))).toBe(false);
  });

  test("a missing file without create fails", async () => {
    const r = await host.run(lineinfile, { path: path.join(host.dir, "missing"), line: "x" });
    expect(r.plan).toMatchObject({ status: "failed", msg: `${path.join(host.dir, "missing")} does not exist (set create: true to make it)` });
  });

  test("a failing validate leaves the old file", async () => {
    const old = sha256(conf);
    const r = await host.run(lineinfile, { path: conf, line: "Forbidden yes", validate: "! grep -q Forbidden %s" });
    expect(r.problem).toMatch(/validate failed/);
    expect(sha256(conf)).toBe(old);
    expect(fs.readdirSync(host.dir).filter((n) => n.startsWith(".multitier-"))).toEqual([]);
  });

  test("argument errors name the field", () => {
    const p = (a: object) => () => host.parse(lineinfile, { path: "/etc/x", ...a });
    expect(p({})).toThrow(/^lineinfile\.line: state: present needs line$/);
    expect(p({ state: "absent" })).toThrow(/^lineinfile\.line: expected line or regexp$/);
    expect(p({ line: "a\nb" })).toThrow(/^lineinfile\.line: expected one line/);
    expect(p({ line: "a", regexp: "(" })).toThrow(/^lineinfile\.regexp: expected a valid regular expression$/);
    expect(p({ line: "a", insertafter: "BOF" })).toThrow(/^lineinfile\.insertafter: BOF goes with insertbefore/);
    expect(p({ line: "a", insertbefore: "EOF" })).toThrow(/^lineinfile\.insertbefore: EOF goes with insertafter/);
    expect(p({ line: "a", insertafter: "^x", insertbefore: "^y" })).toThrow(/^lineinfile\.insertbefore: expected insertafter or insertbefore, not both$/);
    expect(p({ line: "a", insertafter: "[" })).toThrow(/^lineinfile\.insertafter: expected EOF or a valid regular expression$/);
    expect(p({ line: "a", backrefs: true })).toThrow(/Unrecognized key\(s\) in object: 'backrefs'/);
  });
});
