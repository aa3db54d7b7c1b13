// Jest reporter: when SAESTREAM_TEST_SUMMARY is set (by .ci/run), appends one JSON line per
// project run with its counts, so CI can print the plain closing line 'N passed, N failed'
// over every project that Nx ran.
const fs = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const file = process.env.SAESTREAM_TEST_SUMMARY;
    if (!file) return;
    const line = { passed: results.numPassedTests, failed: results.numFailedTests, skipped: results.numPendingTests + results.numTodoTests, suitesFailed: results.numFailedTestSuites };
    fs.appendFileSync(file, JSON.stringify(line) + '\n');
  }
}

module.exports = SummaryReporter;
