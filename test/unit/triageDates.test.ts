import { describe, expect, it } from '@jest/globals';
import { type DateContext, extractDateTimes, findDateMentions, formatDue } from '../../lib/triageRules/dates.ts';
import { addDays, formatZonedIso, zoneOffsetMinutes, zonedToInstant } from '../../lib/triageRules/zonedTime.ts';

// Tuesday 2026-03-10, 05:00 in New York (EDT began on Sunday 2026-03-08).
const NEW_YORK = { receivedAt: '2026-03-10T09:00:00Z', timezone: 'America/New_York' };

const starts = (text: string, context: DateContext = NEW_YORK): string[] => extractDateTimes(text, context).map((d) => d.start);

describe('zonedTime', () => {
  it('reads zone offsets on both sides of a DST change', () => {
    expect(zoneOffsetMinutes(new Date('2026-03-07T12:00:00Z'), 'America/New_York')).toBe(-300);
    expect(zoneOffsetMinutes(new Date('2026-03-09T12:00:00Z'), 'America/New_York')).toBe(-240);
    expect(zoneOffsetMinutes(new Date('2026-07-01T12:00:00Z'), 'Asia/Kolkata')).toBe(330);
  });

  it('converts wall-clock time to the right instant across DST', () => {
    expect(zonedToInstant({ year: 2026, month: 3, day: 7, hour: 15, minute: 0 }, 'America/New_York').toISOString()).toBe('2026-03-07T20:00:00.000Z');
    expect(zonedToInstant({ year: 2026, month: 3, day: 9, hour: 15, minute: 0 }, 'America/New_York').toISOString()).toBe('2026-03-09T19:00:00.000Z');
    expect(zonedToInstant({ year: 2026, month: 10, day: 25, hour: 9, minute: 30 }, 'Europe/Berlin').toISOString()).toBe('2026-10-25T08:30:00.000Z');
  });

  it('formats with the offset, including half-hour zones and UTC as +00:00', () => {
    const instant = new Date('2026-03-11T19:00:00Z');
    expect(formatZonedIso(instant, 'America/New_York')).toBe('2026-03-11T15:00:00-04:00');
    expect(formatZonedIso(instant, 'Asia/Kolkata')).toBe('2026-03-12T00:30:00+05:30');
    expect(formatZonedIso(instant, 'UTC')).toBe('2026-03-11T19:00:00+00:00');
  });

  it('rolls days over month and year ends', () => {
    expect(addDays({ year: 2026, month: 12, day: 31 }, 1)).toEqual({ year: 2027, month: 1, day: 1 });
    expect(addDays({ year: 2028, month: 2, day: 28 }, 1)).toEqual({ year: 2028, month: 2, day: 29 });
  });
});

describe('extractDateTimes', () => {
  it('resolves "tomorrow at 3pm" in the tenant zone with a one-hour default end', () => {
    expect(extractDateTimes('Can we book a meeting tomorrow at 3pm?', NEW_YORK)).toEqual([
      { index: 22, text: 'tomorrow at 3pm', start: '2026-03-11T15:00:00-04:00', end: '2026-03-11T16:00:00-04:00' },
    ]);
  });

  it('uses the local day, not the UTC day, as "today"', () => {
    // 02:00 UTC on the 11th is still the evening of the 10th in New York.
    expect(starts('tomorrow at 9am', { receivedAt: '2026-03-11T02:00:00Z', timezone: 'America/New_York' })).toEqual(['2026-03-11T09:00:00-04:00']);
  });

  it('reads "next Monday" as Monday of next week', () => {
    expect(starts('How about next Monday at 10:30?')).toEqual(['2026-03-16T10:30:00-04:00']);
    expect(starts('next Wednesday at 2pm')).toEqual(['2026-03-18T14:00:00-04:00']);
  });

  it('reads a bare weekday as its next occurrence', () => {
    expect(starts('Friday 9am works for me')).toEqual(['2026-03-13T09:00:00-04:00']);
    // Said on a Tuesday, "Tuesday" means a week later.
    expect(starts('Tuesday at 11am')).toEqual(['2026-03-17T11:00:00-04:00']);
  });

  it('puts a month and day without a year on its next occurrence', () => {
    expect(starts('on March 25 at 2 pm')).toEqual(['2026-03-25T14:00:00-04:00']);
    expect(starts('on March 5 at 2 pm')).toEqual(['2027-03-05T14:00:00-05:00']);
    expect(starts('5th of April, 2027 at noon')).toEqual(['2027-04-05T12:00:00-04:00']);
  });

  it('reads ISO dates with a separate time, and ISO instants with an offset', () => {
    expect(starts('2026-12-01 14:00')).toEqual(['2026-12-01T14:00:00-05:00']);
    expect(starts('Confirmed for 2026-12-01T14:00:00Z.')).toEqual(['2026-12-01T09:00:00-05:00']);
  });

  it('pairs a time written before its date', () => {
    expect(starts('I can do 3pm tomorrow')).toEqual(['2026-03-11T15:00:00-04:00']);
  });

  it('keeps ranges as the event end', () => {
    expect(extractDateTimes('between 2 and 4pm on Thursday', NEW_YORK).map((d) => [d.start, d.end])).toEqual([
      ['2026-03-12T14:00:00-04:00', '2026-03-12T16:00:00-04:00'],
    ]);
  });

  it('reads hours without am/pm as business hours, and "tonight" as evening', () => {
    expect(starts('tomorrow at 3')).toEqual(['2026-03-11T15:00:00-04:00']);
    expect(starts('tonight at 8')).toEqual(['2026-03-10T20:00:00-04:00']);
  });

  it('places a time without a date on its next occurrence', () => {
    expect(starts('call me at 4:30pm')).toEqual(['2026-03-10T16:30:00-04:00']);
    // 05:00 local has passed 4am, so "4am" is tomorrow's.
    expect(starts('at 4am')).toEqual(['2026-03-11T04:00:00-04:00']);
  });

  it('pairs several dates with their own times', () => {
    expect(starts('Monday at 9 or Tuesday at 10am')).toEqual(['2026-03-16T09:00:00-04:00', '2026-03-17T10:00:00-04:00']);
  });

  it('does not pair a date and a time from different sentences', () => {
    expect(findDateMentions('See you Friday. The shop opens at 9am', NEW_YORK).map((m) => m.time === null)).toEqual([true, false]);
  });

  it('does not mistake phone numbers, counts or "24/7" for dates', () => {
    expect(findDateMentions('We need 20 seats, 24/7 support, call +1 415 555 0100', NEW_YORK)).toEqual([]);
  });

  it('falls back to UTC for an unknown zone and yields nothing for an invalid receivedAt', () => {
    expect(starts('tomorrow at 3pm', { receivedAt: '2026-03-10T09:00:00Z', timezone: 'Mars/Olympus' })).toEqual(['2026-03-11T15:00:00+00:00']);
    expect(starts('tomorrow at 3pm', { receivedAt: 'yesterday-ish' })).toEqual([]);
  });

  it('formats a due date without a time as a bare date', () => {
    const [friday] = findDateMentions('by Friday', NEW_YORK);
    expect(formatDue(friday, NEW_YORK.timezone)).toBe('2026-03-13');
  });
});
