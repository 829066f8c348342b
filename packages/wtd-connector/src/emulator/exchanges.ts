/**
 * A stock exchange as World Trading Data named it, with the shape of its ticker symbols.
 */
export type Exchange = {
  /** The short name, e.g. `NYSE`, sent as `stock_exchange_short`. */
  readonly short: string;
  /** The long name, e.g. `New York Stock Exchange`, sent as `stock_exchange_long`. */
  readonly long: string;
  /** The trading currency, e.g. `USD`; London quotes in pence (`GBX`), as WTD reported it. */
  readonly currency: string;
  /** Ticker suffix WTD used outside the US, e.g. `.L` for London; empty for US exchanges. */
  readonly suffix: string;
  /** Whether tickers are letters (`AAPL`) or digits (`7203.T`, `0005.HK`). */
  readonly ticker: 'letters' | 'digits';
  /** Relative share of listings on this exchange. */
  readonly weight: number;
};

/**
 * The exchanges the emulator lists stocks on, named as World Trading Data named them. US
 * exchanges carry most of the listings, as they did in WTD's search results. (NYSE's long name
 * contains "New York", which is harmless: the search looks at symbols and company names only.)
 */
export const EXCHANGES: readonly Exchange[] = [
  {
    short: 'NYSE',
    long: 'New York Stock Exchange',
    currency: 'USD',
    suffix: '',
    ticker: 'letters',
    weight: 26,
  },
  {
    short: 'NASDAQ',
    long: 'NASDAQ Stock Exchange',
    currency: 'USD',
    suffix: '',
    ticker: 'letters',
    weight: 28,
  },
  { short: 'AMEX', long: 'NYSE American', currency: 'USD', suffix: '', ticker: 'letters', weight: 5 },
  {
    short: 'LSE',
    long: 'London Stock Exchange',
    currency: 'GBX',
    suffix: '.L',
    ticker: 'letters',
    weight: 9,
  },
  {
    short: 'TSX',
    long: 'Toronto Stock Exchange',
    currency: 'CAD',
    suffix: '.TO',
    ticker: 'letters',
    weight: 7,
  },
  {
    short: 'XETRA',
    long: 'Deutsche Börse Xetra',
    currency: 'EUR',
    suffix: '.DE',
    ticker: 'letters',
    weight: 6,
  },
  { short: 'EPA', long: 'Euronext Paris', currency: 'EUR', suffix: '.PA', ticker: 'letters', weight: 4 },
  { short: 'SIX', long: 'SIX Swiss Exchange', currency: 'CHF', suffix: '.SW', ticker: 'letters', weight: 3 },
  {
    short: 'ASX',
    long: 'Australian Securities Exchange',
    currency: 'AUD',
    suffix: '.AX',
    ticker: 'letters',
    weight: 5,
  },
  { short: 'TYO', long: 'Tokyo Stock Exchange', currency: 'JPY', suffix: '.T', ticker: 'digits', weight: 4 },
  {
    short: 'HKEX',
    long: 'Hong Kong Stock Exchange',
    currency: 'HKD',
    suffix: '.HK',
    ticker: 'digits',
    weight: 3,
  },
];

/**
 * Picks an exchange at random, in proportion to the weights.
 *
 * @param random - A seeded generator returning numbers in `[0, 1)`.
 * @param exchanges - The exchanges to choose from, {@link EXCHANGES} unless given.
 * @returns One of `exchanges`.
 * @throws {RangeError} when `exchanges` is empty.
 * @example pickExchange(seededRandom(1)).currency // one of 'USD', 'GBX', 'CAD', …
 */
export function pickExchange(random: () => number, exchanges: readonly Exchange[] = EXCHANGES): Exchange {
  const total = exchanges.reduce((sum, exchange) => sum + exchange.weight, 0);
  let remaining = random() * total;
  for (const exchange of exchanges) {
    remaining -= exchange.weight;
    if (remaining < 0) return exchange;
  }
  const last = exchanges.at(-1);
  if (last === undefined) throw new RangeError('pickExchange() needs at least one exchange.');
  return last;
}
