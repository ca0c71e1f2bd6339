/**
 * Money amounts as the API takes them: JSON numbers in a currency's major unit (dollars),
 * stored as numeric(14, 2). Floats cannot say 0.30 exactly, so an amount counts as whole
 * cents when it is within the float's own rounding error of them (0.1 + 0.2 is 0.30);
 * anything finer (12.345) is refused rather than rounded, so nothing is silently changed.
 */

/** The largest amount numeric(14, 2) holds. */
export const MAX_AMOUNT = 999_999_999_999.99;

/** The amount rounded to whole cents, or null when it has a fraction of a cent. */
export function toCents(amount: number): number | null {
  if (!Number.isFinite(amount)) return null;
  const rounded = Number(amount.toFixed(2));
  const noise = Number.EPSILON * Math.max(1, Math.abs(amount)) * 4;
  return Math.abs(amount - rounded) <= noise ? rounded : null;
}

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** An ISO 4217 code this runtime knows (it can format amounts in it). */
export const isCurrency = (code: string): boolean => CURRENCIES.has(code);
