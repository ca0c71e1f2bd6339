/** The payloads of outbox events: plain snake_case objects, the same shape the API returns. */
export interface ContactLike {
  id: string;
  name: string;
  email?: string | null;
  phone?: string | null;
  organization?: string | null;
  tags?: string[];
}

export function contactSnapshot(c: ContactLike) {
  return { id: c.id, name: c.name, email: c.email ?? null, phone: c.phone ?? null, organization: c.organization ?? null, tags: c.tags ?? [] };
}

export interface LeadLike {
  id: string;
  title: string;
  source: string;
  status: string;
}

/** The one shape of a lead in events, whoever created it (a user or triage). */
export function leadSnapshot(l: LeadLike, contact: ContactLike | null) {
  return { id: l.id, title: l.title, source: l.source, status: l.status, contact: contact ? contactSnapshot(contact) : null };
}

export interface CalendarEventLike {
  id: string;
  title: string;
  startsAt: Date;
  endsAt: Date;
  status: string;
  allDay?: boolean;
  location?: string | null;
  attendees?: string[];
  contact?: { id: string } | null;
  lead?: { id: string } | null;
}

/** The one shape of a calendar event in events. */
export function calendarEventSnapshot(e: CalendarEventLike) {
  return {
    id: e.id,
    title: e.title,
    start_time: e.startsAt.toISOString(),
    end_time: e.endsAt.toISOString(),
    all_day: e.allDay ?? false,
    status: e.status,
    location: e.location ?? null,
    attendees: e.attendees ?? [],
    contact_id: e.contact?.id ?? null,
    lead_id: e.lead?.id ?? null,
  };
}
