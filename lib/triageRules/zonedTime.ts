/**
 * Wall-clock arithmetic in an IANA time zone using only Intl: enough to turn "tomorrow at
 * 3pm in America/New_York" into an instant and print it as ISO-8601 with its offset.
 * Pure; no date library.
 */

/** A calendar day as people in some zone say it; month is 1-12. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** A wall-clock time; hour is 0-23. */
export interface LocalTime {
  hour: number;
  minute: number;
}

export interface LocalDateTime extends LocalDate, LocalTime {
  second: number;
}

const formatterCache = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatterCache.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatterCache.set(timeZone, formatter);
  }
  return formatter;
}

/** True when Intl knows the zone; unknown zones would otherwise throw deep inside formatting. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock reading of `instant` in `timeZone`. */
export function toZonedDateTime(instant: Date, timeZone: string): LocalDateTime {
  const parts = formatterFor(timeZone).formatToParts(instant);
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** Minutes east of UTC that `timeZone` observes at `instant` (e.g. -240 for New York in summer). */
export function zoneOffsetMinutes(instant: Date, timeZone: string): number {
  const local = toZonedDateTime(instant, timeZone);
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  const wholeSeconds = Math.floor(instant.getTime() / 1000) * 1000;
  return Math.round((asUtc - wholeSeconds) / 60_000);
}

/**
 * The instant at which clocks in `timeZone` show `local`. Two passes, because the offset
 * to subtract is the one in force at the answer, not at the naive guess. Wall times that
 * do not exist (spring-forward gap) land just after the gap; repeated ones (fall-back)
 * resolve to one of the two readings.
 */
export function zonedToInstant(local: LocalDate & LocalTime, timeZone: string): Date {
  const naive = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  const firstOffset = zoneOffsetMinutes(new Date(naive), timeZone);
  const firstGuess = naive - firstOffset * 60_000;
  const secondOffset = zoneOffsetMinutes(new Date(firstGuess), timeZone);
  return new Date(naive - secondOffset * 60_000);
}

const pad = (n: number, width = 2): string => String(Math.abs(n)).padStart(width, '0');

/** `instant` as "YYYY-MM-DDTHH:mm:ss±HH:MM" in `timeZone` ("+00:00" rather than "Z", for a uniform shape). */
export function formatZonedIso(instant: Date, timeZone: string): string {
  const local = toZonedDateTime(instant, timeZone);
  const offset = zoneOffsetMinutes(instant, timeZone);
  const sign = offset < 0 ? '-' : '+';
  return (
    `${pad(local.year, 4)}-${pad(local.month)}-${pad(local.day)}T${pad(local.hour)}:${pad(local.minute)}:${pad(local.second)}` +
    `${sign}${pad(Math.trunc(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
  );
}

/** `date` shifted by whole days, with month/year rollover. */
export function addDays(date: LocalDate, days: number): LocalDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

/** 0 = Sunday … 6 = Saturday, like Date#getDay. */
export function weekdayOf(date: LocalDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
}

/** Whether year/month/day names a real calendar day (rejects "February 30"). */
export function isRealDate(date: LocalDate): boolean {
  if (date.month < 1 || date.month > 12 || date.day < 1) return false;
  const probe = new Date(Date.UTC(date.year, date.month - 1, date.day));
  return probe.getUTCMonth() === date.month - 1 && probe.getUTCDate() === date.day;
}

/** Negative, zero or positive as `a` is before, on or after `b`. */
export function compareLocalDates(a: LocalDate, b: LocalDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

/** "YYYY-MM-DD". */
export function formatLocalDate(date: LocalDate): string {
  return `${pad(date.year, 4)}-${pad(date.month)}-${pad(date.day)}`;
}
