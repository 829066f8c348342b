import { fc, test } from '@fast-check/vitest';
import { escapeLiteral } from 'pg';
import { describe, expect, it } from 'vitest';
import { quoteLiteral } from './quote-literal.js';

describe('quoteLiteral', () => {
  it('doubles single quotes, and backslashes in an E literal', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral("a\\'b")).toBe(" E'a\\\\''b'");
    expect(quoteLiteral('')).toBe("''");
  });

  test.prop([fc.string({ unit: fc.constantFrom("'", '\\', 'a', 'é', '"', '\n') })])(
    'quotes any value as pg’s escapeLiteral does',
    (value) => {
      expect(quoteLiteral(value)).toBe(escapeLiteral(value));
    },
  );
});
