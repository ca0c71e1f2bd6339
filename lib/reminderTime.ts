import { DateTime } from 'luxon';
import rrulePkg from 'rrule';
import { BudgetExceededError, withinBudget } from './computeBudget.ts';
import { rruleProblem } from './rruleParts.ts';
export { parseOffset } from './reminderOffset.ts';
export { isTimeZone } from './timeZone.ts';

// rrule ships CommonJS beside its ESM build; the default import works under both.
const { RRule } = rrulePkg;

/**
 * When a reminder is due (pure): an absolute time, or an offset from a calendar event,
 * optionally repeating by an RFC 5545 RRULE. Recurrence runs on the wall clock of the
 * reminder's IANA zone, so "every day at 09:00" stays 09:00 across a DST change: the rule
 * expands over floating (zone-less) times and each result is placed back in the zone.
 */

/** The RRULE's options, or an error message. A DTSTART in the text is refused: the reminder's time is the start. */
export function parseRrule(text: string): { ok: true } | { ok: false; message: string } {
  const body = text.trim().replace(/^RRULE:/i, '');
  if (/DTSTART|\n/i.test(body)) return { ok: false, message: 'give only the RRULE part (FREQ=…;…): the start is send_at or the event' };
  const problem = rruleProblem(body);
  if (problem) return { ok: false, message: problem };
  try {
    RRule.parseString(body);
    return { ok: true };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : 'not a valid RRULE' };
  }
}

const floating = (at: Date, tz: string): Date => {
  const local = DateTime.fromJSDate(at, { zone: tz });
  return new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second, local.millisecond));
};
/**
 * A floating wall time placed in its zone, as RFC 5545 §3.3.5 places one: a time the clock
 * skips (springing forward) takes the offset from before the gap (02:30 is 03:30 EDT), and
 * a time it passes twice (falling back) is its first pass (01:30 EDT, not 01:30 EST).
 */
const unfloat = (f: Date, tz: string): Date => {
  const placed = DateTime.fromObject(
    { year: f.getUTCFullYear(), month: f.getUTCMonth() + 1, day: f.getUTCDate(), hour: f.getUTCHours(), minute: f.getUTCMinutes(), second: f.getUTCSeconds(), millisecond: f.getUTCMilliseconds() },
    { zone: tz },
  );
  const offsetBefore = placed.minus({ hours: 3 }).offset;
  if (offsetBefore !== placed.offset) {
    const first = DateTime.fromMillis(f.getTime() - offsetBefore * 60_000, { zone: tz });
    if (first < placed && first.hour === placed.hour && first.minute === placed.minute) return first.toJSDate();
  }
  return placed.toJSDate();
};

/**
 * How long one search for a rule's next occurrence may run. A rule that matches no day at
 * all (BYMONTH=2;BYMONTHDAY=30) makes the rrule library walk every day up to the year
 * 9999, seconds of a blocked event loop; a rule that matches finds its next day in
 * milliseconds, a rare one (February 29 on a Monday) in tens.
 */
export const RRULE_SEARCH_BUDGET_MS = 250;

export interface Recurrence {
  /** The first occurrence (send_at, or the event's start plus the offset). */
  anchor: Date;
  timezone: string;
  rrule?: string | null;
  until?: Date | null;
}

/**
 * The first occurrence strictly after `after` (or the anchor itself when `after` is null),
 * or null when there is none (a one-off already sent, the rule or `until` exhausted).
 * Throws BudgetExceededError when the rule's search runs past RRULE_SEARCH_BUDGET_MS.
 */
export function nextOccurrence(r: Recurrence, after: Date | null): Date | null {
  if (!r.rrule) return after === null || r.anchor > after ? withinUntil(r.anchor, r.until) : null;
  const body = r.rrule.trim().replace(/^RRULE:/i, '');
  const options = RRule.parseString(body);
  // The rule runs on floating times; an UNTIL in UTC (…Z) is an instant and is floated too,
  // while one without Z is already the zone's wall time. A date alone (UNTIL=20270101) takes
  // in that whole day, as RFC 5545's UNTIL is inclusive: the rule read it as its midnight.
  if (options.until && /UNTIL=\d{8}T\d{6}Z/i.test(body)) options.until = floating(options.until, r.timezone);
  else if (options.until && /UNTIL=\d{8}(?![\dT])/i.test(body)) options.until = new Date(options.until.getTime() + 86_400_000 - 1);
  const rule = new RRule({ ...options, dtstart: floating(r.anchor, r.timezone) });
  const next = withinBudget(() => (after === null ? rule.after(floating(r.anchor, r.timezone), true) : rule.after(floating(after, r.timezone), false)), RRULE_SEARCH_BUDGET_MS);
  return next ? withinUntil(unfloat(next, r.timezone), r.until) : null;
}

/** Whether `at` is still one of the reminder's occurrences (its time, event or rule may have changed since). */
export function isOccurrence(r: Recurrence, at: Date): boolean {
  try {
    return nextOccurrence(r, new Date(at.getTime() - 1))?.getTime() === at.getTime();
  } catch (err) {
    if (err instanceof BudgetExceededError) return false;
    throw err;
  }
}

/** How far in the past an occurrence may still be sent: a clock a little behind, a worker a moment late. */
export const CATCH_UP_MS = 60_000;

/**
 * The occurrence to send next after `last` (null: none sent yet). A recurring reminder
 * skips occurrences more than CATCH_UP_MS before `now`, so one created with a start in
 * the past, or a run that slept through an outage, sends one, not a burst of missed ones.
 * `held`: an occurrence quiet hours put off; while it is the one next due it is still to
 * go, not missed.
 */
export function nextDue(r: Recurrence, last: Date | null, now: Date, held: Date | null = null): Date | null {
  const next = nextOccurrence(r, last);
  const floor = new Date(now.getTime() - CATCH_UP_MS);
  if (!next || !r.rrule || next >= floor) return next;
  if (held?.getTime() === next.getTime()) return next;
  return nextOccurrence(r, last && last > floor ? last : floor);
}

const withinUntil = (at: Date, until: Date | null | undefined) => (until && at > until ? null : at);
