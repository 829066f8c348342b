import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The modules that loading `file` loads: its static `import … from` and `export … from`, followed
 * through this package's own files. Type-only ones are erased by the compiler and dynamic
 * `import()` runs only when called, so neither counts. Bare specifiers (other packages) are
 * listed but not followed.
 */
function staticImportGraph(entry: URL): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  for (let url = pending.pop(); url; url = pending.pop()) {
    const path = fileURLToPath(url);
    if (files.has(path)) continue;
    files.add(path);
    const source = ts.createSourceFile(path, readFileSync(url, 'utf8'), ts.ScriptTarget.Latest);
    for (const statement of source.statements) {
      const specifier =
        (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly) ||
        (ts.isExportDeclaration(statement) && !statement.isTypeOnly)
          ? statement.moduleSpecifier
          : undefined;
      if (!specifier || !ts.isStringLiteral(specifier)) continue;
      if (specifier.text.startsWith('.')) pending.push(new URL(specifier.text.replace(/\.js$/, '.ts'), url));
      else packages.add(specifier.text);
    }
  }
  return { files, packages };
}

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
