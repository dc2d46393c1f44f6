// Prints one line per reliability case and a final "N passed, N failed" line (the suite's
// report, in `make test` output). Registered in jest.config.js.
class ReliabilityReporter {
  constructor() {
    this.passed = 0;
    this.failed = 0;
  }
  onTestResult(_test, result) {
    if (!result.testFilePath.includes("/test/reliability/")) return;
    for (const t of result.testResults) {
      if (t.status === "pending") continue;
      const ok = t.status === "passed";
      ok ? this.passed++ : this.failed++;
      process.stdout.write(`reliability: ${ok ? "ok  " : "FAIL"} ${[...t.ancestorTitles.slice(1), t.title].join(" › ")}\n`);
    }
  }
  onRunComplete() {
    if (this.passed + this.failed > 0) process.stdout.write(`${this.passed} passed, ${this.failed} failed\n`);
  }
}
module.exports = ReliabilityReporter;
