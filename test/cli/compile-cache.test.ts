/**
 * bin/compile-cache.js on a throwaway project (a copy of the file beside a few sources and a
 * tiny local package): the first start bundles, the next ones reuse the bundle, a changed, added
 * or removed source rebuilds, so does a changed bundled package; bundled code keeps its source's
 * __dirname (agent.py and templates are read beside the sources), import() becomes require(),
 * each command module of cli/commands/index.ts is its own bundle that main.js requires only when
 * the command is loaded, and a cache that cannot be written means "use tsx" (undefined).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
let dir: string;
let cc: { ensureCompiled(): Promise<string | undefined>; SOURCE_DIRS: string[] };

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-ccache-"));
  fs.mkdirSync(path.join(dir, "bin"));
  for (const f of ["compile-cache.js", "code-cache.js"]) fs.copyFileSync(path.join(ROOT, "bin", f), path.join(dir, "bin", f));
  // node_modules: esbuild from the real install, and one small package of our own to bundle
  fs.mkdirSync(path.join(dir, "node_modules", "tiny"), { recursive: true });
  for (const p of fs.readdirSync(path.join(ROOT, "node_modules")).filter((p) => p === "esbuild" || p === "@esbuild")) fs.symlinkSync(path.join(ROOT, "node_modules", p), path.join(dir, "node_modules", p));
  fs.writeFileSync(path.join(dir, "node_modules", "tiny", "package.json"), '{ "name": "tiny", "version": "1.0.0", "main": "index.js" }\n');
  fs.writeFileSync(path.join(dir, "node_modules", "tiny", "index.js"), '"use strict";\nexports.where = __dirname;\nexports.strict = (function () { return this; })() === undefined;\n');
  jest.isolateModules(() => {
    cc = require(path.join(dir, "bin", "compile-cache.js"));
  });
  for (const d of cc.SOURCE_DIRS) fs.mkdirSync(path.join(dir, d));
  fs.writeFileSync(path.join(dir, "runner", "data.txt"), "beside the source\n");
  fs.writeFileSync(path.join(dir, "runner", "reader.ts"), 'import * as fs from "fs";\nimport * as path from "path";\nexport const text: string = fs.readFileSync(path.join(__dirname, "data.txt"), "utf8");\nexport const file: string = __filename;\n');
  fs.writeFileSync(path.join(dir, "cli", "main.ts"), 'import * as tiny from "tiny";\nexport const answer: number = 1;\nexport const pkg = tiny;\nexport async function reader() { return import("../runner/reader"); }\n');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** load a compiled file in a fresh module registry */
function load(file: string): any {
  let m: any;
  jest.isolateModules(() => {
    m = require(file);
  });
  return m;
}

const setMtime = (file: string, secondsAhead: number) => {
  const t = new Date(Date.now() + secondsAhead * 1000);
  fs.utimesSync(file, t, t);
};

test("bundles once, reuses the bundle, keeps __dirname/__filename of the sources and packages, strict mode, and turns import() into require()", async () => {
  const main = (await cc.ensureCompiled())!;
  expect(main).toMatch(new RegExp(`^${dir}/\\.cache/dist/[^/]+/main\\.js$`));
  expect(await cc.ensureCompiled()).toBe(main);
  const m = load(main);
  expect(m.answer).toBe(1);
  expect(m.pkg.where).toBe(path.join(dir, "node_modules", "tiny"));
  expect(m.pkg.strict).toBe(true); // the __dirname line went after "use strict"
  const reader = await m.reader();
  expect(reader.text).toBe("beside the source\n");
  expect(reader.file).toBe(path.join(dir, "runner", "reader.ts"));
  expect(fs.readdirSync(path.dirname(main)).filter((f) => f.endsWith(".js"))).toEqual(["main.js"]); // one file: the reader and tiny are inside
  expect(fs.readFileSync(main, "utf8")).toMatch(/^[\x00-\x7f]*$/); // ASCII only (bin/code-cache.js reads it as latin1)
});

