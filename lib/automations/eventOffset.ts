import { parseDuration } from '../retrySchedule.ts';

/**
 * A time_based trigger's offset from a calendar event (pure): seed 002's
 * `24h_before_event`, or `15m_before_event`, `2d_after_event` (units s, m, h, d). Negative
 * before the event's start, positive after it.
 */
export const EVENT_OFFSET = /^(\d{1,5})(s|m|h|d)_(before|after)_event$/;

export function eventOffsetMs(schedule: string): number | null {
  const m = EVENT_OFFSET.exec(schedule);
  if (!m) return null;
  const ms = parseDuration(`${m[1]}${m[2]}`);
  return m[3] === 'before' ? -ms : ms;
}

/**
 * When a run for an event starting at `startsAt` fires: at start + offset; a moment already
 * past fires now if the event has not started yet (an appointment booked inside its
 * reminder's offset still gets it), and never once it has (for offsets before the start).
 */
export function fireTime(startsAt: Date, offsetMs: number, now: Date): Date | null {
  const at = new Date(startsAt.getTime() + offsetMs);
  if (at.getTime() > now.getTime()) return at;
  if (offsetMs < 0 && startsAt.getTime() <= now.getTime()) return null;
  return now;
}
