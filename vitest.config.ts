import { defineConfig } from 'vitest/config';
import { projects } from './vitest.workspace.js';

export default defineConfig({
  test: {
    projects,
    // The JSON report lets .ci/run print one closing line of counts.
    reporters: ['default', ['json', { outputFile: '.cache/vitest-report.json' }]],
  },
});
