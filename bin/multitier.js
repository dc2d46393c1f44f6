#!/usr/bin/env node
// Entry point of the `multitier` command. The sources are TypeScript: they run from a compiled
// cache (bin/compile-cache.js: esbuild into .cache/dist/, rebuilt by itself when a source
// changed, so there is no build step to forget after `git pull`), or through tsx when that
// cache cannot be written.
const compiled = require("./compile-cache").ensureCompiled();
if (!compiled) require("tsx/cjs");
require(compiled ?? "../cli/main.ts")
  .main(process.argv)
  .then((code) => { process.exitCode = code; });
