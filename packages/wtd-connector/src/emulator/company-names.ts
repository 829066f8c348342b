import { pick } from '@capital/core/testing';
import type { Exchange } from './exchanges.js';

// None of these words contains "new" or "york", so that an ordinary name can never match a
// search for "new york" and the number of matches is exactly the number of names made to match.
const LEADS: readonly string[] = (
  'Apex|Atlas|Atlantic|Aurora|Beacon|Blue Ridge|Boulder|Bright|Cardinal|Cascade|Cedar|' +
  'Centurion|Coastal|Crescent|Crown|Delta|Eagle|Emerald|Evergreen|Falcon|First|Frontier|' +
  'Galaxy|Golden|Granite|Harbor|Highland|Horizon|Iron|Keystone|Lakeshore|Liberty|Lighthouse|' +
  'Maple|Meridian|Midland|Monarch|Northern|Oak|Orion|Pacific|Paragon|Phoenix|Pinnacle|Pioneer|' +
  'Prairie|Quantum|Redwood|Regal|Riverside|Sapphire|Sierra|Silver|Southern|Sterling|Summit|' +
  'Sun|Titan|Trident|Union|United|Vanguard|Vertex|Western'
).split('|');

const TRADES: readonly string[] = (
  'Aerospace|Agri|Airlines|Bancorp|Biotech|Brands|Capital|Chemicals|Copper|Data|Digital|' +
  'Energy|Financial|Foods|Gold|Healthcare|Industries|Insurance|Logistics|Materials|Media|' +
  'Medical|Metals|Mining|Motors|Networks|Oil & Gas|Pharmaceuticals|Power|Realty|Resources|' +
  'Retail|Robotics|Semiconductor|Shipping|Software|Solar|Steel|Systems|Technologies|Telecom|' +
  'Therapeutics|Utilities'
).split('|');

const US_ENDINGS = ['Inc.', 'Corp.', 'Corporation', 'Holdings Inc.', 'Group Inc.', 'Co.', 'Trust', ''];
const ENDINGS_BY_EXCHANGE: Readonly<Record<string, readonly string[]>> = {
  LSE: ['plc', 'Group plc', 'Holdings plc', 'Ltd'],
  TSX: ['Inc.', 'Corp.', 'Ltd.', 'Trust'],
  XETRA: ['AG', 'SE', 'GmbH & Co. KGaA'],
  EPA: ['S.A.', 'SE', 'SCA'],
  SIX: ['AG', 'SA', 'Holding AG'],
  ASX: ['Limited', 'Ltd', 'Group Limited'],
  TYO: ['Co., Ltd.', 'Corporation', 'Holdings Co., Ltd.'],
  HKEX: ['Limited', 'Holdings Limited', 'Group Co., Ltd.'],
};

function ending(random: () => number, exchange: Exchange): string {
  return pick(random, ENDINGS_BY_EXCHANGE[exchange.short] ?? US_ENDINGS);
}

function join(...parts: string[]): string {
  return parts.filter((part) => part !== '').join(' ');
}

/**
 * Makes up a plausible company name, with a legal ending that fits the exchange (`plc` in
 * London, `AG` in Frankfurt, …). It never contains "New York", in any case.
 *
 * @param random - A seeded generator returning numbers in `[0, 1)`.
 * @param exchange - The exchange the company is listed on.
 * @returns A name such as `Granite Software Inc.` or `Harbor Mining plc`.
 * @example companyName(seededRandom(7), EXCHANGES[0]) // e.g. 'Summit Realty Trust'
 */
export function companyName(random: () => number, exchange: Exchange): string {
  const lead = pick(random, LEADS);
  const trade = pick(random, TRADES);
  const shape = random();
  if (shape < 0.15)
    return join(`${lead}${trade.toLowerCase().replace(/[^a-z]/g, '')}`, ending(random, exchange));
  if (shape < 0.3) return join(lead, pick(random, LEADS), trade, ending(random, exchange));
  return join(lead, trade, ending(random, exchange));
}

/**
 * The shapes of names that mention New York, in the cases and positions real listings use:
 * leading, trailing, all capitals, all lower case, "New York-based", in brackets.
 */
const NEW_YORK_SHAPES: readonly ((lead: string, trade: string, end: string) => string)[] = [
  (_lead, trade, end) => join('New York', trade, end),
  (lead, trade) => join(lead, trade, 'Company of New York'),
  (lead) => join('The', lead, 'Bank of New York'),
  (_lead, trade, end) => join('NEW YORK', trade, end).toUpperCase(),
  (lead, trade) => join('new york', lead, trade, 'fund').toLowerCase(),
  (lead, trade) => join('New York-based', lead, trade, 'Fund'),
  (lead) => join(lead, 'New York Municipal Bond ETF'),
  (lead, trade, end) => join(lead, trade, end, '(New York)'),
  (lead, trade) => join(lead, 'New York', trade, 'Partners LP'),
  (lead, trade) => join(`${lead.toUpperCase()} ${trade.toUpperCase()} OF NEW YORK`),
];

/**
 * Makes up a company name that contains "New York" in one of several cases and positions, for
 * the listings a search for "new york" is meant to find.
 *
 * @param random - A seeded generator returning numbers in `[0, 1)`.
 * @param exchange - The exchange the company is listed on.
 * @returns A name such as `New York Realty Trust`, `NEW YORK MINING CORP.`, `new york atlas gold
 * fund` or `Summit Capital Company of New York`.
 * @example newYorkName(seededRandom(7), EXCHANGES[0]).toLowerCase().includes('new york') // true
 */
export function newYorkName(random: () => number, exchange: Exchange): string {
  const shape = pick(random, NEW_YORK_SHAPES);
  return shape(pick(random, LEADS), pick(random, TRADES), ending(random, exchange));
}
