import { DateTime } from 'luxon';

/**
 * Quiet hours (pure): a non-urgent message due inside them waits for the next allowed
 * minute in the recipient's zone. `start` after `end` spans midnight (21:00–08:00).
 */
export interface QuietHours {
  start: string;
  end: string;
}

export const DEFAULT_QUIET_HOURS: QuietHours = { start: '21:00', end: '08:00' };
export const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

const minutes = (hhmm: string) => {
  const m = HH_MM.exec(hhmm);
  if (!m) throw new Error(`"${hhmm}" is not a time of day (HH:MM)`);
  return Number(m[1]) * 60 + Number(m[2]);
};

/** `at` itself when it is allowed, else the end of the quiet period it falls in. */
export function nextAllowedTime(at: Date, timezone: string, quiet: QuietHours | null): Date {
  if (!quiet) return at;
  const start = minutes(quiet.start);
  const end = minutes(quiet.end);
  if (start === end) return at;
  const local = DateTime.fromJSDate(at, { zone: timezone });
  const now = local.hour * 60 + local.minute;
  const overnight = start > end;
  const inside = overnight ? now >= start || now < end : now >= start && now < end;
  if (!inside) return at;
  let allowed = local.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 });
  if (overnight && now >= start) allowed = allowed.plus({ days: 1 });
  return allowed.toJSDate();
}
