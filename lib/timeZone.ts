import { DateTime } from 'luxon';

/**
 * A zone both Intl (which writes times in templates) and luxon (which does the arithmetic)
 * understand. Intl is the stricter: luxon alone would take `UTC+3`, which Intl refuses.
 */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return DateTime.now().setZone(tz).isValid;
  } catch {
    return false;
  }
}
