/**
 * A phone number in one spelling, so the same number typed in different ways matches:
 * `+` and digits for international numbers (a leading 00 becomes +), a 10-digit North
 * American number gains +1; other digit runs of 7–15 stay as they are. Null when it is
 * not a phone number. Matching, not validation: no country is inferred beyond that.
 */
export function normalizePhone(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const trimmed = raw.trim();
  if (/[^\d\s\-().+]/.test(trimmed)) return null;
  const digits = trimmed.replace(/\D/g, '');
  if (trimmed.startsWith('+')) return digits.length >= 8 && digits.length <= 15 ? `+${digits}` : null;
  if (digits.startsWith('00')) return digits.length >= 10 && digits.length <= 17 ? `+${digits.slice(2)}` : null;
  if (digits.length === 10 && !digits.startsWith('0') && !digits.startsWith('1')) return `+1${digits}`;
  if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
  return digits.length >= 7 && digits.length <= 15 ? digits : null;
}
