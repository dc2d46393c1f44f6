// Tests are TypeScript, transpiled per file (tsconfig.json has isolatedModules, so ts-jest transpiles only; no type check here: `make typecheck` does that
// once for the whole tree, which is much faster than ts-jest's per-file checking).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  testTimeout: 120000,
  // the lab tests create namespaces with fixed names per suite; 2 workers match the 2 cores
  maxWorkers: 2,
  reporters: ["default", "<rootDir>/test/reliability/reporter.js"],
};
