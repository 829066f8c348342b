import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliUsageError } from './cli-error.js';
import { findConnectorPackage } from './find-connector-package.js';

describe('findConnectorPackage', () => {
  let project: string;

  beforeEach(() => {
    // Outside the repository, so only this project's node_modules (and the CLI's) are searched.
    project = realpathSync(mkdtempSync(join(tmpdir(), 'capital-find-connector-')));
    writeFileSync(join(project, 'package.json'), '{"name":"user-project","private":true}');
  });

  afterEach(() => {
    rmSync(project, { recursive: true, force: true });
  });

  function installPackage(packageName: string, manifest: Record<string, unknown>, files: string[]): string {
    const directory = join(project, 'node_modules', packageName);
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, 'package.json'), JSON.stringify({ name: packageName, ...manifest }));
    for (const file of files) {
      mkdirSync(join(directory, file, '..'), { recursive: true });
      writeFileSync(join(directory, file), 'export const connector = {};\n');
    }
    return directory;
  }

  const urlOf = (path: string): string => pathToFileURL(path).href;

  it('finds capital-connector-NAME in the project of the working folder', () => {
    const directory = installPackage('capital-connector-acme', { main: 'index.js' }, ['index.js']);

    expect(findConnectorPackage('acme', project)).toEqual({
      packageName: 'capital-connector-acme',
      url: urlOf(join(directory, 'index.js')),
    });
  });

  it('finds the project from a subfolder, as Node resolves a package', () => {
    installPackage('capital-connector-acme', {}, ['index.js']);
    const subfolder = join(project, 'jobs', 'nightly');
    mkdirSync(subfolder, { recursive: true });

    expect(findConnectorPackage('acme', subfolder)?.packageName).toBe('capital-connector-acme');
  });

  it('prefers the project’s @capital/NAME-connector to the one installed beside the CLI', () => {
    const directory = installPackage('@capital/wtd-connector', { exports: './main.js' }, ['main.js']);

    expect(findConnectorPackage('wtd', project)?.url).toBe(urlOf(join(directory, 'main.js')));
  });

  it('resolves an ESM-only package through the import condition of its exports', () => {
    const directory = installPackage(
      'capital-connector-acme',
      { type: 'module', exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } } },
      ['dist/index.js'],
    );

    expect(findConnectorPackage('acme', project)?.url).toBe(urlOf(join(directory, 'dist/index.js')));
  });

  it('finds capital-connector-NAME in another scope', () => {
    installPackage('@acme/capital-connector-orders', {}, ['index.js']);

    expect(findConnectorPackage('orders', project)?.packageName).toBe('@acme/capital-connector-orders');
  });

  it('refuses to guess between two scopes that both hold the connector', () => {
    installPackage('@acme/capital-connector-orders', {}, ['index.js']);
    installPackage('@other/capital-connector-orders', {}, ['index.js']);

    expect(() => findConnectorPackage('orders', project)).toThrow(CliUsageError);
  });

  it('says which file is missing when the package names one it does not ship', () => {
    installPackage('capital-connector-acme', { exports: { '.': { import: './dist/index.js' } } }, []);

    expect(() => findConnectorPackage('acme', project)).toThrow(
      /names \.\/dist\/index\.js, which does not exist/,
    );
  });

  it('finds nothing for a name no package has', () => {
    expect(findConnectorPackage('nothing-here', project)).toBeUndefined();
  });
});
