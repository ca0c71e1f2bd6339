import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { ContactSchema } from './Contact.ts';
import { LeadSchema } from './Lead.ts';

export const CALENDAR_EVENT_STATUSES = ['proposed', 'confirmed', 'cancelled'] as const;

/** A calendar entry; triage proposes them from appointment requests, a person confirms. */
export const CalendarEventSchema = defineEntity({
  name: 'CalendarEvent',
  extends: TenantScopedSchema,
  indexes: [{ properties: ['tenant', 'startsAt'] }],
  // A message's n-th extracted event has one row, however often triage runs.
  uniques: [{ properties: ['tenant', 'dedupeKey'] }],
  properties: {
    title: p.string().length(300),
    description: p.text().nullable(),
    startsAt: p.datetime(),
    endsAt: p.datetime(),
    /** The IANA zone the event was given in (shown back; times are stored as instants). */
    timezone: p.string().length(64).nullable(),
    allDay: p.boolean().default(false),
    /** Attendee email addresses. */
    attendees: p.array().default([]),
    location: p.string().length(300).nullable(),
    status: p.enum(CALENDAR_EVENT_STATUSES).default('proposed'),
    contact: () => p.manyToOne(ContactSchema).nullable().deleteRule('set null'),
    lead: () => p.manyToOne(LeadSchema).nullable().deleteRule('set null'),
    externalCalendarId: p.string().length(300).nullable(),
    externalCalendarType: p.string().length(20).nullable(),
    sourceMessageId: p.uuid().nullable(),
    dedupeKey: p.string().length(200).nullable(),
  },
});

export type CalendarEvent = InferEntity<typeof CalendarEventSchema>;
