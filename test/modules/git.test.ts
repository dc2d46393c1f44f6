/**
 * git against a local bare repository made in the temp dir (file:// URL: no network): clone at
 * a pinned tag, nothing to do at the same ref, move to another tag / a commit that needs a
 * fetch, --check, a checkout of another origin left alone, argument errors.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { git } from "../../runner/modules/git";
import { startHost, treeDigest, type TestHost } from "./harness";

let host: TestHost;
let url: string;
let seed: string;
const sha: Record<string, string> = {};

const g = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.email=t@example.invalid", "-c", "user.name=t", "-c", "init.defaultBranch=main", ...args], { cwd, encoding: "utf8" }).trim();
const commit = (msg: string) => {
  fs.writeFileSync(path.join(seed, "VERSION"), `${msg}\n`);
  g(seed, "add", "VERSION");
  g(seed, "commit", "-q", "-m", msg);
  return g(seed, "rev-parse", "HEAD");
};
const head = (dir: string) => g(dir, "rev-parse", "HEAD");

beforeAll(async () => {
  host = await startHost({ prefix: "mt-git-" });
  const bare = path.join(host.dir, "origin.git");
  seed = path.join(host.dir, "seed");
  g(host.dir, "init", "-q", "--bare", bare);
  g(host.dir, "init", "-q", seed);
  sha.v1 = commit("v1");
  g(seed, "tag", "v1");
  sha.v2 = commit("v2");
  g(seed, "tag", "v2");
  g(seed, "remote", "add", "origin", bare);
  g(seed, "push", "-q", "origin", "HEAD:main", "--tags");
  url = `file://${bare}`;
});
afterAll(() => host.close());

describe("git", () => {
  const dest = () => path.join(host.dir, "checkout");

  test("--check on a missing checkout: would clone, nothing created", async () => {
    const before = treeDigest(host.dir);
    const r = await host.run(git, { repo: url, dest: dest(), version: "v1" }, { check: true });
    expect(r.plan).toMatchObject({ status: "changed", msg: `would clone ${url} at v1 into ${dest()}` });
    expect(fs.existsSync(dest())).toBe(false);
    expect(treeDigest(host.dir)).toBe(before);
  });

  test("clones at the pinned tag (detached), then nothing to do", async () => {
    const r = await host.run(git, { repo: url, dest: dest(), version: "v1" });
    expect(r.plan.msg).toBe(`clone ${url} at v1 into ${dest()}`);
    expect(r.problem).toBeUndefined();
    expect(head(dest())).toBe(sha.v1);
    expect(fs.readFileSync(path.join(dest(), "VERSION"), "utf8")).toBe("v1\n");
    expect(r.second).toMatchObject({ status: "ok", msg: `nothing to do (at v1, ${sha.v1.slice(0, 12)})` });
    expect(r.probe).toHaveLength(1); // HEAD, origin URL and the ref's commit in one sh op
  });

  test("moves to another tag", async () => {
    const r = await host.run(git, { repo: url, dest: dest(), version: "v2" });
    expect(r.plan.msg).toBe(`move ${dest()} from ${sha.v1.slice(0, 12)} to v2 (${sha.v2.slice(0, 12)})`);
    expect(head(dest())).toBe(sha.v2);
    expect(r.second?.status).toBe("ok");
  });

  test("a commit the checkout does not have yet: fetched, then checked out", async () => {
    sha.v3 = commit("v3");
    g(seed, "push", "-q", "origin", "HEAD:main");
    const r = await host.run(git, { repo: url, dest: dest(), version: sha.v3 });
    expect(r.plan.msg).toBe(`move ${dest()} from ${sha.v2.slice(0, 12)} to ${sha.v3} (after a fetch)`);
    expect(r.problem).toBeUndefined();
    expect(head(dest())).toBe(sha.v3);
    expect(r.second?.status).toBe("ok");
    // an abbreviated commit is the same pin
    const short = await host.run(git, { repo: url, dest: dest(), version: sha.v3.slice(0, 10) });
    expect(short.plan.status).toBe("ok");
  });

  test("a branch means origin/<branch>", async () => {
    const r = await host.run(git, { repo: url, dest: dest(), version: "main" });
    expect(r.plan.status).toBe("ok"); // origin/main is v3, already checked out
    const back = await host.run(git, { repo: url, dest: dest(), version: "v1" });
    expect(head(dest())).toBe(sha.v1);
    expect(back.second?.status).toBe("ok");
  });

  test("a ref that does not exist fails after the fetch, leaving the checkout where it was", async () => {
    const r = await host.run(git, { repo: url, dest: dest(), version: "v9" });
    expect(r.plan.status).toBe("changed");
    expect(r.problem).toMatch(/v9: no such tag, branch or commit/);
    expect(head(dest())).toBe(sha.v1);
  });

  test("a checkout of another repository is never touched", async () => {
    const other = path.join(host.dir, "other");
    g(host.dir, "clone", "-q", seed, other);
    const before = head(other);
    const r = await host.run(git, { repo: url, dest: other, version: "v1" });
    expect(r.plan).toMatchObject({ status: "failed", msg: `${other} is a checkout of ${seed}, not ${url}; move it away by hand` });
    expect(head(other)).toBe(before);
  });

  test("argument errors name the field", () => {
    expect(() => host.parse(git, { repo: url, dest: "/x", version: "--upload-pack=evil" })).toThrow(/^git\.version: expected a tag, branch or commit$/);
    expect(() => host.parse(git, { repo: url, dest: "/x", version: "v1..v2" })).toThrow(/^git\.version: expected a tag, branch or commit$/);
    expect(() => host.parse(git, { repo: "--upload-pack=evil", dest: "/x", version: "v1" })).toThrow(/^git\.repo: expected a repository URL or path$/);
    expect(() => host.parse(git, { repo: url, dest: "x", version: "v1" })).toThrow(/^git\.dest: expected an absolute path$/);
    expect(() => host.parse(git, { repo: url, dest: "/x" })).toThrow(/^git\.version: Required$/);
    expect(() => host.parse(git, { repo: url, dest: "/x", version: "v1", depth: 1 })).toThrow(/Unrecognized key\(s\) in object: 'depth'/);
  });

  test("a secret in the URL is refused before anything is sent", () => {
    host.secrets.add("ghp_tokentokentoken");
    const t = host.prepare(git, { repo: "https://x:ghp_tokentokentoken@git.example.invalid/r.git", dest: "/x", version: "v1" });
    expect(() => git.probe(t.args, t.ctx, t.prepared)).toThrow(/^repo contains a secret value/);
  });
});
