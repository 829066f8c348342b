import { describe, expect, it } from 'vitest';
import { malformedPage, serverError, tooManyRequests } from './emulator-response.js';

describe('tooManyRequests', () => {
  it.each([
    [1, '1', '1'],
    [999.2, '1', '1000'],
    [1000, '1', '1000'],
    [1001, '2', '1001'],
  ])('turns %d ms into Retry-After %s and Retry-After-Ms %s', (milliseconds, seconds, exact) => {
    const response = tooManyRequests(milliseconds);
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe(seconds);
    expect(response.headers['retry-after-ms']).toBe(exact);
  });
});

describe('serverError', () => {
  it('words a JSON error like the application', () => {
    expect(JSON.parse(serverError(503, 'json').body)).toEqual({ message: 'Service Unavailable' });
  });

  it('words an HTML error like a proxy', () => {
    expect(serverError(502, 'html').body).toContain('<h1>502 Bad Gateway</h1>');
  });
});

describe('malformedPage', () => {
  const page = { total_returned: 0, total_results: 0, total_pages: 0, limit: 50, page: 1, data: [] };

  it('cuts JSON short so that it never parses, even for an empty page', () => {
    expect(() => JSON.parse(malformedPage(page, 'truncated-json').body)).toThrow(SyntaxError);
  });

  it('drops the data array and keeps the totals', () => {
    expect(JSON.parse(malformedPage(page, 'missing-data').body)).toEqual({
      total_returned: 0,
      total_results: 0,
      total_pages: 0,
      limit: 50,
      page: 1,
    });
  });

  it('sends an HTML page with status 200', () => {
    const response = malformedPage(page, 'html');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
  });
});
