import { describe, expect, it } from 'vitest';
import { connectorNames } from './connector-name.js';

describe('connectorNames', () => {
  it('derives the package, token variable, task type and title from a slug', () => {
    expect(connectorNames('acme-shop')).toEqual({
      slug: 'acme-shop',
      packageName: 'capital-connector-acme-shop',
      envVar: 'ACME_SHOP_API_TOKEN',
      taskType: 'acme-shop.items',
      title: 'Acme Shop',
    });
  });

  it.each([
    '',
    '..',
    '../evil',
    'a/b',
    '/abs',
    '~home',
    '@scope/x',
    'Acme',
    'acme_shop',
    'acme--shop',
    '-acme',
    'acme-',
    '1acme',
    'acme shop',
    'acme\nshop',
    'a'.repeat(41),
  ])('refuses %j', (name) => {
    expect(() => connectorNames(name)).toThrow(/is not a connector name/);
  });

  it('keeps control characters out of its message', () => {
    expect(() => connectorNames('bad\u001b[31mname')).toThrow('"bad?[31mname" is not a connector name');
  });
});
