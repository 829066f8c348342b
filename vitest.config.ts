import { defineConfig } from 'vitest/config';
import { projects } from './vitest.workspace.js';

export default defineConfig({
  test: {
    projects,
    // The JSON report lets .ci/run print one closing line of counts (VITEST_REPORT: where, for a
    // second run such as the Node.js 24 one).
    reporters: [
      'default',
      ['json', { outputFile: process.env.VITEST_REPORT || '.cache/vitest-report.json' }],
    ],
  },
});
