import { describe, expect, it } from '@jest/globals';
import { DEFAULT_WORKING_HOURS } from '../../lib/availability.ts';
import { mayDialAt, nextDialTime } from '../../lib/voice/callWindow.ts';

const NY = 'America/New_York';

describe('nextDialTime', () => {
  it('dials now inside the calling hours of the recipient’s zone', () => {
    // 10:00 in New York on a Wednesday.
    const now = new Date('2031-10-01T14:00:00Z');
    expect(nextDialTime(now, NY, DEFAULT_WORKING_HOURS)).toEqual(now);
    expect(mayDialAt(now, NY, DEFAULT_WORKING_HOURS)).toBe(true);
  });

  it('waits for the next opening: after hours until the morning, Friday evening until Monday', () => {
    // 20:00 Wednesday in New York → 09:00 Thursday there.
    expect(nextDialTime(new Date('2031-10-02T00:00:00Z'), NY, DEFAULT_WORKING_HOURS)).toEqual(new Date('2031-10-02T13:00:00Z'));
    // 18:00 Friday → 09:00 Monday.
    expect(nextDialTime(new Date('2031-10-03T22:00:00Z'), NY, DEFAULT_WORKING_HOURS)).toEqual(new Date('2031-10-06T13:00:00Z'));
    expect(mayDialAt(new Date('2031-10-03T22:00:00Z'), NY, DEFAULT_WORKING_HOURS)).toBe(false);
  });

  it('keeps 09:00 local across a clock change', () => {
    // Sunday 2 November 2031, New York falls back: Monday 09:00 is 14:00 UTC, not 13:00.
    expect(nextDialTime(new Date('2031-11-01T22:00:00Z'), NY, DEFAULT_WORKING_HOURS)).toEqual(new Date('2031-11-03T14:00:00Z'));
  });

  it('respects the call’s own window, and gives up when it closes first', () => {
    const now = new Date('2031-10-01T14:00:00Z');
    expect(nextDialTime(now, NY, DEFAULT_WORKING_HOURS, { notBefore: new Date('2031-10-01T23:00:00Z') })).toEqual(new Date('2031-10-02T13:00:00Z'));
    expect(nextDialTime(new Date('2031-10-02T00:00:00Z'), NY, DEFAULT_WORKING_HOURS, { notAfter: new Date('2031-10-02T12:00:00Z') })).toBeNull();
  });

  it('never opens for calling hours with no day at all', () => {
    const closed = { monday: [], tuesday: [], wednesday: [], thursday: [], friday: [], saturday: [], sunday: [] };
    expect(nextDialTime(new Date('2031-10-01T14:00:00Z'), NY, closed)).toBeNull();
  });
});
