import { generateListings, type StockSearchPage, searchListings } from '@capital/wtd-connector/testing';
import { sendText, startStubApi } from '../../wtd-connector/test/stub-api.js';

/** How a {@link startLyingApi} server answers a page of the stock search. */
export type LyingAnswer = (
  page: number,
  honest: HonestPage,
  url: URL,
) => { status?: number; body: string; type?: string };

/** The page the API should send: 431 "new york" listings at 50 a page. */
export type HonestPage = StockSearchPage;

/** A loopback stock-search API that lies as the test says, and counts the pages asked for. */
export type LyingApi = {
  readonly url: string;
  /** The `page` of every request, in order. */
  readonly pages: readonly number[];
  close(): Promise<void>;
};

const listings = searchListings(generateListings(), 'new york');

/** The honest page `page` of the "new york" search at 50 a page. */
export function honestPage(page: number): HonestPage {
  const data = listings.slice((page - 1) * 50, page * 50);
  return {
    total_returned: data.length,
    total_results: listings.length,
    total_pages: Math.ceil(listings.length / 50),
    limit: 50,
    page,
    data,
  };
}

/** Starts a {@link LyingApi} on 127.0.0.1, port 0. */
export async function startLyingApi(answer: LyingAnswer): Promise<LyingApi> {
  const pages: number[] = [];
  const stub = await startStubApi((_request, response, url) => {
    const page = Number(url.searchParams.get('page') ?? '1');
    pages.push(page);
    const { status = 200, body, type = 'application/json' } = answer(page, honestPage(page), url);
    sendText(response, status, body, type);
  });
  return { url: stub.url, pages, close: () => stub.close() };
}

/** A JSON answer. */
export const json = (value: unknown) => ({ body: JSON.stringify(value) });
