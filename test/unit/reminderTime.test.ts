import { describe, expect, it } from '@jest/globals';
import { BudgetExceededError } from '../../lib/computeBudget.ts';
import { isOccurrence, isTimeZone, nextDue, nextOccurrence, parseOffset, parseRrule, type Recurrence } from '../../lib/reminderTime.ts';

describe('parseOffset', () => {
  it('reads offsets before and after an event', () => {
    expect(parseOffset('-24h')).toBe(-86_400_000);
    expect(parseOffset('-15m')).toBe(-900_000);
    expect(parseOffset('-1h30m')).toBe(-5_400_000);
    expect(parseOffset('+2h')).toBe(7_200_000);
    expect(parseOffset('1d')).toBe(-86_400_000);
  });
  it('refuses what is not an offset, or more than a year', () => {
    expect(() => parseOffset('tomorrow')).toThrow(/not an offset/);
    expect(() => parseOffset('-')).toThrow(/not an offset/);
    expect(() => parseOffset('-400d')).toThrow(/at most a year/);
  });
});

describe('isTimeZone', () => {
  it('takes IANA zones and refuses what Intl cannot write times in', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Etc/GMT-3')).toBe(true);
    expect(isTimeZone('UTC+3')).toBe(false);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});

describe('parseRrule', () => {
  it('accepts a rule and refuses a DTSTART, no FREQ, or minutely', () => {
    expect(parseRrule('FREQ=DAILY;COUNT=3')).toEqual({ ok: true });
    expect(parseRrule('RRULE:FREQ=WEEKLY;BYDAY=MO,WE')).toEqual({ ok: true });
    expect(parseRrule('DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY').ok).toBe(false);
    expect(parseRrule('COUNT=3').ok).toBe(false);
    expect(parseRrule('FREQ=MINUTELY').ok).toBe(false);
    expect(parseRrule('FREQ=SOMETIMES')).toEqual({ ok: false, message: 'FREQ must be one of HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY' });
  });
  it('takes the parts reminders use, with their RFC 5545 ranges', () => {
    for (const rule of [
      'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1',
      'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO',
      'FREQ=MONTHLY;BYDAY=-1FR',
      'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=SU;UNTIL=20271231T000000Z',
      'FREQ=DAILY;BYHOUR=9,17;BYMINUTE=30',
      'freq=daily;count=2',
    ]) {
      expect({ rule, parsed: parseRrule(rule) }).toEqual({ rule, parsed: { ok: true } });
    }
  });
  it('refuses values the rrule library would loop on, throw on later, or text someone every minute with', () => {
    const refused: Array<[string, RegExp]> = [
      ['FREQ=DAILY;INTERVAL=-1', /INTERVAL takes whole numbers from 1 to 1000/],
      ['FREQ=DAILY;INTERVAL=0', /INTERVAL/],
      ['FREQ=DAILY;INTERVAL=1.5', /INTERVAL/],
      ['FREQ=DAILY;COUNT=-3', /COUNT/],
      ['FREQ=DAILY;BYDAY=XX', /BYDAY takes weekdays/],
      ['FREQ=DAILY;BYDAY=1MO', /ordinal .* only with FREQ=MONTHLY or YEARLY/],
      ['FREQ=MONTHLY;BYDAY=6MO', /ordinals run from 1 to 5/],
      ['FREQ=MONTHLY;BYSETPOS=0;BYDAY=MO', /BYSETPOS takes whole numbers from 1 to 366 or -366 to -1/],
      ['FREQ=MONTHLY;BYSETPOS=1', /BYSETPOS .* needs one/],
      ['FREQ=DAILY;BYHOUR=25', /BYHOUR/],
      ['FREQ=HOURLY;BYMINUTE=0,30', /BYMINUTE takes one value/],
      ['FREQ=HOURLY;BYSECOND=1,2,3', /BYSECOND takes one value/],
      ['FREQ=YEARLY;BYMONTH=13', /BYMONTH/],
      ['FREQ=MONTHLY;BYMONTHDAY=0', /BYMONTHDAY/],
      ['FREQ=MONTHLY;BYYEARDAY=100', /BYYEARDAY is only for FREQ=YEARLY/],
      ['FREQ=WEEKLY;WKST=XX', /WKST must be a weekday/],
      ['FREQ=DAILY;COUNT=3;UNTIL=20271231', /COUNT or UNTIL, not both/],
      ['FREQ=DAILY;FREQ=WEEKLY', /FREQ is given twice/],
      ['FREQ=DAILY;FOO=1', /FOO is not an RRULE part this API takes/],
      ['FREQ=DAILY;;', /is not a NAME=value part/],
      ['FREQ=DAILY;UNTIL=garbage', /UNTIL must be a date/],
    ];
    for (const [rule, message] of refused) {
      const parsed = parseRrule(rule);
      expect({ rule, ok: parsed.ok }).toEqual({ rule, ok: false });
      expect(parsed.ok === false && parsed.message).toMatch(message);
    }
  });
});

/** Every occurrence of a rule that ends, as ISO strings. */
function everyOccurrence(r: Recurrence): string[] {
  const all: string[] = [];
  for (let at = nextOccurrence(r, null); at; at = nextOccurrence(r, at)) all.push(at.toISOString());
  return all;
}

describe('nextOccurrence', () => {
  it('gives up on a rule that matches no day instead of walking to the year 9999', () => {
    const started = Date.now();
    expect(() => nextOccurrence({ anchor: new Date('2027-01-01T10:00:00Z'), timezone: 'UTC', rrule: 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30' }, null)).toThrow(BudgetExceededError);
    // The library alone took about 7 s on this rule; the budget is 250 ms.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
  it('a one-off is due at its anchor once', () => {
    const anchor = new Date('2027-03-01T10:00:00Z');
    expect(nextOccurrence({ anchor, timezone: 'UTC' }, null)).toEqual(anchor);
    expect(nextOccurrence({ anchor, timezone: 'UTC' }, anchor)).toBeNull();
  });

  it('keeps the wall-clock time across a DST change (New York, spring forward 2027-03-14)', () => {
    const r = { anchor: new Date('2027-03-12T14:00:00Z'), timezone: 'America/New_York', rrule: 'FREQ=DAILY;COUNT=4' }; // 09:00 EST
    expect(everyOccurrence(r)).toEqual([
      '2027-03-12T14:00:00.000Z',
      '2027-03-13T14:00:00.000Z',
      '2027-03-14T13:00:00.000Z', // 09:00 EDT
      '2027-03-15T13:00:00.000Z',
    ]);
  });

  it('places a wall time the clock passes twice at its first pass, and one it skips after the gap (RFC 5545 §3.3.5)', () => {
    const fallBack = { anchor: new Date('2027-11-06T05:30:00Z'), timezone: 'America/New_York', rrule: 'FREQ=DAILY;COUNT=3' }; // 01:30 EDT
    expect(everyOccurrence(fallBack)).toEqual([
      '2027-11-06T05:30:00.000Z',
      '2027-11-07T05:30:00.000Z', // 01:30 EDT, the first of the two 01:30s (was 01:30 EST, an hour later)
      '2027-11-08T06:30:00.000Z', // 01:30 EST
    ]);
    const springForward = { anchor: new Date('2027-03-13T07:30:00Z'), timezone: 'America/New_York', rrule: 'FREQ=DAILY;COUNT=2' }; // 02:30 EST
    expect(nextOccurrence(springForward, springForward.anchor)?.toISOString()).toBe('2027-03-14T07:30:00.000Z'); // 02:30 does not exist: 03:30 EDT
  });

  it('stops at until', () => {
    const r = { anchor: new Date('2027-01-01T08:00:00Z'), timezone: 'Europe/Berlin', rrule: 'FREQ=WEEKLY', until: new Date('2027-01-16T00:00:00Z') };
    expect(nextOccurrence(r, new Date('2027-01-08T08:00:00Z'))?.toISOString()).toBe('2027-01-15T08:00:00.000Z');
    expect(nextOccurrence(r, new Date('2027-01-15T08:00:00Z'))).toBeNull();
  });
  it("reads the rule's UNTIL=…Z as a UTC instant and a UNTIL without Z as the zone's wall time (RFC 5545 §3.3.10)", () => {
    // Hourly from 09:00 EST; 14:00Z is 09:00 EST, so a UTC UNTIL ends after the first send.
    const utc = { anchor: new Date('2027-01-04T14:00:00Z'), timezone: 'America/New_York', rrule: 'FREQ=HOURLY;UNTIL=20270104T140000Z' };
    expect(everyOccurrence(utc)).toEqual(['2027-01-04T14:00:00.000Z']);
    const local = { ...utc, rrule: 'FREQ=HOURLY;UNTIL=20270104T100000' }; // 10:00 in New York
    expect(everyOccurrence(local)).toEqual(['2027-01-04T14:00:00.000Z', '2027-01-04T15:00:00.000Z']);
    const eastOfUtc = { anchor: new Date('2027-01-04T08:00:00Z'), timezone: 'Europe/Berlin', rrule: 'FREQ=DAILY;UNTIL=20270105T083000Z' }; // 09:00 CET; until 09:30 CET
    expect(everyOccurrence(eastOfUtc)).toEqual(['2027-01-04T08:00:00.000Z', '2027-01-05T08:00:00.000Z']);
  });
  it('takes in the whole day of an UNTIL given as a date (inclusive, RFC 5545)', () => {
    const daily = { anchor: new Date('2026-12-30T14:00:00Z'), timezone: 'America/New_York', rrule: 'FREQ=DAILY;UNTIL=20270101' }; // 09:00 EST
    expect(everyOccurrence(daily)).toEqual(['2026-12-30T14:00:00.000Z', '2026-12-31T14:00:00.000Z', '2027-01-01T14:00:00.000Z']);
  });
});

describe('isOccurrence', () => {
  it('says whether a time is still one of the reminder\'s occurrences as it now stands', () => {
    const once = { anchor: new Date('2027-05-09T08:00:00Z'), timezone: 'UTC' };
    expect(isOccurrence(once, new Date('2027-05-09T08:00:00Z'))).toBe(true);
    expect(isOccurrence({ ...once, anchor: new Date('2027-05-09T09:00:00Z') }, new Date('2027-05-09T08:00:00Z'))).toBe(false);
    const weekly = { ...once, rrule: 'FREQ=WEEKLY', until: new Date('2027-05-20T00:00:00Z') };
    expect(isOccurrence(weekly, new Date('2027-05-16T08:00:00Z'))).toBe(true);
    expect(isOccurrence(weekly, new Date('2027-05-17T08:00:00Z'))).toBe(false);
    expect(isOccurrence(weekly, new Date('2027-05-23T08:00:00Z'))).toBe(false); // after until
  });
});

describe('nextDue', () => {
  const now = new Date('2027-05-10T12:00:00Z');
  it('skips the missed occurrences of a recurring reminder, up to a minute late', () => {
    const daily = { anchor: new Date('2027-05-07T11:59:30Z'), timezone: 'UTC', rrule: 'FREQ=DAILY' };
    expect(nextDue(daily, null, now)?.toISOString()).toBe('2027-05-10T11:59:30.000Z');
    const longAgo = { ...daily, anchor: new Date('2027-05-07T09:00:00Z') };
    expect(nextDue(longAgo, null, now)?.toISOString()).toBe('2027-05-11T09:00:00.000Z');
    expect(nextDue(longAgo, new Date('2027-05-08T09:00:00Z'), now)?.toISOString()).toBe('2027-05-11T09:00:00.000Z');
  });
  it('keeps an occurrence quiet hours put off due until it goes: not skipped as missed', () => {
    // Daily at 22:00 UTC; last night's was held (until 08:00); it is 06:00.
    const nightly = { anchor: new Date('2027-05-01T22:00:00Z'), timezone: 'UTC', rrule: 'FREQ=DAILY' };
    const early = new Date('2027-05-10T06:00:00Z');
    const held = new Date('2027-05-09T22:00:00Z');
    const last = new Date('2027-05-08T22:00:00Z');
    expect(nextDue(nightly, last, early, held)?.toISOString()).toBe('2027-05-09T22:00:00.000Z');
    // Without the hold it was missed, and the next one is due.
    expect(nextDue(nightly, last, early)?.toISOString()).toBe('2027-05-10T22:00:00.000Z');
    // A hold of another occurrence (an older one, before a send moved past it) changes nothing: no burst of missed ones.
    expect(nextDue(nightly, last, early, new Date('2027-05-08T22:00:00Z'))?.toISOString()).toBe('2027-05-10T22:00:00.000Z');
    expect(nextDue(nightly, null, early, held)?.toISOString()).toBe('2027-05-10T22:00:00.000Z');
  });
  it('keeps a late one-off due, however late (the caller decides whether that is too late)', () => {
    const once = { anchor: new Date('2027-05-09T08:00:00Z'), timezone: 'UTC' };
    expect(nextDue(once, null, now)?.toISOString()).toBe('2027-05-09T08:00:00.000Z');
    expect(nextDue(once, once.anchor, now)).toBeNull();
  });
});
