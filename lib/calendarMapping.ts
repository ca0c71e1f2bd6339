import { DateTime } from 'luxon';
import { isTimeZone } from './reminderTime.ts';

/**
 * Calendar events between Google's shape and ours (pure). Ours are instants with an
 * optional zone; an all-day Google event is a date, read as that day's midnight in its
 * zone (or the tenant's).
 */

/** The private property that marks an event as ours at Google, holding our id. */
export const OUR_ID_PROPERTY = 'aisecEventId';

/** The subset of a Google Calendar v3 event this mapping reads and writes. */
export interface GoogleEventShape {
  id?: string | null;
  status?: string | null;
  summary?: string | null;
  description?: string | null;
  location?: string | null;
  start?: { dateTime?: string | null; date?: string | null; timeZone?: string | null } | null;
  end?: { dateTime?: string | null; date?: string | null; timeZone?: string | null } | null;
  attendees?: Array<{ email?: string | null }> | null;
  recurringEventId?: string | null;
  originalStartTime?: { dateTime?: string | null; date?: string | null } | null;
  extendedProperties?: { private?: Record<string, string> | null } | null;
}

export interface LocalEventFields {
  title: string;
  description: string | null;
  startsAt: Date;
  endsAt: Date;
  allDay: boolean;
  timezone: string | null;
  location: string | null;
  attendees: string[];
  /** Google's side is never `cancelled` here (its cancellations are handled apart); ours may be. */
  status: 'proposed' | 'confirmed' | 'cancelled';
  recurringEventId: string | null;
  originalStartTime: string | null;
}

const clip = (s: string | null | undefined, max: number): string | null => (s ? s.slice(0, max) : null);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function instant(t: { dateTime?: string | null; date?: string | null; timeZone?: string | null } | null | undefined, zone: string): Date | null {
  if (t?.dateTime) {
    const d = new Date(t.dateTime);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  if (t?.date) {
    const d = DateTime.fromISO(t.date, { zone });
    return d.isValid ? d.toJSDate() : null;
  }
  return null;
}

/** Our fields for a Google event, or null when it has no usable start (then it is skipped). */
export function fromGoogle(g: GoogleEventShape, fallbackZone: string): LocalEventFields | null {
  const zone = g.start?.timeZone && isTimeZone(g.start.timeZone) ? g.start.timeZone : fallbackZone;
  const startsAt = instant(g.start, zone);
  if (!startsAt) return null;
  const allDay = Boolean(g.start?.date && !g.start.dateTime);
  const end = instant(g.end, zone);
  const endsAt = end && end > startsAt ? end : new Date(startsAt.getTime() + (allDay ? 86_400_000 : 3_600_000));
  return {
    title: clip(g.summary, 300) ?? '(no title)',
    description: clip(g.description, 10_000),
    startsAt,
    endsAt,
    allDay,
    timezone: g.start?.timeZone && isTimeZone(g.start.timeZone) ? g.start.timeZone : null,
    location: clip(g.location, 300),
    attendees: [...new Set((g.attendees ?? []).map((a) => a.email?.toLowerCase() ?? '').filter((e) => EMAIL.test(e) && e.length <= 320))].slice(0, 100),
    status: g.status === 'tentative' ? 'proposed' : 'confirmed',
    recurringEventId: clip(g.recurringEventId, 1024),
    originalStartTime: clip(g.originalStartTime?.dateTime ?? g.originalStartTime?.date, 64),
  };
}

/** The fields of ours that differ from `next` (by the names the API uses), for `calendar.event.updated`. */
export function changedFields(current: LocalEventFields, next: LocalEventFields): string[] {
  const names: Array<[keyof LocalEventFields, string]> = [
    ['title', 'title'],
    ['description', 'description'],
    ['startsAt', 'start_time'],
    ['endsAt', 'end_time'],
    ['allDay', 'all_day'],
    ['timezone', 'timezone'],
    ['location', 'location'],
    ['attendees', 'attendees'],
    ['status', 'status'],
  ];
  const same = (a: unknown, b: unknown) => (a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : JSON.stringify(a) === JSON.stringify(b));
  return names.filter(([key]) => !same(current[key], next[key])).map(([, name]) => name);
}

/**
 * The Google id of an event of ours: our uuid's hex digits, which Google accepts as a
 * client-chosen id (base32hex, 5 to 1024 characters). The same id on every attempt, so a
 * retried insert is a 409, never a second copy.
 */
export const googleIdFor = (localId: string): string => localId.replace(/-/g, '').toLowerCase();

export type PushableEvent = Pick<LocalEventFields, 'title' | 'description' | 'startsAt' | 'endsAt' | 'allDay' | 'timezone' | 'location' | 'attendees'> & { id: string };

export interface GoogleEventBody {
  summary: string;
  description: string | null;
  location: string | null;
  start: { dateTime?: string; date?: string; timeZone: string };
  end: { dateTime?: string; date?: string; timeZone: string };
  attendees: Array<{ email: string }>;
  status: string;
  extendedProperties: { private: Record<string, string> };
}

/** Our event as a Google insert or patch body, marked ours. */
export function toGoogle(e: PushableEvent, fallbackZone: string): GoogleEventBody {
  const zone = e.timezone ?? fallbackZone;
  const at = (d: Date) => (e.allDay ? { date: DateTime.fromJSDate(d, { zone }).toISODate() as string, timeZone: zone } : { dateTime: d.toISOString(), timeZone: zone });
  return {
    summary: e.title,
    description: e.description,
    location: e.location,
    start: at(e.startsAt),
    end: at(e.endsAt),
    attendees: e.attendees.map((email) => ({ email })),
    status: 'confirmed',
    extendedProperties: { private: { [OUR_ID_PROPERTY]: e.id } },
  };
}
