/**
 * policy and review --synth-diff synthesize the working tree at most once, and not at all when
 * `make synth` just did (review/synth-reuse.ts): a throwaway checkout with the synthesis's
 * inputs and a cdktf.out, mtimes set by hand, and a counting stand-in for the synthesis (the
 * real one runs main.ts: test/review/review.test.ts). Fresh output: reused, no synthesis;
 * an input newer than the output, a stack missing or $CDKTF_OUTDIR set: one synthesis.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { reusableStacks, workingTreeStacks } from "../../review/synth-reuse";
import type { StackJson } from "../../review/synth";

let repo: string;
let synths: number;
const stand_in = (): Record<string, StackJson> => {
  synths++;
  return { production: { resource: { from: { synth: {} } } } };
};
const at = (file: string, secondsAgo: number) => {
  const t = new Date(Date.now() - secondsAgo * 1000);
  fs.utimesSync(file, t, t);
};
const put = (rel: string, text: string, secondsAgo: number) => {
  const f = path.join(repo, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, text);
  at(f, secondsAgo);
};

beforeEach(() => {
  synths = 0;
  repo = fs.mkdtempSync(path.join(os.tmpdir(), "mt-reuse-"));
  put("main.ts", "// app\n", 100);
  put("cdktf.json", "{}\n", 100);
  put("package-lock.json", "{}\n", 100);
  put("stacks/a.ts", "export {};\n", 100);
  put("config/b.ts", "export {};\n", 100);
  put("hosts/production.yaml", "name: production\n", 100);
  put("cdktf.out/stacks/production/cdk.tf.json", JSON.stringify({ resource: { from: { cdktf_out: {} } } }), 10);
  put("cdktf.out/stacks/gone/cdk.tf.json", "{}", 10); // an environment removed since: not read
  for (const d of ["stacks", "config", "hosts"]) at(path.join(repo, d), 100);
  jest.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(repo, { recursive: true, force: true });
});

test("cdktf.out newer than every input: its stacks, no synthesis", () => {
  expect(workingTreeStacks(repo, ["production"], stand_in)).toEqual({ production: { resource: { from: { cdktf_out: {} } } } });
  expect(synths).toBe(0);
});

test.each([
  ["an environment file", "hosts/production.yaml"],
  ["a stack's source", "stacks/a.ts"],
  ["the schema", "config/b.ts"],
  ["the app", "main.ts"],
  ["the lockfile", "package-lock.json"],
])("%s newer than the output: one synthesis", (_what, rel) => {
  at(path.join(repo, rel), 1);
  expect(workingTreeStacks(repo, ["production"], stand_in)).toEqual({ production: { resource: { from: { synth: {} } } } });
  expect(synths).toBe(1);
});

test("a new environment file (the directory changed) or a stack not in cdktf.out: one synthesis", () => {
  put("hosts/staging.yaml", "name: staging\n", 1);
  expect(reusableStacks(repo, ["production"])).toBeUndefined();
  at(path.join(repo, "hosts", "staging.yaml"), 100);
  at(path.join(repo, "hosts"), 100);
  expect(reusableStacks(repo, ["production"])).toBeDefined();
  workingTreeStacks(repo, ["production", "staging"], stand_in);
  expect(synths).toBe(1);
});

test("CDKTF_OUTDIR elsewhere: cdktf.out is not what was just synthesized", () => {
  process.env.CDKTF_OUTDIR = "/elsewhere";
  try {
    workingTreeStacks(repo, ["production"], stand_in);
    expect(synths).toBe(1);
  } finally {
    delete process.env.CDKTF_OUTDIR;
  }
});

describe("one synthesis per command (the synthesis counted, its result a stand-in)", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const synth = require("../../review/synth") as typeof import("../../review/synth");
  const { main } = require("../../cli/main") as typeof import("../../cli/main");
  const ROOT = path.join(__dirname, "..", "..");
  let cwd: string;
  beforeEach(() => {
    cwd = process.cwd();
    process.chdir(ROOT);
    process.env.CDKTF_OUTDIR = path.join(repo, "no-output-here"); // nothing to reuse: the synthesis runs
    jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  });
  afterEach(() => {
    process.chdir(cwd);
    delete process.env.CDKTF_OUTDIR;
  });

  test("policy: one", async () => {
    const spy = jest.spyOn(synth, "synthesize").mockImplementation(() => ({}));
    await main(["node", "multitier", "policy"]);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  test("review --synth-diff HEAD: two — the base and the working tree, each once", async () => {
    const spy = jest.spyOn(synth, "synthesize").mockImplementation(() => ({}));
    expect(await main(["node", "multitier", "review", "--synth-diff", "HEAD", "--json"])).toBe(0);
    expect(spy.mock.calls.map((c) => c[1])).toEqual(["HEAD", "the working tree"]);
  }, 60_000);
});
