import { describe, expect, it } from '@jest/globals';
import { isCurrency, MAX_AMOUNT, toCents } from '../../lib/money.ts';

describe('toCents', () => {
  it('keeps whole cents as they are, up to the largest amount stored', () => {
    expect(toCents(1234.56)).toBe(1234.56);
    expect(toCents(0)).toBe(0);
    expect(toCents(5e10)).toBe(5e10);
    expect(toCents(MAX_AMOUNT)).toBe(MAX_AMOUNT);
  });

  it('reads float noise as the cents it stands for', () => {
    expect(toCents(0.1 + 0.2)).toBe(0.3);
    expect(toCents(1.005 * 100) ).toBe(100.5);
  });

  it('refuses a fraction of a cent and what is not a number', () => {
    expect(toCents(12.345)).toBeNull();
    expect(toCents(0.001)).toBeNull();
    expect(toCents(Number.NaN)).toBeNull();
    expect(toCents(Number.POSITIVE_INFINITY)).toBeNull();
  });
});

describe('isCurrency', () => {
  it('knows ISO 4217 codes and nothing else', () => {
    expect(isCurrency('USD')).toBe(true);
    expect(isCurrency('EUR')).toBe(true);
    expect(isCurrency('usd')).toBe(false);
    expect(isCurrency('XYZ')).toBe(false);
  });
});
