import type { CalendarEvent } from '../../entities/CalendarEvent.ts';

export const eventDto = (e: CalendarEvent) => ({
  id: e.id,
  title: e.title,
  description: e.description ?? null,
  start_time: e.startsAt.toISOString(),
  end_time: e.endsAt.toISOString(),
  timezone: e.timezone ?? null,
  all_day: e.allDay,
  attendees: e.attendees,
  attendee_email: e.attendees[0] ?? null,
  contact_id: e.contact?.id ?? null,
  lead_id: e.lead?.id ?? null,
  location: e.location ?? null,
  status: e.status,
  source_message_id: e.sourceMessageId ?? null,
  external_calendar_id: e.externalCalendarId ?? null,
  external_calendar_type: e.externalCalendarType ?? null,
  sync_error: e.externalSyncError ?? null,
  created_at: e.createdAt.toISOString(),
  updated_at: e.updatedAt.toISOString(),
});
