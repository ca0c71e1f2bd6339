import { z } from 'zod';
import { CALENDAR_EVENT_STATUSES } from '../../entities/CalendarEvent.ts';
import { isTimeZone } from '../../lib/reminderTime.ts';
import { listQuery } from '../pagination.ts';
import { emailField, isoDateTime, trimmed, uuidParam } from '../validation.ts';

/** A day (`2025-08-16`, read in the tenant's zone) or a date-time with a zone; seed 000 filters by day. */
export const dayOrDateTime = z.union([z.iso.date({ error: 'must be a date (YYYY-MM-DD) or an ISO-8601 date-time with a zone' }), isoDateTime]);

const fields = {
  title: trimmed(300),
  description: z.string().max(10_000).nullable(),
  start_time: isoDateTime,
  end_time: isoDateTime,
  timezone: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Berlin').nullable(),
  all_day: z.boolean(),
  attendees: z.array(emailField).max(100),
  contact_id: uuidParam.nullable(),
  lead_id: uuidParam.nullable(),
  location: z.string().trim().max(300).nullable(),
  external_calendar_id: z.string().max(300).nullable(),
  external_calendar_type: z.enum(['google', 'outlook']).nullable(),
};

export const eventBody = z.strictObject({
  ...fields,
  description: fields.description.optional(),
  end_time: fields.end_time.optional(),
  timezone: fields.timezone.optional(),
  all_day: fields.all_day.optional(),
  attendees: fields.attendees.optional(),
  /** Seed 000's single attendee. */
  attendee_email: emailField.optional(),
  contact_id: fields.contact_id.optional(),
  lead_id: fields.lead_id.optional(),
  location: fields.location.optional(),
  status: z.enum(['proposed', 'confirmed']).optional(),
  external_calendar_id: fields.external_calendar_id.optional(),
  external_calendar_type: fields.external_calendar_type.optional(),
});

export const eventUpdateBody = z.strictObject({
  title: fields.title.optional(),
  description: fields.description.optional(),
  start_time: fields.start_time.optional(),
  end_time: fields.end_time.optional(),
  timezone: fields.timezone.optional(),
  all_day: fields.all_day.optional(),
  attendees: fields.attendees.optional(),
  contact_id: fields.contact_id.optional(),
  lead_id: fields.lead_id.optional(),
  location: fields.location.optional(),
  status: z.enum(CALENDAR_EVENT_STATUSES).optional(),
});

export const eventListQuery = listQuery(['start_time', 'created_at', 'updated_at'] as const, 'start_time').extend({
  start_date: dayOrDateTime.optional(),
  end_date: dayOrDateTime.optional(),
  contact_id: uuidParam.optional(),
  lead_id: uuidParam.optional(),
  status: z.enum(CALENDAR_EVENT_STATUSES).optional(),
  sort_order: z.enum(['asc', 'desc']).default('asc'),
});

export const eventParams = z.object({ id: uuidParam });

export const eventSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  description: z.string().nullable(),
  start_time: z.string(),
  end_time: z.string(),
  timezone: z.string().nullable(),
  all_day: z.boolean(),
  attendees: z.array(z.string()),
  attendee_email: z.string().nullable(),
  contact_id: z.uuid().nullable(),
  lead_id: z.uuid().nullable(),
  location: z.string().nullable(),
  status: z.enum(CALENDAR_EVENT_STATUSES),
  source_message_id: z.uuid().nullable(),
  external_calendar_id: z.string().nullable(),
  external_calendar_type: z.string().nullable(),
  sync_error: z.string().nullable().meta({ description: "Why the connected calendar refused this event's last change (null once one goes through); the next edit here tries again" }),
  created_at: z.string(),
  updated_at: z.string(),
});
