/**
 * A phone number as digits with an optional leading +, or null when it is not one.
 * Deliberately simple (no country inference): matching needs one spelling, not validation.
 */
export function normalizePhone(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const cleaned = raw.trim().replace(/[\s\-().]/g, '');
  return /^\+?[0-9]{7,15}$/.test(cleaned) ? cleaned : null;
}
