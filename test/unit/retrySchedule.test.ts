import { describe, expect, it } from '@jest/globals';
import { DEFAULT_WEBHOOK_SCHEDULE, parseDuration, parseSchedule, withJitter } from '../../lib/retrySchedule.ts';
import { subscribes } from '../../lib/webhookMatch.ts';

describe('webhook retry schedule', () => {
  it('defaults to Svix\'s schedule: 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    expect(parseSchedule(DEFAULT_WEBHOOK_SCHEDULE)).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
  });

  it('reads durations in ms, s, m, h and d, and refuses anything else', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('5d')).toBe(432_000_000);
    expect(parseDuration('40')).toBe(40);
    expect(() => parseDuration('5 minutes')).toThrow('not a duration');
    expect(() => parseSchedule('0,,5s')).toThrow();
    expect(() => parseSchedule(Array(21).fill('1s').join(','))).toThrow('1 to 20');
  });

  it('jitters by at most ±10 % and never an immediate attempt', () => {
    expect(withJitter(0, () => 0.99)).toBe(0);
    expect(withJitter(10_000, () => 0)).toBe(9_000);
    expect(withJitter(10_000, () => 1)).toBe(11_000);
    expect(withJitter(10_000, () => 0.5)).toBe(10_000);
  });

  it('matches subscriptions by exact type or *', () => {
    expect(subscribes(['*'], 'lead.created')).toBe(true);
    expect(subscribes(['lead.created'], 'lead.created')).toBe(true);
    expect(subscribes(['lead.updated'], 'lead.created')).toBe(false);
    expect(subscribes([], 'lead.created')).toBe(false);
  });
});
