import { CliUsageError } from '../cli-error.js';

/** The names a scaffolded connector goes by, all derived from its slug. */
export type ConnectorNames = {
  /** The slug, as typed: `acme-shop`; `capital run acme-shop`. */
  readonly slug: string;
  /** The npm package: `capital-connector-acme-shop`, which `capital run acme-shop` finds. */
  readonly packageName: string;
  /** The environment variable of its token: `ACME_SHOP_API_TOKEN`. */
  readonly envVar: string;
  /** The `type` of its tasks: `acme-shop.items`. */
  readonly taskType: string;
  /** For prose: `Acme Shop`. */
  readonly title: string;
};

const SLUG = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const MAX_LENGTH = 40;

/**
 * Checks a connector name where it enters the CLI. Only a lower-case slug passes — letters,
 * digits and single dashes, starting with a letter — so it can never name a path (`..`, `/`,
 * `~`), an npm scope, or anything a shell or a file system reads specially.
 *
 * @param name - The name as typed.
 * @returns The names derived from it.
 * @throws {CliUsageError} for anything else.
 * @example connectorNames('acme-shop').envVar // 'ACME_SHOP_API_TOKEN'
 */
export function connectorNames(name: string): ConnectorNames {
  if (name.length > MAX_LENGTH || !SLUG.test(name)) {
    throw new CliUsageError(
      `"${printable(name)}" is not a connector name: use lower-case letters, digits and single dashes, starting with a letter, at most ${MAX_LENGTH} characters (e.g. acme-shop).`,
    );
  }
  return {
    slug: name,
    packageName: `capital-connector-${name}`,
    envVar: `${name.replaceAll('-', '_').toUpperCase()}_API_TOKEN`,
    taskType: `${name}.items`,
    title: name
      .split('-')
      .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
      .join(' '),
  };
}

/** The name cut short and stripped of control characters, so the error message stays one line. */
function printable(name: string): string {
  const cleaned = name.replace(/[\p{Cc}\p{Cf}]/gu, '?');
  return cleaned.length > 60 ? `${cleaned.slice(0, 60)}…` : cleaned;
}
