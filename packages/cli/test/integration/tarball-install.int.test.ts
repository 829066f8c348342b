import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresServer, postgresSinkUrl, redisUrl } from '../fixtures/services.js';
import { assertCliBuilt } from '../run-cli.js';
import { writeThirdPartyConnector } from './fixtures/third-party-connector.js';

// The packages as a user gets them: `pnpm pack` each one, `npm install` the tarballs into an
// empty project outside the repository (third-party dependencies from the registry), and run
// `npx capital` there. Nothing in the project can reach the repository's node_modules or sources,
// so a file the tarballs do not ship, a `workspace:` range or a connector looked up beside the
// CLI instead of in the user's project fails here.

const repository = fileURLToPath(new URL('../../../../', import.meta.url));
const id = randomBytes(6).toString('hex');
const limiterPrefix = `capital-test:${id}:limit:`;
const schema = `capital_test_${id}`;
const packageNames = [
  '@capital/cli',
  '@capital/core',
  '@capital/sinks',
  '@capital/stripe-connector',
  '@capital/workers',
  '@capital/wtd-connector',
];

let root: string;
let project: string;
let redis: Redis;
let admin: pg.Pool;

type Result = { readonly code: number | null; readonly stdout: string; readonly stderr: string };

/**
 * Runs a command to its end, killed if it outlives `killAfterMs`. The environment loses what a
 * package manager running this test sets (`npm_config_*`, `pnpm_*`), so npm in the project behaves
 * as in a user's shell, `VITEST*`, so a scaffold's own Vitest is not told it runs inside this one,
 * and `REDIS_URL` and `WTD_API_TOKEN`, so a run shares nothing by accident.
 */
