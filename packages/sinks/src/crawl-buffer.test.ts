import { describe, expect, it } from 'vitest';
import { crawlBuffer } from './crawl-buffer.js';

describe('crawlBuffer', () => {
  it('takes the buffer the user gave as it is', () => {
    expect(crawlBuffer(4, 3, { maxPendingWrites: 1024, maxPendingRecords: 20_000 })).toEqual({ buffer: 3 });
  });

  it('keeps 2 × concurrency pages for a sink that does not group by records', () => {
    expect(crawlBuffer(4, undefined, { maxPendingWrites: 16 })).toEqual({ buffer: 8 });
    expect(crawlBuffer(3, undefined, {})).toEqual({ buffer: 6 });
  });

  it("fills a grouping sink's pending writes, bounded by its records and not by the crawl's bytes", () => {
    expect(crawlBuffer(4, undefined, { maxPendingWrites: 1024, maxPendingRecords: 20_000 })).toEqual({
      buffer: 1020,
      bufferRecords: 20_000,
      bufferBytes: Number.POSITIVE_INFINITY,
    });
  });

  it('never buffers fewer pages than 2 × concurrency', () => {
    expect(crawlBuffer(4, undefined, { maxPendingWrites: 5, maxPendingRecords: 100 })).toEqual({
      buffer: 8,
      bufferRecords: 100,
      bufferBytes: Number.POSITIVE_INFINITY,
    });
  });
});
