// Prints the closing line of the last Vitest run, from its JSON report: `Tests: N passed, N failed, N skipped`.
// A test file that failed without a failing test (it did not load, or a hook failed) counts as one
// failure; when no report was written (the test command stopped before Vitest), nothing passed.
import { existsSync, readFileSync } from 'node:fs';

const path = new URL('../.cache/vitest-report.json', import.meta.url);
if (!existsSync(path)) {
  console.log('No Vitest report: the test command stopped before or during Vitest.');
  console.log('Tests: 0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
const report = JSON.parse(readFileSync(path, 'utf8'));
const skipped = report.numPendingTests + report.numTodoTests;
const brokenFiles = (report.testResults ?? []).filter(
  (file) =>
    file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed'),
).length;
const failed = report.numFailedTests + brokenFiles;
console.log(`Tests: ${report.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
if (report.numTotalTests === 0 || failed > 0) process.exitCode = 1;
