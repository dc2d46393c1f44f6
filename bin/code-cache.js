// V8 code cache for the command line's bundles (bin/compile-cache.js writes them to
// .cache/dist/<build>/). Node 20 compiles every start's JavaScript anew (module.enableCompileCache
// arrived in Node 22); here a bundle is compiled through vm.Script with the cachedData a previous
// run saved beside it (<bundle>.v8cache), so V8 deserializes the functions that run instead of
// parsing and compiling them. The cache is made at the exit of the first run that loaded the
// bundle without a usable cache (script.createCachedData() then holds every function that run
// compiled, not only the top level); a `--help` run does not make one for a command's bundle,
// whose cache would then hold little more than the command's registration.
// A cache is trusted only when its header names this node, this architecture and the bundle's
// exact size and mtime (bundles are written once per build directory) and the SHA-1 of its data
// matches; anything else (stale, truncated, corrupted, rejected by V8) is ignored and remade.
// Both checks are needed: V8 itself compares only the source's length (a changed bundle of the
// same size would run the old code), and Node 20's V8 does not verify its checksum: one flipped
// byte in the data aborts the process in the deserializer (V8_Fatal), tried.
// MULTITIER_NO_CODE_CACHE=1 loads the bundles as plain CommonJS (bench/startup.sh compares).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const Module = require("module");
const path = require("path");
const vm = require("vm");

const MAGIC = "multitier-v8-code-cache 1";
const sha1 = (data) => crypto.createHash("sha1").update(data).digest("hex");

/** the cached data in `file` when its header matches `key` and its checksum its data; else undefined */
function readCache(file, key) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  const [magic, k, sum] = buf.subarray(0, 512).toString("latin1").split("\n", 3);
  const start = Buffer.byteLength(`${magic}\n${k}\n${sum}\n`, "latin1");
  if (magic !== MAGIC || k !== key || start > buf.length) return undefined;
  const data = buf.subarray(start);
  return sha1(data) === sum ? data : undefined;
}

function writeCache(file, key, script) {
  try {
    const data = script.createCachedData();
    const tmp = `${file}.${process.pid}`;
    fs.writeFileSync(tmp, Buffer.concat([Buffer.from(`${MAGIC}\n${key}\n${sha1(data)}\n`, "latin1"), data]));
    fs.renameSync(tmp, file); // atomic: a concurrent start reads the old cache, none, or this one
  } catch {
    // a read-only build directory: run without a cache, as before
  }
}

/** compile and run the bundle `filename` as CommonJS module `module`, with its code cache */
function loadBundle(module, filename) {
  const source = fs.readFileSync(filename, "latin1"); // bundles are ASCII (compile-cache.js asciiOnly): a plain copy, no UTF-8 decoding
  const st = fs.statSync(filename);
  const key = `${process.version} ${process.arch} ${st.size} ${st.mtimeMs}`;
  const cacheFile = filename.replace(/\.js$/, ".v8cache");
  const cachedData = readCache(cacheFile, key);
  const script = new vm.Script(Module.wrap(source), { filename, cachedData });
  const used = cachedData !== undefined && !script.cachedDataRejected;
  const helpRun = process.argv.includes("--help") || process.argv.includes("-h");
  const make = !used && !(helpRun && path.basename(filename) !== "main.js");
  if (process.env.MULTITIER_DEBUG) process.stderr.write(`multitier: code cache of ${path.basename(filename)}: ${used ? "used" : cachedData ? "rejected by V8" : "none usable"}${make ? ", made at exit" : ""}\n`);
  if (make) process.once("exit", () => writeCache(cacheFile, key, script));
  // the require CommonJS gives a module (node's own makeRequireFunction is internal)
  const req = (id) => module.require(id);
  req.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
  req.cache = Module._cache;
  req.main = require.main;
  script.runInThisContext({ displayErrors: true }).call(module.exports, module.exports, req, module, filename, path.dirname(filename));
}

/** load every .js file of `buildDir` (the bundles) through loadBundle; other files as before */
function install(buildDir) {
  if (process.env.MULTITIER_NO_CODE_CACHE === "1") return;
  const js = Module._extensions[".js"];
  Module._extensions[".js"] = function (module, filename) {
    if (path.dirname(filename) === buildDir) return loadBundle(module, filename);
    return js.call(this, module, filename);
  };
}

module.exports = { install, readCache };
