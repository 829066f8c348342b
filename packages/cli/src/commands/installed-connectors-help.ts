import type { Connector } from '@capital/core';
import { listInstalledConnectors, loadConnector } from '../load-connector.js';

/**
 * The help text that lists the installed connectors and their parameters, for `capital run
 * --help` and the like: a connector's flags (`--search`) exist only once it is named, so without
 * this list a user never learns them.
 *
 * @example command.addHelpText('after', await describeInstalledConnectors('run', process.cwd()));
 */
export async function describeInstalledConnectors(commandName: string, cwd: string): Promise<string> {
  const connectors: Connector[] = [];
  for (const name of await listInstalledConnectors(cwd)) {
    // A package that fails to load is left out of the list; naming it gives its error.
    const connector = await loadConnector({ name }, cwd).catch(() => undefined);
    if (connector) connectors.push(connector);
  }
  if (connectors.length === 0) {
    return '\nNo connector is installed: install @capital/NAME-connector, or pass --connector PATH.\n';
  }
  const lines = [`\nConnectors installed (\`capital ${commandName} NAME --help\` shows one):`];
  for (const connector of connectors) {
    lines.push(`  ${connector.name}  ${connector.description}`);
    for (const param of connector.params) {
      const note = param.required
        ? ' (required)'
        : param.default === undefined
          ? ''
          : ` (default: ${param.default})`;
      lines.push(`      --${param.name}${param.switch ? '' : ' <value>'}  ${param.description}${note}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
