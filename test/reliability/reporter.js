// Prints one line per reliability case and a final "N passed, N failed" line (the suite's
// report, in `make test` output). Registered in jest.config.js.
// proof-suite cases that need no lab and live beside the code they test
const ALSO = ["/test/config/fuzz.test.ts", "/test/config/merge-keys.test.ts"];

class ReliabilityReporter {
  constructor() {
    this.passed = 0;
    this.failed = 0;
    this.skipped = 0;
  }
  onTestResult(_test, result) {
    if (!result.testFilePath.includes("/test/reliability/") && !ALSO.some((f) => result.testFilePath.endsWith(f))) return;
    for (const t of result.testResults) {
      if (t.status === "pending" || t.status === "skipped") {
        // not root / no lab here: say so, so a green run without the lab is not mistaken for proof
        this.skipped++;
        process.stdout.write(`reliability: SKIP ${[...t.ancestorTitles.slice(1), t.title].join(" › ")} (not run here: needs root and the lab, or filtered out)\n`);
        continue;
      }
      const ok = t.status === "passed";
      ok ? this.passed++ : this.failed++;
      process.stdout.write(`reliability: ${ok ? "ok  " : "FAIL"} ${[...t.ancestorTitles.slice(1), t.title].join(" › ")}\n`);
    }
  }
  onRunComplete() {
    if (this.passed + this.failed + this.skipped > 0) process.stdout.write(`${this.passed} passed, ${this.failed} failed${this.skipped ? ` (${this.skipped} skipped)` : ""}\n`);
  }
}
module.exports = ReliabilityReporter;
