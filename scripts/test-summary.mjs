// Prints one closing line for the Vitest runs whose JSON reports are named on the command line
// (default: .cache/vitest-report.json): `Tests: N passed, N failed, N skipped`, summed.
// A test file that failed without a failing test (it did not load, or a hook failed) counts as one
// failure; a missing report (its run stopped before or during Vitest) counts as one failure too.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const paths = process.argv.length > 2 ? process.argv.slice(2) : ['.cache/vitest-report.json'];
const total = { passed: 0, failed: 0, skipped: 0, ran: 0 };
for (const path of paths.map((each) => resolve(each))) {
  if (!existsSync(path)) {
    console.log(`No Vitest report at ${path}: its run stopped before or during Vitest.`);
    total.failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(path, 'utf8'));
  const brokenFiles = (report.testResults ?? []).filter(
    (file) =>
      file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed'),
  ).length;
  total.passed += report.numPassedTests;
  total.failed += report.numFailedTests + brokenFiles;
  total.skipped += report.numPendingTests + report.numTodoTests;
  total.ran += report.numTotalTests;
}
console.log(`Tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
if (total.ran === 0 || total.failed > 0) process.exitCode = 1;