function run(command: string, args: readonly string[], cwd: string, killAfterMs = 120_000): Promise<Result> {
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1' };
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_|vitest|redis_url$|wtd_api_token$|force_color$)/i.test(key)) env[key] = value;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function expectSuccess(pending: Promise<Result>): Promise<Result> {
  const result = await pending;
  expect(result.code, `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(0);
  return result;
}

/**
 * `npx capital …` in the project; `--no` so that npx never fetches a `capital` from the registry.
 * Killed after 90 s, within the test's own timeout, so a hung run fails with its output.
 */
const capital = (args: readonly string[]): Promise<Result> =>
  run('npx', ['--no', '--', 'capital', ...args], project, 90_000);

const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean);

beforeAll(async () => {
  assertCliBuilt();
  redis = new Redis(redisUrl);
  admin = new pg.Pool({ ...postgresServer, max: 1 });
  // Outside the repository, so that Node finds nothing of it by walking up from the project.
  root = mkdtempSync(join(tmpdir(), 'capital-tarball-'));
  const tarballs = join(root, 'tarballs');
  project = join(root, 'project');
  mkdirSync(tarballs);
  mkdirSync(project);

  await expectSuccess(
    run(
      'npx',
      ['-y', 'pnpm@12.4.2', '-r', '--filter', './packages/*', 'pack', '--pack-destination', tarballs],
      repository,
    ),
  );
  writeThirdPartyConnector(join(root, 'tally'), 'capital-connector-tally', 'tally');
  writeThirdPartyConnector(join(root, 'orders'), '@acme/capital-connector-orders', 'orders');
  for (const fixture of ['tally', 'orders']) {
    await expectSuccess(run('npm', ['pack', '--pack-destination', tarballs], join(root, fixture)));
  }
  writeFileSync(
    join(project, 'package.json'),
    '{ "name": "user-project", "version": "1.0.0", "private": true }\n',
  );
  const files = readdirSync(tarballs).map((file) => join(tarballs, file));
  expect(files).toHaveLength(packageNames.length + 2);
  await expectSuccess(
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...files], project, 240_000),
  );
}, 300_000);

afterAll(async () => {
  if (root) rmSync(root, { recursive: true, force: true });
  const keys = (await redis?.keys(`${limiterPrefix}*`)) ?? [];
  if (keys.length > 0) await redis.del(...keys);
  await redis?.quit();
  await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin?.end();
});

describe('the packed packages, installed in a project outside the repository', () => {
  it('carry the MIT licence and export only files the tarball ships', () => {
    for (const name of packageNames) {
      const folder = join(project, 'node_modules', name);
      const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as {
        license: string;
        exports: Record<string, Record<string, string>>;
        dependencies: Record<string, string>;
      };
      expect(manifest.license, name).toBe('MIT');
      // A subpath added to `exports` in the repository and forgotten in `publishConfig.exports`.
      const inRepository = JSON.parse(
        readFileSync(join(repository, 'packages', name.replace('@capital/', ''), 'package.json'), 'utf8'),
      ) as { exports: Record<string, unknown> };
      expect(Object.keys(manifest.exports), name).toEqual(Object.keys(inRepository.exports));
      expect(readFileSync(join(folder, 'LICENSE'), 'utf8')).toContain('Capital connectors contributors');
      expect(Object.values(manifest.dependencies).filter((range) => range.startsWith('workspace:'))).toEqual(
        [],
      );
      for (const [subpath, conditions] of Object.entries(manifest.exports)) {
        expect(Object.keys(conditions), `${name} ${subpath}`).not.toContain('source');
        for (const target of Object.values(conditions)) {
          expect(existsSync(join(folder, target)), `${name} ${subpath} → ${target}`).toBe(true);
        }
      }
    }
  });

  it('give a capital command that answers --help, and --version when it has one', async () => {
    const help = await expectSuccess(capital(['--help']));
    expect(help.stdout).toMatch(/^\s+run \[options\]/m);
    if (help.stdout.includes('--version')) {
      const version = await expectSuccess(capital(['--version']));
      expect(version.stdout.trim()).toBe('0.1.0');
    }
  });

  it('run wtd with its emulator and write every listing of "new york"', async () => {
    const result = await expectSuccess(capital(['run', 'wtd', '--search', 'new york', '--quiet']));

    expect(result.stderr).toMatch(/the wtd emulator runs at http:\/\/127\.0\.0\.1:\d+/);
    expect(lines(join(project, 'data', 'wtd-new-york.ndjson'))).toHaveLength(431);
  });

  it('import @capital/wtd-connector without loading its emulator or any testing entry', async () => {
    const { stdout, loaded } = await modulesLoadedBy('@capital/wtd-connector');
    expect(stdout).toBe('wtd');
    const capitalModules = loaded.filter((url) => url.includes('/node_modules/@capital/'));
    expect(capitalModules.some((url) => url.endsWith('/@capital/wtd-connector/dist/connector.js'))).toBe(
      true,
    );
    expect(capitalModules.filter((url) => /\/dist\/(emulator\/|testing[./])/.test(url))).toEqual([]);
  });

  it('find a capital-connector-NAME installed in the project by name, with the Lua and SQL the packages ship', async () => {
    const sink = `${postgresSinkUrl(schema)}&table=tally`;
    // The Redis limiter reads core's Lua scripts and the PostgreSQL sink reads the sinks' SQL
    // files, both from the installed packages. The rate grants the 5 pages at once, and leaves
    // the bucket's key in Redis for minutes (it expires a second past its tat), so that the check
    // below finds it however long a busy machine takes to get there.
    const limiter = ['--redis', redisUrl, '--limiter-prefix', limiterPrefix, '--rate', '10/10m,burst=10'];
    const flags = ['--sink', sink, ...limiter, '--quiet'];
    await expectSuccess(capital(['run', 'tally', '--count', '23', ...flags]));

    const records = await admin.query(`SELECT count(*)::int AS n FROM "${schema}"."tally"`);
    const pages = await admin.query(`SELECT count(*)::int AS n FROM "${schema}"."tally__pages"`);
    expect(records.rows[0]).toEqual({ n: 23 });
    expect(pages.rows[0]).toEqual({ n: 5 });
    expect((await redis.keys(`${limiterPrefix}*`)).length).toBeGreaterThan(0);
  });

  it('find @SCOPE/capital-connector-NAME installed in the project by name', async () => {
    const out = join(project, 'orders.ndjson');
    await expectSuccess(capital(['run', 'orders', '--count', '12', '--out', out, '--quiet']));

    const numbers = lines(out).map((line) => (JSON.parse(line) as { n: number }).n);
    expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, index) => index + 1));
  });

  it('list the connectors installed in the project in `run --help`, when the CLI lists them', async () => {
    const help = await expectSuccess(capital(['run', '--help']));
    // Only a CLI that lists installed connectors prints this heading; those that do must see the
    // project's own connectors, not only the ones beside the CLI.
    if (/connectors installed/i.test(help.stdout)) expect(help.stdout).toMatch(/^\s+tally\s/m);
  });
});

describe('a connector scaffolded by the installed CLI, packed and installed in the project', () => {
  const name = 'acme-shop';
  let connectorDir: string;

  // As its README says: `@capital/core` from its tarball (`--no-save`, so that the package keeps
  // its `^0.1.0` range instead of a path no other machine has), the rest from the registry;
  // `npm pack` builds it (`prepack`); the project installs the tarball beside Capital's.
  beforeAll(async () => {
    connectorDir = join(root, `capital-connector-${name}`);
    const created = await expectSuccess(capital(['new', 'connector', name, '--dir', connectorDir]));
    expect(created.stdout.trim()).toBe(connectorDir);
    const core = join(root, 'tarballs', 'capital-core-0.1.0.tgz');
    const npmInstall = ['install', '--no-audit', '--no-fund', '--prefer-offline'];
    await expectSuccess(run('npm', [...npmInstall, '--no-save', core], connectorDir, 240_000));
    const packed = join(root, 'connector-tarball');
    mkdirSync(packed);
    await expectSuccess(run('npm', ['pack', '--pack-destination', packed], connectorDir));
    const tarballs = readdirSync(packed);
    expect(tarballs).toEqual([`capital-connector-${name}-0.1.0.tgz`]);
    await expectSuccess(run('npm', [...npmInstall, join(packed, ...tarballs)], project, 240_000));
  }, 600_000);

  it('typechecks, sources and tests, against the types the tarballs ship', async () => {
    await expectSuccess(run('npm', ['run', 'typecheck'], connectorDir));
  });

  it('passes its own conformance suite, crash points included, and its marble test', async () => {
    const report = join(root, 'connector-report.json');
    const tests = ['test', '--', '--reporter=default', '--reporter=json', `--outputFile=${report}`];
    await expectSuccess(run('npm', tests, connectorDir, 240_000));

    const results = JSON.parse(readFileSync(report, 'utf8')) as {
      numTotalTests: number;
      numPassedTests: number;
      testResults: { name: string; assertionResults: { title: string; status: string }[] }[];
    };
    expect(results.numPassedTests).toBe(results.numTotalTests);
    const passed = results.testResults.flatMap((file) =>
      file.assertionResults
        .filter((test) => test.status === 'passed')
        .map((test) => `${basename(file.name)}: ${test.title}`),
    );
    expect(passed).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^conformance\.test\.ts: crawls to the end .* exactly once$/),
        expect.stringMatching(/^conformance\.test\.ts: honours Retry-After/),
        expect.stringMatching(/^conformance\.test\.ts: resumes after an abort after page k, for every k/),
        expect.stringMatching(
          /^conformance\.test\.ts: resumes after a sink failure after page k, for every k/,
        ),
        expect.stringMatching(/^pipeline\.marble\.test\.ts: /),
      ]),
    );
  }, 300_000);

  it('is imported without loading its emulator or any testing entry of core', async () => {
    const { stdout, loaded } = await modulesLoadedBy(`capital-connector-${name}`);
    expect(stdout).toBe(name);
    const own = `/node_modules/capital-connector-${name}/dist/`;
    expect(loaded.some((url) => url.endsWith(`${own}connector.js`))).toBe(true);
    expect(loaded.filter((url) => url.endsWith(`${own}emulator.js`))).toEqual([]);
    expect(loaded.filter((url) => /\/@capital\/core\/dist\/(testing|conformance)[./]/.test(url))).toEqual([]);
  });

  it(`is found by name: capital run ${name} crawls its emulator to the end`, async () => {
    const out = join(project, `${name}-books.ndjson`);
    const result = await expectSuccess(
      capital(['run', name, '--category', 'books', '--out', out, '--quiet']),
    );

    expect(result.stderr).toMatch(new RegExp(`the ${name} emulator runs at http://127\\.0\\.0\\.1:\\d+`));
    // The truth is the installed package's own emulator data (a module its `exports` keeps private).
    const emulator = pathToFileURL(
      join(project, 'node_modules', `capital-connector-${name}`, 'dist', 'emulator.js'),
    );
    const script = `const e = await import(${JSON.stringify(emulator.href)});
      console.log(JSON.stringify(e.itemsIn(e.generateItems(), 'books').map((item) => item.id)));`;
    const truth = await expectSuccess(run(process.execPath, ['--input-type=module', '-e', script], project));
    const expected = JSON.parse(truth.stdout) as string[];
    expect(expected.length).toBeGreaterThan(20); // more than one page
    const written = lines(out).map((line) => (JSON.parse(line) as { id: string }).id);
    expect(written.sort()).toEqual(expected.sort());
  });
});

