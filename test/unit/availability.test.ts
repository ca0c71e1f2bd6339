import { describe, expect, it } from '@jest/globals';
import { DEFAULT_WORKING_HOURS, freeSlots, periodsProblem, subtract, workingIntervals, type Interval, type WorkingHours } from '../../lib/availability.ts';

const iv = (start: string, end: string): Interval => ({ start: new Date(start), end: new Date(end) });
const iso = (list: Interval[]) => list.map((i) => [i.start.toISOString(), i.end.toISOString()]);
const longAgo = new Date('2000-01-01T00:00:00Z');

describe('workingIntervals', () => {
  it('places 09:00–17:00 in the zone, on working days only', () => {
    // Friday 2025-08-22 and the weekend after it, in Berlin (UTC+2 in summer).
    const got = workingIntervals(DEFAULT_WORKING_HOURS, 'Europe/Berlin', new Date('2025-08-21T22:00:00Z'), new Date('2025-08-24T22:00:00Z'));
    expect(iso(got)).toEqual([['2025-08-22T07:00:00.000Z', '2025-08-22T15:00:00.000Z']]);
  });

  it('keeps wall-clock hours on the day the clocks change', () => {
    // New York springs forward on Sunday 2025-03-09: 09:00 is UTC-4 that day, UTC-5 the day before.
    const hours: WorkingHours = { ...DEFAULT_WORKING_HOURS, saturday: [{ start: '09:00', end: '12:00' }], sunday: [{ start: '09:00', end: '12:00' }] };
    const got = workingIntervals(hours, 'America/New_York', new Date('2025-03-08T05:00:00Z'), new Date('2025-03-10T04:00:00Z'));
    expect(iso(got)).toEqual([
      ['2025-03-08T14:00:00.000Z', '2025-03-08T17:00:00.000Z'],
      ['2025-03-09T13:00:00.000Z', '2025-03-09T16:00:00.000Z'],
    ]);
  });

  it('runs a period ending at 24:00 to midnight', () => {
    const hours: WorkingHours = { ...DEFAULT_WORKING_HOURS, monday: [{ start: '22:00', end: '24:00' }] };
    const got = workingIntervals(hours, 'UTC', new Date('2025-08-18T00:00:00Z'), new Date('2025-08-19T00:00:00Z'));
    expect(iso(got)).toEqual([['2025-08-18T22:00:00.000Z', '2025-08-19T00:00:00.000Z']]);
  });
});

describe('subtract', () => {
  it('cuts busy time out, whether it overlaps an edge, sits inside or covers everything', () => {
    const free = [iv('2025-08-20T09:00:00Z', '2025-08-20T17:00:00Z')];
    const busy = [iv('2025-08-20T08:00:00Z', '2025-08-20T09:30:00Z'), iv('2025-08-20T12:00:00Z', '2025-08-20T13:00:00Z'), iv('2025-08-20T12:30:00Z', '2025-08-20T13:15:00Z'), iv('2025-08-20T16:45:00Z', '2025-08-20T18:00:00Z')];
    expect(iso(subtract(free, busy))).toEqual([
      ['2025-08-20T09:30:00.000Z', '2025-08-20T12:00:00.000Z'],
      ['2025-08-20T13:15:00.000Z', '2025-08-20T16:45:00.000Z'],
    ]);
    expect(subtract(free, [iv('2025-08-20T00:00:00Z', '2025-08-21T00:00:00Z')])).toEqual([]);
  });
});

describe('freeSlots', () => {
  const base = { date: '2025-08-20', timezone: 'UTC', hours: DEFAULT_WORKING_HOURS, workingZone: 'UTC', busy: [], durationMin: 60, stepMin: 60, now: longAgo };

  it('cuts the working day into slots of the duration on the grid', () => {
    const got = freeSlots(base);
    expect(got).toHaveLength(8);
    expect(iso(got)[0]).toEqual(['2025-08-20T09:00:00.000Z', '2025-08-20T10:00:00.000Z']);
    expect(iso(got)[7]).toEqual(['2025-08-20T16:00:00.000Z', '2025-08-20T17:00:00.000Z']);
  });

  it('starts after busy time on the next grid point, and never before now', () => {
    const got = freeSlots({ ...base, stepMin: 30, busy: [iv('2025-08-20T09:00:00Z', '2025-08-20T10:10:00Z')], now: new Date('2025-08-20T08:00:00Z') });
    expect(iso(got)[0]).toEqual(['2025-08-20T10:30:00.000Z', '2025-08-20T11:30:00.000Z']);
    const late = freeSlots({ ...base, now: new Date('2025-08-20T15:20:00Z') });
    expect(iso(late)).toEqual([['2025-08-20T16:00:00.000Z', '2025-08-20T17:00:00.000Z']]);
    expect(freeSlots({ ...base, now: new Date('2025-08-21T00:00:00Z') })).toEqual([]);
  });

  it("reads the day in the asker's zone and the hours in the business's", () => {
    // A Tokyo caller's Wednesday runs from Tuesday 11:00 to Wednesday 11:00 in New York: the end of
    // Tuesday's hours there (11:00–17:00) and the start of Wednesday's (09:00–11:00).
    const got = freeSlots({ ...base, timezone: 'Asia/Tokyo', workingZone: 'America/New_York' });
    expect(got).toHaveLength(8);
    expect(iso(got)[0]).toEqual(['2025-08-19T15:00:00.000Z', '2025-08-19T16:00:00.000Z']);
    expect(iso(got)[5]).toEqual(['2025-08-19T20:00:00.000Z', '2025-08-19T21:00:00.000Z']);
    expect(iso(got)[6]).toEqual(['2025-08-20T13:00:00.000Z', '2025-08-20T14:00:00.000Z']);
    expect(iso(got)[7]).toEqual(['2025-08-20T14:00:00.000Z', '2025-08-20T15:00:00.000Z']);
  });

  it('offers nothing when no period is as long as the duration', () => {
    expect(freeSlots({ ...base, durationMin: 9 * 60 })).toEqual([]);
  });
});

describe('periodsProblem', () => {
  it('accepts ordered, separate periods and names what is wrong with others', () => {
    expect(periodsProblem([{ start: '09:00', end: '12:00' }, { start: '13:00', end: '24:00' }])).toBeNull();
    expect(periodsProblem([{ start: '12:00', end: '09:00' }])).toMatch(/end after/);
    expect(periodsProblem([{ start: '09:00', end: '12:00' }, { start: '11:00', end: '14:00' }])).toMatch(/overlap/);
    expect(periodsProblem([{ start: '24:00', end: '24:00' }])).toMatch(/HH:MM/);
    expect(periodsProblem([{ start: '9:00', end: '10:00' }])).toMatch(/HH:MM/);
  });
});
