#!/usr/bin/env node
// Entry point of the `multitier` command. The sources are TypeScript: they run from a compiled
// cache (bin/compile-cache.js: esbuild bundles in .cache/dist/, rebuilt by itself when a source
// changed, so there is no build step to forget after `git pull`; bin/code-cache.js loads them
// with V8's code cache), or through tsx when that cache cannot be written.
require("./compile-cache")
  .ensureCompiled()
  .then((compiled) => {
    if (compiled) require("./code-cache").install(require("path").dirname(compiled));
    else require("tsx/cjs");
    return require(compiled ?? "../cli/main.ts").main(process.argv);
  })
  .then((code) => { process.exitCode = code; });
