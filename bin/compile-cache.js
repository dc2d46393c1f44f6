// The command line's compiled cache: esbuild bundles the TypeScript sources the CLI runs
// (SOURCE_DIRS) with the pure-JavaScript packages they use into one file per entry in
// .cache/dist/<build>/ (git-ignored): main.js (commander, the command table, --help) and one file
// per command module that cli/commands/index.ts loads (deploy.js, validate.js …), which main.js
// requires only when that command runs. A start reads one or two files instead of resolving and
// reading hundreds, and transpiles nothing. There is no build step to forget: every start
// compares the mtimes of the sources, their directories and the bundled packages' package.json
// (and node_modules/.package-lock.json) with the stamp the last build wrote (~2 ms) and rebuilds
// when anything changed, was added or removed (~1 s: esbuild, 10 bundles). Kept outside the
// bundles, required by absolute path: cdktf and its jsii packages (EXTERNAL: they read their
// assemblies beside their own files), esbuild, tsx, native addons (ssh2's sshcrypto.node,
// cpu-features), and the packages our sources require() lazily. When the cache cannot be
// written (read-only checkout) or esbuild is missing, `ensureCompiled` resolves to undefined and
// bin/multitier.js falls back to tsx. Each build gets its own directory, so a long run that
// loads a command bundle late never sees another build's; builds older than a day are removed
// by the next build.
// `node bin/compile-cache.js` builds when stale (make setup). bin/code-cache.js loads the bundles.
"use strict";
const fs = require("fs");
const path = require("path");
const { isBuiltin } = require("module");

const ROOT = path.join(__dirname, "..");
/** what the CLI loads at run time (tests, lab and bench are not part of it) */
const SOURCE_DIRS = ["cli", "config", "runner", "review", "stacks", "terraform"];
const CACHE = path.join(ROOT, ".cache", "dist");
const STAMP = path.join(CACHE, "stamp.json");
const KEEP_OLD_BUILDS_MS = 24 * 3600 * 1000;
const EXTERNAL = /^(cdktf|@cdktf\/[^/]+|constructs|esbuild|tsx|cpu-features)(\/|$)|\.node$/;
const COMMANDS_INDEX = path.join(ROOT, "cli", "commands", "index.ts");

/** every source file and directory under SOURCE_DIRS, this file and the code-cache loader */
function scan() {
  const files = [__filename, path.join(__dirname, "code-cache.js")].filter((f) => fs.existsSync(f));
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
    for (const [p, t] of stamp.entries) if (mtime(p) !== t) return undefined; // absolute paths: no path.resolve per entry
  } catch {
    return undefined; // no stamp, or a recorded file is gone
  }
  const dir = path.join(CACHE, stamp.build);
  return (stamp.bundles ?? []).every((b) => fs.existsSync(path.join(dir, b))) ? path.join(dir, "main.js") : undefined; // a bundle removed by hand: rebuild
}

/** the command modules cli/commands/index.ts requires ("./deploy" …): one bundle each */
function commandModules() {
  if (!fs.existsSync(COMMANDS_INDEX)) return [];
  return [...new Set([...fs.readFileSync(COMMANDS_INDEX, "utf8").matchAll(/require\("\.\/([\w-]+)"\)/g)].map((m) => m[1]))];
}

