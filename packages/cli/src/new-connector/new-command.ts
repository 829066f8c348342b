import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ProgramIo } from '../program.js';
import { connectorNames } from './connector-name.js';
import { scaffoldConnector } from './scaffold-connector.js';

/** Flags of `capital new connector`. */
export type NewConnectorFlags = { readonly dir?: string };

/** The CLI's own version: packages of one release move together, so it is core's too. */
function ownVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/**
 * Registers `capital new connector NAME [--dir PATH]`: scaffolds a connector package that passes
 * the conformance suite as generated.
 */
export function registerNewCommand(program: Command, io: ProgramIo): void {
  program
    .command('new')
    .description('create a new piece of Capital')
    .command('connector')
    .description('scaffold a connector package: handler, emulator, conformance and marble tests')
    .argument('<name>', 'the connector name, a lower-case slug such as acme-shop')
    .option('--dir <path>', 'the folder to create (default: ./capital-connector-NAME)')
    .action(async (name: string, flags: NewConnectorFlags) => {
      const names = connectorNames(name);
      const dir = resolve(io.cwd, flags.dir ?? names.packageName);
      const files = await scaffoldConnector({ names, dir, coreVersion: ownVersion() });
      io.stderr.write(
        `Created ${names.packageName} (${files.length} files). Next: cd ${dir}, install it as its README's ` +
          '"Develop" section says (@capital/core from the registry or from its tarball), then npm test\n',
      );
      io.stdout.write(`${dir}\n`);
    });
}
