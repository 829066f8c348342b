import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateListings, type Listing, searchListings } from '@capital/wtd-connector/testing';

/** How a {@link startLyingApi} server answers a page of the stock search. */
export type LyingAnswer = (
  page: number,
  honest: HonestPage,
  url: URL,
) => { status?: number; body: string; type?: string };

/** The page the API should send: 431 "new york" listings at 50 a page. */
export type HonestPage = {
  readonly total_returned: number;
  readonly total_results: number;
  readonly total_pages: number;
  readonly limit: number;
  readonly page: number;
  readonly data: readonly Listing[];
};

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
  const server = createServer((request, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://stub.invalid');
    const page = Number(url.searchParams.get('page') ?? '1');
    pages.push(page);
    const { status = 200, body, type = 'application/json' } = answer(page, honestPage(page), url);
    response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pages,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A JSON answer. */
export const json = (value: unknown) => ({ body: JSON.stringify(value) });
