/**
 * Input nobody imagined (issue 16): property-based damage to the shipped environment files
 * and playbooks (fast-check; test/config/fuzz-mutations.ts) — keys deleted, types changed,
 * values swapped between fields, entries duplicated, unicode and control characters, very
 * long strings, anchors, aliases and merge keys, raw text damage. Every case must be either
 * accepted (and an accepted environment must synthesize) or refused with one-line errors
 * `file:line:col …` — never a stack trace, never a hang: each case runs in a worker thread
 * (fuzz-worker.js, the CLI's own functions) and is stopped after CASE_LIMIT_MS.
 * A few cases also go through the real CLI (`multitier validate`).
 *
 * Replay: the seed and case count are printed; FUZZ_SEED=<seed> [FUZZ_RUNS=<n>] [FUZZ_PATH=<path>]
 * reruns the same cases; FUZZ_SHRINK=1 shrinks a failure to a minimal case (slower).
 */
import { spawnSync } from "child_process";
import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import { parse } from "yaml";
import { checkEnvironment } from "../../config/load";
import { YamlSource } from "../../config/yamlsource";
import { caseArb, factorArb, render, toYaml, type Case } from "./fuzz-mutations";

const ROOT = path.join(__dirname, "..", "..");
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const CASE_LIMIT_MS = 20_000; // generous: 2 shared cores; a synth takes ~0.4 s, a check ~30 ms
const WARMUP_LIMIT_MS = 180_000; // a new worker's module loading and first synth (not a case)
const ONE_LINE_ERROR = /^(?<file>[^\s:]+):(?<line>\d+):(?<col>\d+)[ :]/;

type Answer = { outcome: "accepted" | "refused" | "crash" | "timeout"; errors?: string[]; error?: string; synthesized?: number };

/** One worker at a time; a case that runs over the limit kills it (and a new one starts). */
class Checker {
  private worker?: Worker;
  async check(c: { what: string; file: string; text: string; service?: string }, limitMs = CASE_LIMIT_MS): Promise<Answer> {
    if (!this.worker) {
      this.worker = new Worker(path.join(__dirname, "fuzz-worker.js"));
      // a new worker first loads tsx, the config modules and cdktf and synthesizes once, outside
      // any case's limit: on 2 busy cores that cold start alone can take longer than a case may
      const warm = await this.send(this.worker, { what: "warmup", file: "", text: "" }, WARMUP_LIMIT_MS);
      if (warm.outcome !== "accepted") return warm;
    }
    return this.send(this.worker, c, limitMs);
  }
  private send(w: Worker, c: { what: string; file: string; text: string; service?: string }, limitMs: number): Promise<Answer> {
    return new Promise((resolve) => {
      const done = (a: Answer, dead = false) => {
        clearTimeout(timer);
        w.removeAllListeners("message").removeAllListeners("error").removeAllListeners("exit");
        if (dead) {
          void w.terminate();
          this.worker = undefined;
        }
        resolve(a);
      };
      const timer = setTimeout(() => done({ outcome: "timeout" }, true), limitMs);
      w.once("message", (a: Answer) => done(a));
      // the worker itself died (out of memory, an error outside the handler): a crash, not a hang
      w.once("error", (e) => done({ outcome: "crash", error: e.stack ?? String(e) }, true));
      w.once("exit", (code) => done({ outcome: "crash", error: `the worker exited (${code})` }, true));
      w.postMessage(c);
    });
  }
  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}

/** Why an answer breaks the contract, or undefined when it keeps it. */
function violation(a: Answer, file: string, text: string): string | undefined {
  if (a.outcome === "crash") return `not an input error (a stack trace for the user): ${a.error?.split("\n").slice(0, 3).join(" | ")}`;
  if (a.outcome === "timeout") return `no answer within ${CASE_LIMIT_MS} ms (a hang)`;
  if (a.outcome === "accepted") return undefined;
  if (!a.errors?.length) return "refused without an error line";
  const lines = text.split("\n").length;
  for (const e of a.errors) {
    if (e.includes("\n") || /\n\s+at /.test(e)) return `an error spans several lines: ${JSON.stringify(e.slice(0, 200))}`;
    const m = ONE_LINE_ERROR.exec(e);
    if (!m?.groups) return `no file:line:col: ${JSON.stringify(e.slice(0, 200))}`;
    // a playbook's error may be placed in a file it imports (playbooks/_volumes.yml …)
    const imported = path.dirname(m.groups.file) === path.dirname(file) && file.startsWith("playbooks/");
    if (m.groups.file !== file && !imported) return `names ${m.groups.file}, not ${file}: ${e.slice(0, 200)}`;
    const line = Number(m.groups.line);
    if (line < 1 || (m.groups.file === file && line > lines + 1) || Number(m.groups.col) < 1) return `line:col outside the file (${lines} lines): ${e.slice(0, 200)}`;
  }
  return undefined;
}

/** A case as JSON, long strings abbreviated (a 100 kB value would drown the report). */
function short(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "string" && x.length > 60 ? `${x.slice(0, 20)}…(${x.length} chars)` : x));
}

const checker = new Checker();
afterAll(() => checker.close());

interface Target {
  what: "environment" | "playbook";
  file: string;
  service?: string;
  value: unknown;
}
const environments: Target[] = fs
  .readdirSync(path.join(ROOT, "hosts"))
  .filter((f) => /^[a-z][a-z0-9-]*\.yaml$/.test(f))
  .map((f) => ({ what: "environment" as const, file: `hosts/${f}`, value: parse(fs.readFileSync(path.join(ROOT, "hosts", f), "utf8")) }));
