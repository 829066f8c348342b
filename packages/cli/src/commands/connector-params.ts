import type { Connector, ConnectorParam } from '@capital/core';
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
    if (typeof value === 'string') params[param.name] = checkParamValue(param, value);
    else if (param.required) throw new CliUsageError(`--${param.name} is required: ${param.description}.`);
  }
  return params;
}

/** ISO 8601: a date, or a date-time with seconds optional and a zone `Z` or `±hh:mm` optional. */
const isoDate = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** The value if it is of the parameter's `type`; a usage error naming the flag (not the value) otherwise. */
function checkParamValue(param: ConnectorParam, value: string): string {
  const refuse = (what: string): never => {
    throw new CliUsageError(`--${param.name} takes ${what}: ${param.description}.`);
  };
  switch (param.type ?? 'string') {
    case 'integer':
      if (!/^-?\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) refuse('a whole number');
      break;
    case 'date': {
      // `Date.parse` alone takes "2026-02-31" (as 3 March) and many non-ISO forms.
      const day = value.slice(0, 10);
      const parsed = new Date(`${day}T00:00:00Z`);
      if (
        !isoDate.test(value) ||
        Number.isNaN(Date.parse(value)) ||
        parsed.toISOString().slice(0, 10) !== day
      )
        refuse('an ISO 8601 date such as 2026-01-31');
      break;
    }
  }
  return value;
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
