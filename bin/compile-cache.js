// The command line's compiled cache: the TypeScript sources the CLI runs (SOURCE_DIRS) compiled
// once by esbuild into .cache/dist/<build>/ (git-ignored), so a start loads plain JavaScript
// instead of transpiling. There is no build step to forget: every start compares the sources'
// and their directories' mtimes with the stamp the last build wrote (a few hundred stat calls,
// ~2 ms) and rebuilds when anything changed, was added or removed (~0.3 s). When the cache
// cannot be written (read-only checkout) or esbuild is missing, `ensureCompiled` returns
// undefined and bin/multitier.js falls back to tsx. Each build gets its own directory, so a
// long run that loads a module late never sees files of another build; builds older than a
// day are removed by the next build. `node bin/compile-cache.js` builds when stale (make setup).
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.join(__dirname, "..");
/** what the CLI loads at run time (tests, lab and bench are not part of it) */
const SOURCE_DIRS = ["cli", "config", "runner", "review", "stacks", "terraform"];
const CACHE = path.join(ROOT, ".cache", "dist");
const STAMP = path.join(CACHE, "stamp.json");
const KEEP_OLD_BUILDS_MS = 24 * 3600 * 1000;

/** every source file and directory under SOURCE_DIRS (and this file: its changes rebuild too) */
function scan() {
  const files = [__filename];
  const dirs = [];
  const walk = (dir) => {
    dirs.push(dir);
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) files.push(p);
    }
  };
  for (const d of SOURCE_DIRS) walk(path.join(ROOT, d));
  return { files, dirs };
}

const mtime = (p) => fs.statSync(p).mtimeMs;

/** the build the stamp names, when every file and directory it recorded is unchanged */
function freshBuild() {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(STAMP, "utf8"));
    if (stamp.root !== ROOT || stamp.node !== process.versions.modules) return undefined;
    for (const [p, t] of stamp.entries) if (mtime(path.join(ROOT, p)) !== t) return undefined;
  } catch {
    return undefined; // no stamp, or a recorded file is gone
  }
  const main = path.join(CACHE, stamp.build, "cli", "main.js");
  return fs.existsSync(main) ? main : undefined;
}

/**
 * Compiled files keep the source's __dirname/__filename (agent.py, templates and package.json are
 * read relative to them); the line goes after "use strict" so strict mode stays on.
 */
function relocate(code, mark) {
  const fix = `var __dirname = __dirname.replace(${JSON.stringify(mark)}, ""), __filename = __filename.replace(${JSON.stringify(mark)}, "").replace(/\\.js$/, ".ts");\n`;
  return code.startsWith('"use strict";\n') ? '"use strict";\n' + fix + code.slice(14) : fix + code;
}

function build() {
  const esbuild = require("esbuild");
  const { files, dirs } = scan();
  const entries = [...files, ...dirs].map((p) => [path.relative(ROOT, p), mtime(p)]);
  const id = `${Date.now().toString(36)}-${process.pid}`;
  const out = path.join(CACHE, id);
  const sources = files.filter((f) => f.endsWith(".ts"));
  const result = esbuild.buildSync({ entryPoints: sources, outdir: out, outbase: ROOT, format: "cjs", platform: "node", target: "node20", bundle: false, write: false, logLevel: "silent", supported: { "dynamic-import": false } }); // import() as require(): resolved as CommonJS
  const mark = `${path.sep}.cache${path.sep}dist${path.sep}${id}`;
  for (const f of result.outputFiles) {
    fs.mkdirSync(path.dirname(f.path), { recursive: true });
    fs.writeFileSync(f.path, relocate(f.text, mark));
  }
  const tmp = `${STAMP}.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify({ root: ROOT, node: process.versions.modules, build: id, entries }));
  fs.renameSync(tmp, STAMP); // atomic: a concurrent start sees the old build or the new one
  for (const e of fs.readdirSync(CACHE, { withFileTypes: true }))
    if (e.isDirectory() && e.name !== id && Date.now() - mtime(path.join(CACHE, e.name)) > KEEP_OLD_BUILDS_MS) fs.rmSync(path.join(CACHE, e.name), { recursive: true, force: true });
  return path.join(out, "cli", "main.js");
}

/** The compiled cli/main.js, built first when stale; undefined when it cannot be (use tsx then). */
function ensureCompiled() {
  if (process.env.MULTITIER_NO_COMPILE_CACHE === "1") return undefined;
  const fresh = freshBuild();
  if (fresh) return fresh;
  try {
    fs.mkdirSync(CACHE, { recursive: true });
    return build();
  } catch (e) {
    if (process.env.MULTITIER_DEBUG) process.stderr.write(`multitier: compiled cache not usable (${e.message}); running the sources through tsx\n`);
    return undefined;
  }
}

module.exports = { ensureCompiled, SOURCE_DIRS, CACHE };

if (require.main === module) {
  const main = ensureCompiled();
  if (!main) {
    process.stderr.write("compile-cache: could not build .cache/dist (the command line will run the sources through tsx)\n");
    process.exitCode = 1;
  } else process.stdout.write(`compile-cache: ${path.relative(ROOT, path.dirname(path.dirname(main)))} is up to date\n`);
}