/** code that declares a file's own __dirname/__filename, after a leading "use strict" if any */
function withOwnPaths(code, file, isTs) {
  if (!/\b__(dirname|filename)\b/.test(code)) return code;
  const decl = `var __dirname = ${JSON.stringify(path.dirname(file))}, __filename = ${JSON.stringify(file)};\n`;
  if (isTs) return decl + code; // ES module: strict anyway
  const m = /^(?:#![^\n]*\n)?(?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*(["'])use strict\1;?/.exec(code);
  return m ? code.slice(0, m[0].length) + "\n" + decl + code.slice(m[0].length) : decl + code;
}

/**
 * esbuild plugin: cli/commands/index.ts's `require("./deploy")` stays a require of the sibling
 * bundle (./deploy.js); EXTERNAL packages, native addons and the packages our sources require()
 * lazily stay outside; every bundled file (ours and the packages') keeps its own
 * __dirname/__filename (agent.py, templates and package.json are read beside the sources).
 */
const plugin = (commands) => ({
  name: "multitier-bundle",
  setup(b) {
    b.onResolve({ filter: /^\.\/[\w-]+$/ }, (a) => (a.importer === COMMANDS_INDEX && commands.includes(a.path.slice(2)) ? { path: `${a.path}.js`, external: true } : undefined));
    // a package our sources require() inside the function that needs it (diff, cron-parser,
    // p-limit) is read from node_modules only when that function runs, not with every start
    const lazyPackage = (a) => a.kind === "require-call" && !a.importer.includes(`${path.sep}node_modules${path.sep}`) && !isBuiltin(a.path);
    b.onResolve({ filter: /^[^./]/ }, (a) => (EXTERNAL.test(a.path) || lazyPackage(a) ? outside(a) : undefined));
    b.onResolve({ filter: /\.node$/ }, outside);
    b.onLoad({ filter: /\.(ts|js|cjs)$/ }, (a) => {
      const isTs = a.path.endsWith(".ts");
      const code = fs.readFileSync(a.path, "utf8");
      return { contents: withOwnPaths(code, a.path, isTs), loader: isTs ? "ts" : "js" };
    });
  },
});

/** an import kept outside the bundles, required by its absolute path */
function outside(a) {
  try {
    return { path: require.resolve(a.path, { paths: [a.resolveDir] }), external: true };
  } catch {
    return { path: a.path, external: true }; // an optional addon that is absent: it fails at run time as it would unbundled
  }
}

/**
 * The bundle with every non-ASCII character as a \u escape: V8 then keeps the source as a
 * one-byte string (decoded and scanned ~2x faster). esbuild's charset "ascii" escapes strings
 * and identifiers but leaves regular-expression literals (jexl's identRegex holds Cyrillic);
 * \uXXXX means the same character there. Comments are gone (minifyWhitespace).
 */
function asciiOnly(code) {
  if (!/[^\x00-\x7f]/.test(code)) return code;
  return code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** the package.json of every package a build bundled, and npm's record of the install: an upgrade (npm ci) rebuilds */
function bundledPackages(inputs) {
  const pkgs = new Set([path.join(ROOT, "node_modules", ".package-lock.json")].filter((f) => fs.existsSync(f)));
  for (const f of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(f);
    if (m && fs.existsSync(path.join(m[1], "package.json"))) pkgs.add(path.join(m[1], "package.json"));
  }
  return [...pkgs];
}

async function build() {
  const esbuild = require("esbuild");
  const { files, dirs } = scan();
  const before = [...files, ...dirs].map((p) => [p, mtime(p)]);
  const id = `${Date.now().toString(36)}-${process.pid}`;
  const out = path.join(CACHE, id);
  const commands = commandModules();
  const entryPoints = [path.join(ROOT, "cli", "main.ts"), ...commands.map((c) => path.join(ROOT, "cli", "commands", `${c}.ts`))];
  const result = await esbuild.build({
    entryPoints, outdir: out, entryNames: "[name]", write: false, bundle: true, format: "cjs", platform: "node", target: "node20", metafile: true, logLevel: "silent",
    minifyWhitespace: true, charset: "ascii", absWorkingDir: ROOT, plugins: [plugin(commands)], supported: { "dynamic-import": false }, // import() as require(): resolved as CommonJS
  });
  fs.mkdirSync(out, { recursive: true });
  for (const f of result.outputFiles) fs.writeFileSync(f.path, asciiOnly(f.text));
  const inputs = Object.keys(result.metafile.inputs).map((f) => path.resolve(ROOT, f));
  const packages = bundledPackages(inputs).map((p) => [p, mtime(p)]);
  fs.writeFileSync(path.join(out, "inputs.json"), JSON.stringify(Object.fromEntries(Object.entries(result.metafile.outputs).map(([o, m]) => [path.basename(o), Object.keys(m.inputs)]))));
  const tmp = `${STAMP}.${process.pid}`;
  const bundles = result.outputFiles.map((f) => path.basename(f.path));
  fs.writeFileSync(tmp, JSON.stringify({ root: ROOT, node: process.versions.modules, build: id, bundles, entries: [...before, ...packages] }));
  fs.renameSync(tmp, STAMP); // atomic: a concurrent start sees the old build or the new one
  for (const e of fs.readdirSync(CACHE, { withFileTypes: true }))
    if (e.isDirectory() && e.name !== id && Date.now() - mtime(path.join(CACHE, e.name)) > KEEP_OLD_BUILDS_MS) fs.rmSync(path.join(CACHE, e.name), { recursive: true, force: true });
  return path.join(out, "main.js");
}

/** The bundled main.js, built first when stale; undefined when it cannot be (use tsx then). */
async function ensureCompiled() {
  if (process.env.MULTITIER_NO_COMPILE_CACHE === "1") return undefined;
  const fresh = freshBuild();
  if (fresh) return fresh;
  try {
    fs.mkdirSync(CACHE, { recursive: true });
    return await build();
  } catch (e) {
    if (process.env.MULTITIER_DEBUG) process.stderr.write(`multitier: compiled cache not usable (${e.message}); running the sources through tsx\n`);
    return undefined;
  }
}

module.exports = { ensureCompiled, SOURCE_DIRS, CACHE };

if (require.main === module) {
  ensureCompiled().then((main) => {
    if (!main) {
      process.stderr.write("compile-cache: could not build .cache/dist (the command line will run the sources through tsx)\n");
      process.exitCode = 1;
    } else process.stdout.write(`compile-cache: ${path.relative(ROOT, path.dirname(main))} is up to date\n`);
  });
}
