import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { staticImportGraph } from '../../core/test/fixtures/static-import-graph.js';

describe('the main entry of @capital/wtd-connector', () => {
  const graph = staticImportGraph(new URL('./index.ts', import.meta.url));

  it('loads the connector, its handler and its client', () => {
    const names = [...graph.files].map((file) => file.split(/[\\/]/).pop());
    expect(names).toEqual(expect.arrayContaining(['index.ts', 'connector.ts', 'handler.ts', 'client.ts']));
  });

  it('loads no module of the emulator, which only the testing entry serves', () => {
    const emulatorDirectory = fileURLToPath(new URL('./emulator/', import.meta.url));
    const testingEntry = fileURLToPath(new URL('./testing.ts', import.meta.url));
    const loaded = [...graph.files].filter(
      (file) => file.startsWith(emulatorDirectory) || file === testingEntry,
    );
    expect(loaded).toEqual([]);
  });

  it("loads no other package's testing entry", () => {
    expect([...graph.packages].filter((name) => name.endsWith('/testing'))).toEqual([]);
  });
});
