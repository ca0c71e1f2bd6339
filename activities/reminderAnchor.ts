import type { Reminder } from '../entities/Reminder.ts';
import type { CalendarEvent } from '../entities/CalendarEvent.ts';
import { CATCH_UP_MS } from '../lib/reminderTime.ts';

export type Anchor = { at: Date } | { gone: string; code: 'event_cancelled' | 'event_started' };

/**
 * When the reminder's first occurrence is: its own time, or its event's start plus the
 * offset. With `now`, a reminder before (or at) an event that started more than a minute
 * ago has nothing left to remind of (its event was moved into the past, or its run slept
 * through the start): it is gone, not sent late.
 */
export function anchorOf(r: Reminder, event: CalendarEvent | null, now?: Date): Anchor {
  if (r.offsetMs === null || r.offsetMs === undefined) return { at: r.sendAt as Date };
  if (!event) return { gone: 'its calendar event was deleted', code: 'event_cancelled' };
  if (event.status === 'cancelled') return { gone: 'its calendar event was cancelled', code: 'event_cancelled' };
  if (now && r.offsetMs <= 0 && now.getTime() - event.startsAt.getTime() > CATCH_UP_MS) return { gone: 'its calendar event has already started', code: 'event_started' };
  return { at: new Date(event.startsAt.getTime() + r.offsetMs) };
}
