/**
 * Webhook retry timing (pure, so workflows may use it): Svix's schedule by default, a
 * comma list of durations (`0,5s,5m,30m,2h,5h,10h,10h`) in `WEBHOOK_RETRY_SCHEDULE`.
 * Entry i is the wait before attempt i+1.
 */
export const DEFAULT_WEBHOOK_SCHEDULE = '0,5s,5m,30m,2h,5h,10h,10h';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `5s`, `5m`, `2h`, `5d`, or a bare number of milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) throw new Error(`"${text}" is not a duration (e.g. 250ms, 5s, 5m, 2h, 5d)`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']);
}

export function parseSchedule(text: string): number[] {
  const delays = text.split(',').map(parseDuration);
  if (delays.length === 0 || delays.length > 20) throw new Error('a schedule has 1 to 20 entries');
  return delays;
}

/**
 * Spreads retries so endpoints that failed together do not all come back at once: ±10 %
 * around the scheduled wait. `random` is the workflow's seeded Math.random, so a replay
 * computes the same waits.
 */
export function withJitter(delayMs: number, random: () => number): number {
  if (delayMs <= 0) return 0;
  return Math.max(0, Math.round(delayMs * (0.9 + 0.2 * random())));
}