/**
 * Imports `specifier` in a Node process in the project and prints its connector's name, while a
 * module hook (in its own thread) writes the URL of every module Node loads to a file.
 *
 * @returns What the process printed, trimmed, and the URLs it loaded.
 */
async function modulesLoadedBy(specifier: string): Promise<{ stdout: string; loaded: string[] }> {
  const log = join(root, `loaded-${randomBytes(4).toString('hex')}.txt`);
  const hook = join(root, `record-loads-${randomBytes(4).toString('hex')}.mjs`);
  const register = `${hook.slice(0, -'.mjs'.length)}-register.mjs`;
  writeFileSync(hook, recordLoadsHook(log));
  writeFileSync(register, registerHook(hook));
  const script = `const { connector } = await import(${JSON.stringify(specifier)}); console.log(connector.name);`;
  const result = await expectSuccess(
    run(process.execPath, ['--import', register, '--input-type=module', '-e', script], project),
  );
  return { stdout: result.stdout.trim(), loaded: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

const recordLoadsHook = (log: string): string => `import { appendFileSync } from 'node:fs';
export async function load(url, context, nextLoad) {
  appendFileSync(${JSON.stringify(log)}, url + '\\n');
  return nextLoad(url, context);
}
`;

const registerHook = (hook: string): string => `import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
register(pathToFileURL(${JSON.stringify(hook)}));
`;