test("each command module of cli/commands/index.ts is its own bundle, required only when its loader runs", async () => {
  fs.mkdirSync(path.join(dir, "cli", "commands"));
  fs.writeFileSync(path.join(dir, "cli", "commands", "index.ts"), 'export const commands = [{ name: "hello", load: () => require("./hello").hello }];\n');
  fs.writeFileSync(path.join(dir, "cli", "commands", "hello.ts"), 'import * as tiny from "tiny";\n(globalThis as any).mtHelloLoaded = true;\nexport const hello = () => "hello ü " + typeof tiny.where;\n');
  fs.writeFileSync(path.join(dir, "cli", "main.ts"), 'export { commands } from "./commands";\n');
  const main = (await cc.ensureCompiled())!;
  const hello = path.join(path.dirname(main), "hello.js");
  expect(fs.existsSync(hello)).toBe(true);
  expect(fs.readFileSync(main, "utf8")).not.toContain("hello \\u00fc");
  const m = load(main);
  expect((globalThis as any).mtHelloLoaded).toBeUndefined();
  expect(m.commands[0].load()()).toBe("hello ü string");
  expect((globalThis as any).mtHelloLoaded).toBe(true);
  delete (globalThis as any).mtHelloLoaded;
});

test("a bundle missing from the build (removed by hand) rebuilds", async () => {
  fs.mkdirSync(path.join(dir, "cli", "commands"));
  fs.writeFileSync(path.join(dir, "cli", "commands", "index.ts"), 'export const commands = [{ name: "hello", load: () => require("./hello").hello }];\n');
  fs.writeFileSync(path.join(dir, "cli", "commands", "hello.ts"), 'export const hello = () => "hello";\n');
  const first = (await cc.ensureCompiled())!;
  expect(await cc.ensureCompiled()).toBe(first);
  fs.rmSync(path.join(path.dirname(first), "hello.js"));
  const second = (await cc.ensureCompiled())!;
  expect(second).not.toBe(first);
  expect(fs.existsSync(path.join(path.dirname(second), "hello.js"))).toBe(true);
});

test("a changed source rebuilds", async () => {
  const first = (await cc.ensureCompiled())!;
  fs.writeFileSync(path.join(dir, "cli", "main.ts"), "export const answer: number = 2;\n");
  setMtime(path.join(dir, "cli", "main.ts"), 5);
  const second = (await cc.ensureCompiled())!;
  expect(second).not.toBe(first);
  expect(load(second).answer).toBe(2);
  expect(fs.existsSync(first)).toBe(true); // an older build stays for runs that still load from it
});

test("a changed source that no bundle includes rebuilds too", async () => {
  fs.writeFileSync(path.join(dir, "stacks", "unused.ts"), "export const x = 1;\n");
  const first = (await cc.ensureCompiled())!;
  setMtime(path.join(dir, "stacks", "unused.ts"), 5);
  expect(await cc.ensureCompiled()).not.toBe(first);
});

test("an added or a removed source rebuilds", async () => {
  const first = (await cc.ensureCompiled())!;
  fs.writeFileSync(path.join(dir, "config", "new.ts"), "export const x = 1;\n");
  setMtime(path.join(dir, "config"), 5);
  const second = (await cc.ensureCompiled())!;
  expect(second).not.toBe(first);
  fs.rmSync(path.join(dir, "config", "new.ts"));
  expect(await cc.ensureCompiled()).not.toBe(second);
});

test("a bundled package that changed (npm ci installed another version) rebuilds", async () => {
  const first = (await cc.ensureCompiled())!;
  fs.writeFileSync(path.join(dir, "node_modules", "tiny", "index.js"), "exports.where = 'v2';\n");
  fs.writeFileSync(path.join(dir, "node_modules", "tiny", "package.json"), '{ "name": "tiny", "version": "2.0.0", "main": "index.js" }\n');
  setMtime(path.join(dir, "node_modules", "tiny", "package.json"), 5);
  const second = (await cc.ensureCompiled())!;
  expect(second).not.toBe(first);
  expect(load(second).pkg.where).toBe("v2");
});

test("a cache that cannot be written: undefined (bin/multitier.js runs the sources through tsx)", async () => {
  fs.writeFileSync(path.join(dir, ".cache"), "not a directory");
  expect(await cc.ensureCompiled()).toBeUndefined();
});

test("MULTITIER_NO_COMPILE_CACHE=1: undefined without building", async () => {
  process.env.MULTITIER_NO_COMPILE_CACHE = "1";
  try {
    expect(await cc.ensureCompiled()).toBeUndefined();
    expect(fs.existsSync(path.join(dir, ".cache"))).toBe(false);
  } finally {
    delete process.env.MULTITIER_NO_COMPILE_CACHE;
  }
});
