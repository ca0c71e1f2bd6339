import { describe, expect, it } from '@jest/globals';
import { eventOffsetMs, fireTime } from '../../lib/automations/eventOffset.ts';

describe('time_based offsets from a calendar event', () => {
  it("reads seed 002's schedule and its kin", () => {
    expect(eventOffsetMs('24h_before_event')).toBe(-24 * 3_600_000);
    expect(eventOffsetMs('15m_before_event')).toBe(-15 * 60_000);
    expect(eventOffsetMs('2d_after_event')).toBe(2 * 86_400_000);
    expect(eventOffsetMs('30s_before_event')).toBe(-30_000);
    expect(eventOffsetMs('24h_before')).toBeNull();
    expect(eventOffsetMs('tomorrow')).toBeNull();
  });

  it('fires at the offset, at once when booked inside it, and never after the event started', () => {
    const now = new Date('2026-01-10T10:00:00Z');
    const start = new Date('2026-01-12T10:00:00Z');
    expect(fireTime(start, -24 * 3_600_000, now)?.toISOString()).toBe('2026-01-11T10:00:00.000Z');
    expect(fireTime(new Date('2026-01-10T12:00:00Z'), -24 * 3_600_000, now)).toEqual(now);
    expect(fireTime(new Date('2026-01-10T09:00:00Z'), -15 * 60_000, now)).toBeNull();
    expect(fireTime(new Date('2026-01-10T09:00:00Z'), 2 * 3_600_000, now)?.toISOString()).toBe('2026-01-10T11:00:00.000Z');
    expect(fireTime(new Date('2026-01-09T09:00:00Z'), 2 * 3_600_000, now)).toEqual(now);
  });
});