const playbooks: Target[] = fs
  .readdirSync(path.join(ROOT, "playbooks"))
  .filter((f) => f.endsWith(".yml") && !f.startsWith("_"))
  .map((f) => ({ what: "playbook" as const, file: `playbooks/${f}`, service: f.replace(/\.yml$/, ""), value: parse(fs.readFileSync(path.join(ROOT, "playbooks", f), "utf8")) }));

async function property(name: string, targets: Target[], runs: number): Promise<void> {
  const tally = { accepted: 0, refused: 0, synthesized: 0, failed: 0 };
  let failure: string | undefined;
  const params = {
    numRuns: runs,
    seed: SEED,
    endOnFailure: !process.env.FUZZ_SHRINK,
    ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
  };
  const arb = fc.tuple(fc.nat({ max: targets.length - 1 }), caseArb);
  const details = await fc.check(
    fc.asyncProperty(arb, async ([i, c]: [number, Case]) => {
      const t = targets[i];
      const text = render(t.value, c);
      const a = await checker.check({ what: t.what, file: t.file, text, service: t.service });
      const bad = violation(a, t.file, text);
      if (bad) {
        tally.failed++;
        failure ??= `${t.file}: ${bad}\n  case: ${short([i, c])}`;
        throw new Error(`${t.file}: ${bad}`);
      }
      tally[a.outcome === "accepted" ? "accepted" : "refused"]++;
      if (a.synthesized) tally.synthesized++;
    }),
    params,
  );
  const passed = tally.accepted + tally.refused;
  const synthesized = name.startsWith("environment") ? `, ${tally.synthesized} synthesized` : "";
  const replay = `FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}${details.counterexamplePath ? ` FUZZ_PATH=${details.counterexamplePath}` : ""}`;
  const line = `fuzz ${name}: ${details.numRuns} cases, seed ${SEED}: ${passed} passed, ${tally.failed} failed (${tally.accepted} accepted${synthesized}; ${tally.refused} refused with one-line errors) — replay: ${replay} npx jest test/config/fuzz.test.ts`;
  process.stdout.write(`${line}\n`);
  if (details.failed) throw new Error(`${line}\n${failure ?? fc.defaultReportMessage(details)}`);
  // the generator must reach both sides of the contract, or the property proves little
  expect(tally.refused).toBeGreaterThan(0);
}

describe("input nobody imagined (generated, fast-check)", () => {
  test(`environment files: ${RUNS} mutated cases are accepted and synthesize, or refused with one-line file:line:col errors`, () => property("environment files", environments, RUNS), 300_000);

  test(`playbooks: ${RUNS} mutated cases are loaded, or refused with one-line file:line:col errors`, () => property("playbooks", playbooks, RUNS), 300_000);

  test("sharing definitions through anchors and merge keys changes nothing (same environment, no error)", () => {
    let merged = 0;
    for (const t of environments) {
      const baseline = checkEnvironment(new YamlSource(t.file, toYaml(t.value, [])));
      expect(baseline.errors).toEqual([]);
      fc.assert(
        fc.property(factorArb, (ms) => {
          const text = toYaml(t.value, ms);
          if (text.includes("<<: *")) merged++;
          const r = checkEnvironment(new YamlSource(t.file, text));
          expect(r.errors.map((e) => e.message)).toEqual([]);
          expect(r.env).toEqual(baseline.env);
        }),
        { numRuns: Math.max(10, Math.round(RUNS / 4)), seed: SEED },
      );
    }
    process.stdout.write(`fuzz merge keys: ${merged} files sharing definitions through <<: *anchor, seed ${SEED}: all read as the original\n`);
    expect(merged).toBeGreaterThan(0);
  }, 120_000);

  test("a case that never answers is stopped and reported as a hang, and the next case runs", async () => {
    const t0 = Date.now();
    const hung = await checker.check({ what: "selftest-hang", file: "hosts/x.yaml", text: "" }, 1000);
    expect(hung.outcome).toBe("timeout");
    expect(violation(hung, "hosts/x.yaml", "")).toMatch(/a hang/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    const next = await checker.check({ what: "environment", file: "hosts/production.yaml", text: "name: [" });
    expect(next.outcome).toBe("refused");
  }, 60_000);

  test("the real CLI: `multitier validate` on mutated files exits 0 or 1 (bad input) with one-line errors, no stack trace", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-fuzz-"));
    try {
      const samples = fc.sample(caseArb, { numRuns: 3, seed: SEED });
      const prod = environments.find((t) => t.file === "hosts/production.yaml")!;
      let n = 0;
      for (const c of samples) {
        const file = path.join(dir, "production.yaml");
        fs.writeFileSync(file, render(prod.value, c));
        const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "multitier.js"), "validate", "--env", "production"], { cwd: ROOT, env: { ...process.env, MULTITIER_HOSTS_DIR: dir }, encoding: "utf8", timeout: 60_000 });
        expect(r.error).toBeUndefined(); // no hang (timeout) and it started
        expect([0, 1]).toContain(r.status);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        if (r.status === 2) for (const e of r.stderr.trim().split("\n")) expect(violation({ outcome: "refused", errors: [e] }, file, fs.readFileSync(file, "utf8"))).toBeUndefined();
        n++;
      }
      process.stdout.write(`fuzz real CLI: ${n} cases, seed ${SEED}\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
