#!/usr/bin/env node
// Entry point of the `multitier` command. The sources are TypeScript; tsx compiles them on
// the fly (esbuild, cached), so there is no build step to forget after `git pull`.
require("tsx/cjs");
require("../cli/main.ts")
  .main(process.argv)
  .then((code) => { process.exitCode = code; });
