import { describe, expect, it } from 'vitest';
import { defaultErrorResponse } from './emulator-error.js';
import { jsonResponse } from './emulator-response.js';
import { malformedResponse, serverErrorResponse } from './fault-responses.js';

describe('serverErrorResponse', () => {
  it('words a JSON error like the application, through the API error callback', () => {
    const response = serverErrorResponse(503, 'json', (error) =>
      jsonResponse(error.status, { m: error.message }),
    );
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body)).toEqual({ m: 'Service Unavailable' });
    expect(JSON.parse(serverErrorResponse(500, 'json', defaultErrorResponse).body)).toEqual({
      error: { code: 'server_error', message: 'Server Error' },
    });
  });

  it('words an HTML error like a proxy', () => {
    const response = serverErrorResponse(502, 'html', defaultErrorResponse);
    expect(response.body).toContain('<h1>502 Bad Gateway</h1>');
    expect(response.headers['content-type']).toBe('text/html; charset=UTF-8');
  });
});

describe('malformedResponse', () => {
  const page = { total_returned: 0, total_results: 0, total_pages: 0, limit: 50, page: 1, data: [] };
  const good = jsonResponse(200, page);

  it('cuts JSON short so that it never parses, even for an empty page', () => {
    expect(() => JSON.parse(malformedResponse(good, 'truncated-json').body)).toThrow(SyntaxError);
    expect(() => JSON.parse(malformedResponse(jsonResponse(200, {}), 'truncated-json').body)).toThrow(
      SyntaxError,
    );
  });

  it('drops the data field and keeps the rest', () => {
    expect(JSON.parse(malformedResponse(good, 'missing-data').body)).toEqual({
      total_returned: 0,
      total_results: 0,
      total_pages: 0,
      limit: 50,
      page: 1,
    });
  });

  it('drops another field when told', () => {
    const list = jsonResponse(200, { object: 'list', items: [1], has_more: false });
    expect(JSON.parse(malformedResponse(list, 'missing-data', 'items').body)).toEqual({
      object: 'list',
      has_more: false,
    });
  });

  it('cuts a body that is not a JSON object short instead of dropping a field', () => {
    const array = jsonResponse(200, [1, 2, 3]);
    expect(() => JSON.parse(malformedResponse(array, 'missing-data').body)).toThrow(SyntaxError);
  });

  it('sends an HTML page with status 200', () => {
    const response = malformedResponse(good, 'html');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
  });
});
