/**
 * A reminder's offset from its calendar event (pure, and free of the rrule library so
 * definitions can check it anywhere).
 */
const OFFSET_UNITS: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
/** Most a reminder may sit before or after its event: a year. */
const MAX_OFFSET_MS = 366 * 86_400_000;

/** `-24h`, `-15m`, `-1d`, `-1h30m` (before the event; unsigned also means before), `+2h` (after): milliseconds, negative before. */
export function parseOffset(text: string): number {
  const m = /^\s*([+-])?((?:\d+[wdhms])+)\s*$/.exec(text);
  if (!m) throw new Error(`"${text}" is not an offset (e.g. -24h, -15m, -1d, -1h30m)`);
  let ms = 0;
  for (const [, n, unit] of m[2].matchAll(/(\d+)([wdhms])/g)) ms += Number(n) * OFFSET_UNITS[unit];
  if (ms > MAX_OFFSET_MS) throw new Error('an offset is at most a year');
  return m[1] === '+' ? ms : -ms;
}
