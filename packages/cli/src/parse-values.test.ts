import { describe, expect, it } from 'vitest';
import { CliUsageError } from './cli-error.js';
import { parseRateFlag, parseShare, parseToken, parseUrl, parseWholeNumber, slug } from './parse-values.js';

describe('parseWholeNumber', () => {
  it('reads a whole number within its bounds', () => {
    expect(parseWholeNumber('--concurrency', '4', 1, 1024)).toBe(4);
  });

  it('accepts both bounds', () => {
    expect(parseWholeNumber('--retries', '0', 0, 100)).toBe(0);
    expect(parseWholeNumber('--retries', '100', 0, 100)).toBe(100);
  });

  it('ignores the spaces around the number', () => {
    expect(parseWholeNumber('--port', ' 8080 ', 0, 65_535)).toBe(8080);
  });

  it.each(['1.5', '1e3', '0x10', 'four', '', ' ', '3 pages'])(
    'refuses %j, naming the flag and the bounds',
    (text) => {
      expect(() => parseWholeNumber('--concurrency', text, 1, 1024)).toThrow(
        new CliUsageError(`--concurrency takes a whole number from 1 to 1024, got "${text}".`),
      );
    },
  );

  it('refuses a number below the minimum', () => {
    expect(() => parseWholeNumber('--concurrency', '0', 1, 1024)).toThrow(CliUsageError);
  });

  it('refuses a number above the maximum', () => {
    expect(() => parseWholeNumber('--port', '65536', 0, 65_535)).toThrow(CliUsageError);
  });

  it('says "up" when there is no maximum', () => {
    expect(() => parseWholeNumber('--buffer', '-1', 0)).toThrow(
      '--buffer takes a whole number from 0 up, got "-1".',
    );
  });
});

describe('parseShare', () => {
  it.each([
    ['0', 0],
    ['0.2', 0.2],
    ['.5', 0.5],
    ['1', 1],
    ['20%', 0.2],
    [' 100 % ', 1],
    ['0%', 0],
  ])('reads %j as %d', (text, share) => {
    expect(parseShare('--fault-rate', text)).toBeCloseTo(share, 12);
  });

  it.each(['', ' ', '%', '1.5', '150%', '-0.1', 'half', '0x1', 'Infinity', 'NaN'])(
    'refuses %j with a message that says what a share looks like',
    (text) => {
      expect(() => parseShare('--fault-rate', text)).toThrow(
        new CliUsageError(`--fault-rate takes a share from 0 to 1 (or 0% to 100%), got "${text}".`),
      );
    },
  );
});

describe('parseRateFlag', () => {
  it('reads LIMIT/PERIOD', () => {
    expect(parseRateFlag('--rate', '9/1s')).toEqual({ limit: 9, periodMs: 1000, burst: 1 });
  });

  it('reads a burst', () => {
    expect(parseRateFlag('--rate', '20/1s,burst=5')).toEqual({ limit: 20, periodMs: 1000, burst: 5 });
  });

  it('reads other units', () => {
    expect(parseRateFlag('--rate', '100/1m')).toEqual({ limit: 100, periodMs: 60_000, burst: 1 });
    expect(parseRateFlag('--rate', '5/500ms')).toEqual({ limit: 5, periodMs: 500, burst: 1 });
  });

  it.each(['off', 'OFF', ' Off '])('reads %j as no limit', (text) => {
    expect(parseRateFlag('--rate', text)).toBeUndefined();
  });

  it('refuses text that is not a rate with a usage error showing what a rate looks like', () => {
    const error = (() => {
      try {
        parseRateFlag('--rate', 'fast');
      } catch (caught) {
        return caught;
      }
    })();

    expect(error).toBeInstanceOf(CliUsageError);
    expect((error as Error).message).toMatch(/--rate/);
    expect((error as Error).message).toMatch(/"fast" is not a rate; write LIMIT\/PERIOD such as 9\/1s/);
  });

  it.each(['0/1s', '9/0s', '5/1s,burst=6', '', '9'])('refuses %j as a usage error', (text) => {
    expect(() => parseRateFlag('--rate', text)).toThrow(CliUsageError);
  });
});

describe('parseUrl', () => {
  it('reads an http URL without its trailing slash', () => {
    expect(parseUrl('--base-url', 'http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
  });

  it('keeps a path', () => {
    expect(parseUrl('--base-url', 'https://api.example.com/wtd/')).toBe('https://api.example.com/wtd');
  });

  it('refuses text that is not a URL, with an example of one', () => {
    expect(() => parseUrl('--base-url', 'localhost 8080')).toThrow(
      new CliUsageError('--base-url takes a URL such as http://127.0.0.1:8080, got "localhost 8080".'),
    );
  });

  it('refuses a scheme other than http and https', () => {
    expect(() => parseUrl('--base-url', 'ftp://example.com')).toThrow(
      new CliUsageError('--base-url takes an http or https URL, got "ftp:".'),
    );
  });
});

describe('slug', () => {
  it.each([
    ['new york', 'new-york'],
    ['New York', 'new-york'],
    ['S&P 500', 's-p-500'],
    ['  --gold--  ', 'gold'],
    ['a/b\\c..d', 'a-b-c-d'],
    ['Zürich', 'zurich'],
    ['日本', '日本'],
  ])('turns %j into %j', (text, expected) => {
    expect(slug(text)).toBe(expected);
  });

  it.each(['', '   ', '&&'])('turns %j, which has no letter or digit, into "all"', (text) => {
    expect(slug(text)).toBe('all');
  });

  it('never yields a path separator or a leading dot', () => {
    expect(slug('../../etc/passwd')).toBe('etc-passwd');
  });
});

describe('parseToken', () => {
  it('gives a token back as it is', () => {
    expect(parseToken('--token', ' s3cret ')).toBe(' s3cret ');
  });

  it.each(['', '  '])('refuses the empty token %j as a usage error', (text) => {
    expect(() => parseToken('--token', text)).toThrow(new CliUsageError('--token: the token is empty.'));
  });
});
