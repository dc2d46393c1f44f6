/**
 * bin/code-cache.js, in real node processes on a throwaway build directory: the first load of a
 * bundle makes <bundle>.v8cache at exit, the next load uses it (V8 accepts it), and a cache that
 * is stale (the bundle changed), corrupted, truncated or not ours is ignored — the bundle's new
 * code runs, nothing crashes — and remade. A `--help` run makes none for a command's bundle.
 * MULTITIER_DEBUG's line says what happened ("used", "none usable", "made at exit").
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const LOADER = path.join(__dirname, "..", "..", "bin", "code-cache.js");
let dir: string;
let bundle: string;
let cache: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-v8cache-"));
  bundle = path.join(dir, "deploy.js");
  cache = path.join(dir, "deploy.v8cache");
  writeBundle("first");
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** a bundle with enough functions for V8 to cache something; its answer is `word` */
function writeBundle(word: string) {
  const fns = Array.from({ length: 50 }, (_, i) => `function f${i}(x) { return x + ${i}; }`).join("\n");
  fs.writeFileSync(bundle, `"use strict";\nconst path = require("path");\n${fns}\nlet s = 0; for (let i = 0; i < 50; i++) s = eval("f" + i)(s);\nexports.answer = ${JSON.stringify(word)} + " " + s + " " + path.basename(__filename) + " " + typeof path.join;\n`);
}

/** load the bundle through the loader in a fresh node; its answer and the debug line */
function run(...args: string[]): { answer: string; debug: string; status: number | null } {
  const code = `require(${JSON.stringify(LOADER)}).install(${JSON.stringify(dir)}); console.log(require(${JSON.stringify(bundle)}).answer);`;
  const r = spawnSync(process.execPath, ["-e", code, "--", ...args], { encoding: "utf8", env: { ...process.env, MULTITIER_DEBUG: "1" } });
  return { answer: r.stdout.trim(), debug: r.stderr.trim(), status: r.status };
}

const firstAnswer = "first 1225 deploy.js function";

test("made at the first run's exit, used by the next", () => {
  expect(run()).toEqual({ answer: firstAnswer, debug: "multitier: code cache of deploy.js: none usable, made at exit", status: 0 });
  expect(fs.statSync(cache).size).toBeGreaterThan(100);
  expect(run()).toEqual({ answer: firstAnswer, debug: "multitier: code cache of deploy.js: used", status: 0 });
});

test("a stale cache (the bundle changed, same size: V8's own check compares only the length) is ignored and remade", () => {
  run();
  const size = fs.statSync(bundle).size;
  writeBundle("fresh");
  expect(fs.statSync(bundle).size).toBe(size);
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(bundle, later, later);
  const r = run();
  expect(r.answer).toBe("fresh 1225 deploy.js function");
  expect(r.debug).toBe("multitier: code cache of deploy.js: none usable, made at exit");
  expect(run().debug).toBe("multitier: code cache of deploy.js: used");
});

test.each([
  ["a flipped byte in the data", (b: Buffer) => { b[b.length - 10] ^= 0xff; return b; }],
  ["truncated", (b: Buffer) => b.subarray(0, Math.floor(b.length / 2))],
  ["a header only", (b: Buffer) => b.subarray(0, b.indexOf(10, b.indexOf(10, b.indexOf(10) + 1) + 1) + 1)],
  ["not ours", () => Buffer.from("garbage\n".repeat(100))],
  ["empty", () => Buffer.alloc(0)],
])("a corrupted cache (%s) is ignored, the bundle runs, the cache is remade", (_, corrupt) => {
  run();
  fs.writeFileSync(cache, corrupt(fs.readFileSync(cache)));
  expect(run()).toEqual({ answer: firstAnswer, debug: "multitier: code cache of deploy.js: none usable, made at exit", status: 0 });
  expect(run().debug).toBe("multitier: code cache of deploy.js: used");
});

test("a --help run makes no cache for a command's bundle", () => {
  expect(run("--help").debug).toBe("multitier: code cache of deploy.js: none usable");
  expect(fs.existsSync(cache)).toBe(false);
});

test("a build directory that cannot be written: runs without a cache", () => {
  fs.mkdirSync(cache); // renaming a file over a directory fails
  expect(run()).toEqual({ answer: firstAnswer, debug: "multitier: code cache of deploy.js: none usable, made at exit", status: 0 });
  expect(fs.statSync(cache).isDirectory()).toBe(true);
});

test("MULTITIER_NO_CODE_CACHE=1: plain CommonJS, no cache file", () => {
  const r = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(LOADER)}).install(${JSON.stringify(dir)}); console.log(require(${JSON.stringify(bundle)}).answer);`], { encoding: "utf8", env: { ...process.env, MULTITIER_DEBUG: "1", MULTITIER_NO_CODE_CACHE: "1" } });
  expect({ answer: r.stdout.trim(), debug: r.stderr.trim() }).toEqual({ answer: firstAnswer, debug: "" });
  expect(fs.existsSync(cache)).toBe(false);
});
