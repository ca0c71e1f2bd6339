import { describe, expect, it } from '@jest/globals';
import { nextAllowedTime } from '../../lib/quietHours.ts';

const q = { start: '21:00', end: '08:00' };

describe('nextAllowedTime', () => {
  it('leaves an allowed time alone', () => {
    const at = new Date('2027-06-01T12:00:00Z');
    expect(nextAllowedTime(at, 'Europe/London', q)).toEqual(at);
  });
  it('moves a late-evening time to 08:00 the next morning in the recipient zone', () => {
    // 22:30 in London (BST, UTC+1) → 08:00 BST next day.
    expect(nextAllowedTime(new Date('2027-06-01T21:30:00Z'), 'Europe/London', q).toISOString()).toBe('2027-06-02T07:00:00.000Z');
  });
  it('moves an early-morning time to 08:00 the same day', () => {
    // 05:15 in New York (EDT, UTC-4) → 08:00 EDT.
    expect(nextAllowedTime(new Date('2027-06-01T09:15:00Z'), 'America/New_York', q).toISOString()).toBe('2027-06-01T12:00:00.000Z');
  });
  it('handles quiet hours within one day, and none', () => {
    const lunch = { start: '12:00', end: '13:00' };
    expect(nextAllowedTime(new Date('2027-06-01T12:30:00Z'), 'UTC', lunch).toISOString()).toBe('2027-06-01T13:00:00.000Z');
    const at = new Date('2027-06-01T23:00:00Z');
    expect(nextAllowedTime(at, 'UTC', null)).toEqual(at);
  });
});
