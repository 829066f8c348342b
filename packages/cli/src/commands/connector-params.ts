import type { Connector } from '@capital/core';
import { type Command, Option } from 'commander';
import { CliUsageError } from '../cli-error.js';
import { loadConnector } from '../load-connector.js';
import { describeInstalledConnectors } from './installed-connectors-help.js';

/**
 * Gives `command` (which takes `[connector]` and `--connector PATH`) the flags of the connector
 * named on the command line, such as `--search`: they are known only once the connector is
 * loaded, so a hook loads it when commander dispatches to the command, before it parses the
 * command's own flags. Resolves, through `connectorOf()`, to the connector it loaded. Asked for
 * help with no connector named, the command lists the installed connectors and their flags.
 *
 * @example const connectorOf = addConnectorParams(program, enqueue, io.cwd);
 */
export function addConnectorParams(program: Command, command: Command, cwd: string): () => Connector {
  let connector: Connector | undefined;
  program.hook('preSubcommand', async (parent, subcommand) => {
    // `parent.args` is the whole command line after the program name: `enqueue wtd --search …`.
    if (subcommand !== command || parent.args[0] !== command.name()) return;
    const args = parent.args.slice(1);
    connector = await connectorNamedIn(args, cwd);
    if (!connector && (args.includes('--help') || args.includes('-h'))) {
      command.addHelpText('after', await describeInstalledConnectors(command.name(), cwd));
    }
    for (const param of connector?.params ?? []) {
      command.addOption(new Option(`--${param.name}${param.switch ? '' : ' <value>'}`, param.description));
    }
  });
  return () => {
    if (!connector) {
      throw new CliUsageError(
        `Name a connector (e.g. \`capital ${command.name()} wtd\`) or pass --connector PATH.`,
      );
    }
    return connector;
  };
}

/** The values of a connector's parameters among a command's flags. */
export function readConnectorParams(
  connector: Connector,
  flags: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const params: Record<string, string> = {};
  for (const param of connector.params) {
    // commander names `--created-gte`'s value `createdGte`.
    const given = flags[param.name] ?? flags[camelCase(param.name)];
    const value = param.switch ? (given === true ? 'true' : undefined) : (given ?? param.default);
    if (typeof value === 'string') params[param.name] = value;
    else if (param.required) throw new CliUsageError(`--${param.name} is required: ${param.description}.`);
  }
  return params;
}

function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

async function connectorNamedIn(args: readonly string[], cwd: string): Promise<Connector | undefined> {
  const pathAt = args.indexOf('--connector');
  const path = pathAt >= 0 ? args[pathAt + 1] : undefined;
  if (path) return loadConnector({ path }, cwd);
  const [name] = args;
  if (!name || name.startsWith('-')) return undefined;
  return loadConnector({ name }, cwd);
}
