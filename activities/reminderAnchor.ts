import type { Reminder } from '../entities/Reminder.ts';
import type { CalendarEvent } from '../entities/CalendarEvent.ts';

export type Anchor = { at: Date } | { gone: string };

/** When the reminder's first occurrence is: its own time, or its event's start plus the offset. */
export function anchorOf(r: Reminder, event: CalendarEvent | null): Anchor {
  if (r.offsetMs === null || r.offsetMs === undefined) return { at: r.sendAt as Date };
  if (!event) return { gone: 'its calendar event was deleted' };
  if (event.status === 'cancelled') return { gone: 'its calendar event was cancelled' };
  return { at: new Date(event.startsAt.getTime() + r.offsetMs) };
}
