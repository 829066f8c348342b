import type { Exchange } from './exchanges.js';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** Failed attempts at one length before the minter tries a symbol one character longer. */
const ATTEMPTS_PER_LENGTH = 16;

/**
 * Hands out ticker symbols that are unique across every exchange: letters taken from the
 * company's name where it can (`Granite Software Inc.` → `GS`, `GSI`, …), digits on Tokyo and Hong
 * Kong, plus the exchange's suffix (`.L`, `.TO`, …).
 */
export type SymbolMinter = (name: string, exchange: Exchange) => string;

/**
 * Creates a {@link SymbolMinter}. Symbols stay unique however many are minted: after a few
 * collisions at one length the minter moves on to longer symbols, so it always terminates.
 *
 * @param random - A seeded generator returning numbers in `[0, 1)`.
 * @returns A function minting one new symbol per call.
 * @example
 * const mint = createSymbolMinter(seededRandom(1));
 * mint('Granite Software Inc.', EXCHANGES[0]); // e.g. 'GSI'
 */
export function createSymbolMinter(random: () => number): SymbolMinter {
  const taken = new Set<string>();
  return (name, exchange) => {
    const initials = name
      .split(/\s+/)
      .map((word) =>
        word
          .replace(/[^A-Za-z]/g, '')
          .charAt(0)
          .toUpperCase(),
      )
      .join('');
    for (let attempt = 0; ; attempt += 1) {
      const length = (exchange.ticker === 'digits' ? 4 : 3) + Math.floor(attempt / ATTEMPTS_PER_LENGTH);
      const body =
        exchange.ticker === 'digits'
          ? randomDigits(random, length)
          : attempt === 0 && initials.length >= 2 && initials.length <= 4
            ? initials
            : lettersFrom(random, initials, length);
      const symbol = `${body}${exchange.suffix}`;
      if (!taken.has(symbol)) {
        taken.add(symbol);
        return symbol;
      }
    }
  };
}

function randomDigits(random: () => number, length: number): string {
  let digits = '';
  for (let index = 0; index < length; index += 1) digits += String(Math.floor(random() * 10));
  return digits;
}

/** The name's first initial, so symbols still hint at the company, then random letters. */
function lettersFrom(random: () => number, initials: string, length: number): string {
  let letters = initials.charAt(0) || LETTERS.charAt(Math.floor(random() * LETTERS.length));
  while (letters.length < length) letters += LETTERS.charAt(Math.floor(random() * LETTERS.length));
  return letters;
}
