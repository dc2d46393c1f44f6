/**
 * bin/compile-cache.js on a throwaway project (a copy of the file beside a few sources): the
 * first start builds, the next ones reuse the build, a changed, added or removed source
 * rebuilds, compiled code keeps its source's __dirname (agent.py and templates are read beside
 * the sources), import() becomes require(), and a cache that cannot be written means
 * "use tsx" (undefined), not a crash.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
let dir: string;
let cc: { ensureCompiled(): string | undefined; SOURCE_DIRS: string[] };

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-ccache-"));
  fs.mkdirSync(path.join(dir, "bin"));
  fs.copyFileSync(path.join(ROOT, "bin", "compile-cache.js"), path.join(dir, "bin", "compile-cache.js"));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  jest.isolateModules(() => {
    cc = require(path.join(dir, "bin", "compile-cache.js"));
  });
  for (const d of cc.SOURCE_DIRS) fs.mkdirSync(path.join(dir, d));
  fs.writeFileSync(path.join(dir, "runner", "data.txt"), "beside the source\n");
  fs.writeFileSync(path.join(dir, "runner", "reader.ts"), 'import * as fs from "fs";\nimport * as path from "path";\nexport const text: string = fs.readFileSync(path.join(__dirname, "data.txt"), "utf8");\nexport const file: string = __filename;\n');
  fs.writeFileSync(path.join(dir, "cli", "main.ts"), 'export const answer: number = 1;\nexport async function reader() { return import("../runner/reader"); }\n');
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

test("builds once, reuses the build, keeps __dirname/__filename of the sources and turns import() into require()", async () => {
  const main = cc.ensureCompiled()!;
  expect(main).toMatch(new RegExp(`^${dir}/\\.cache/dist/[^/]+/cli/main\\.js$`));
  expect(cc.ensureCompiled()).toBe(main);
  const m = load(main);
  expect(m.answer).toBe(1);
  const reader = await m.reader();
  expect(reader.text).toBe("beside the source\n");
  expect(reader.file).toBe(path.join(dir, "runner", "reader.ts"));
});

test("a changed source rebuilds", () => {
  const first = cc.ensureCompiled()!;
  fs.writeFileSync(path.join(dir, "cli", "main.ts"), "export const answer: number = 2;\n");
  setMtime(path.join(dir, "cli", "main.ts"), 5);
  const second = cc.ensureCompiled()!;
  expect(second).not.toBe(first);
  expect(load(second).answer).toBe(2);
  expect(fs.existsSync(first)).toBe(true); // an older build stays for runs that still load from it
});

test("an added or a removed source rebuilds", () => {
  const first = cc.ensureCompiled()!;
  fs.writeFileSync(path.join(dir, "config", "new.ts"), "export const x = 1;\n");
  setMtime(path.join(dir, "config"), 5);
  const second = cc.ensureCompiled()!;
  expect(second).not.toBe(first);
  expect(fs.existsSync(path.join(path.dirname(path.dirname(second)), "config", "new.js"))).toBe(true);
  fs.rmSync(path.join(dir, "config", "new.ts"));
  expect(cc.ensureCompiled()).not.toBe(second);
});

test("a cache that cannot be written: undefined (bin/multitier.js runs the sources through tsx)", () => {
  fs.writeFileSync(path.join(dir, ".cache"), "not a directory");
  expect(cc.ensureCompiled()).toBeUndefined();
});

test("MULTITIER_NO_COMPILE_CACHE=1: undefined without building", () => {
  process.env.MULTITIER_NO_COMPILE_CACHE = "1";
  try {
    expect(cc.ensureCompiled()).toBeUndefined();
    expect(fs.existsSync(path.join(dir, ".cache"))).toBe(false);
  } finally {
    delete process.env.MULTITIER_NO_COMPILE_CACHE;
  }
});
