import { describe, expect, it } from 'vitest';
import { chooseBaseUrl } from './choose-base-url.js';
import { BaseUrlRefusedError } from './worker-errors.js';

const connector = { defaultBaseUrl: 'https://api.example.test/v1' };
const none = { default: undefined, allowed: [] };
const own = {
  default: 'http://127.0.0.1:8080',
  allowed: ['http://127.0.0.1:8080', 'https://mirror.test/api'],
};

describe('chooseBaseUrl', () => {
  it('gives a job without a base URL the worker’s default, or none (the connector’s)', () => {
    expect(chooseBaseUrl(undefined, own, connector)).toBe('http://127.0.0.1:8080');
    expect(chooseBaseUrl(undefined, none, connector)).toBeUndefined();
  });

  it('accepts a base URL the worker allows, in any spelling of it, and returns the worker’s spelling', () => {
    expect(chooseBaseUrl('https://MIRROR.test/api/', own, connector)).toBe('https://mirror.test/api');
    expect(chooseBaseUrl('http://127.0.0.1:8080', own, connector)).toBe('http://127.0.0.1:8080');
  });

  it('accepts the connector’s declared default', () => {
    expect(chooseBaseUrl('https://api.example.test/v1/', none, connector)).toBe(
      'https://api.example.test/v1',
    );
  });

  it.each([
    'http://127.0.0.1:9999',
    'http://127.0.0.1:8080/other',
    'https://mirror.test/api/../../evil',
    'https://mirror.test/api?x=1',
    'http://user:pw@127.0.0.1:8080',
    'not a url',
  ])('refuses %s, naming it and what the worker allows', (url) => {
    expect(() => chooseBaseUrl(url, own, connector)).toThrow(BaseUrlRefusedError);
    expect(() => chooseBaseUrl(url, own, connector)).toThrow(
      'this worker sends requests only to http://127.0.0.1:8080, https://mirror.test/api, https://api.example.test/v1',
    );
  });

  it('refuses any base URL when the worker was given none and the connector declares none', () => {
    expect(() => chooseBaseUrl('http://127.0.0.1:8080', none, {})).toThrow(
      "this worker sends requests only to the connector's default",
    );
  });
});
