import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, runCli } from '../run-cli.js';

// The scaffold is generated INSIDE the repository, under the git- and Biome-ignored `.cache/`,
// so that its imports (`@capital/core`, `vitest`, `rxjs`) resolve through the repository's
// node_modules, as they would through the package's own after `npm install`, with no install
// and no network. `@capital/core` resolves to its build (`dist/`), as for a user; the test
// command builds before Vitest runs. The scaffold's own vitest.config.ts stops Vitest from
// walking up to the repository's config.
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const require = createRequire(import.meta.url);
const vitestBin = join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');
const tscBin = require.resolve('typescript/bin/tsc');

let root: string;

beforeAll(async () => {
  assertCliBuilt();
  await mkdir(join(repoRoot, '.cache'), { recursive: true });
  root = await mkdtemp(join(repoRoot, '.cache', 'scaffold-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs `node ...args` in `cwd` to the end, with everything it printed. */
function runNode(args: readonly string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('capital new connector', () => {
  it('scaffolds a package that typechecks and passes its conformance suite and marble test as generated', async () => {
    const dir = join(root, 'acme-shop');
    const created = await runCli(['new', 'connector', 'acme-shop', '--dir', dir], { cwd: root });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout.trim()).toBe(dir);
    expect((await readdir(join(dir, 'src'))).sort()).toEqual([
      'conformance.test.ts',
      'connector.ts',
      'emulator.ts',
      'index.ts',
      'pipeline.marble.test.ts',
    ]);
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: 'capital-connector-acme-shop', license: 'MIT' });
    expect(await readFile(join(dir, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);

    const typecheck = await runNode([tscBin, '-p', join(dir, 'tsconfig.json')], dir);
    expect(typecheck.code, typecheck.output).toBe(0);

    const report = join(root, 'acme-shop-report.json');
    const tests = await runNode(
      [vitestBin, 'run', '--root', dir, '--reporter=json', `--outputFile=${report}`],
      dir,
    );
    expect(tests.code, tests.output).toBe(0);
    const results = JSON.parse(await readFile(report, 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
      testResults: { name: string }[];
    };
    expect(results.numFailedTests).toBe(0);
    expect(results.numPassedTests).toBe(8); // seven conformance checks and one marble test
    expect(results.testResults.map((file) => file.name.slice(dir.length + 1)).sort()).toEqual([
      'src/conformance.test.ts',
      'src/pipeline.marble.test.ts',
    ]);
  });

  it('builds into a connector that capital run loads and crawls against its emulator', async () => {
    const dir = join(root, 'beta');
    expect((await runCli(['new', 'connector', 'beta', '--dir', dir], { cwd: root })).code).toBe(0);
    const build = await runNode([tscBin, '-p', join(dir, 'tsconfig.build.json')], dir);
    expect(build.code, build.output).toBe(0);

    const out = join(root, 'beta-books.ndjson');
    const run = await runCli(
      ['run', '--connector', join(dir, 'dist', 'index.js'), '--category', 'books', '--out', out, '--quiet'],
      { cwd: root },
    );
    expect(run.code, run.stderr).toBe(0);
    const emulator = (await import(pathToFileURL(join(dir, 'dist', 'emulator.js')).href)) as {
      generateItems(): { id: string }[];
      itemsIn(items: readonly { id: string }[], category: string): { id: string }[];
    };
    const expected = emulator.itemsIn(emulator.generateItems(), 'books').map((item) => item.id);
    const written = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { id: string }).id);
    expect(written.sort()).toEqual([...expected].sort());
    expect(expected.length).toBeGreaterThan(20); // more than one page
  });

  it.each([['../evil'], ['Acme'], ['a/b'], ['acme_shop']])(
    'refuses the name %j with exit code 2 and writes nothing',
    async (name) => {
      const dir = join(root, 'refused');
      const result = await runCli(['new', 'connector', name, '--dir', dir], { cwd: root });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('is not a connector name');
      expect(existsSync(dir)).toBe(false);
    },
  );

  it('refuses a folder that is not empty, and leaves what is there alone', async () => {
    const dir = join(root, 'taken');
    await mkdir(dir);
    await writeFile(join(dir, 'package.json'), '{"name":"mine"}');
    const result = await runCli(['new', 'connector', 'taken', '--dir', dir], { cwd: root });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not empty');
    expect(await readdir(dir)).toEqual(['package.json']);
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe('{"name":"mine"}');
  });
});
