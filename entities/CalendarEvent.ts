import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { ContactSchema } from './Contact.ts';
import { LeadSchema } from './Lead.ts';
import { CalendarConnectionSchema } from './CalendarConnection.ts';

export const CALENDAR_EVENT_STATUSES = ['proposed', 'confirmed', 'cancelled'] as const;

/** A calendar entry; triage proposes them from appointment requests, a person confirms. */
export const CalendarEventSchema = defineEntity({
  name: 'CalendarEvent',
  extends: TenantScopedSchema,
  indexes: [{ properties: ['tenant', 'startsAt'] }],
  // A message's n-th extracted event has one row, however often triage runs.
  uniques: [
    { properties: ['tenant', 'dedupeKey'] },
    // One row per provider event; a recurring event's instances (and their moved exceptions) each have their own id.
    { properties: ['connection', 'externalId'] },
  ],
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
    /** The calendar connection this event is synced with, and its id there. */
    connection: () => p.manyToOne(CalendarConnectionSchema).nullable().deleteRule('set null'),
    externalId: p.string().length(1024).nullable(),
    /** A recurring series' instance: the series' provider id and the instance's original start. */
    recurringEventId: p.string().length(1024).nullable(),
    originalStartTime: p.string().length(64).nullable(),
    /** The `updatedAt` this row had when it last matched the provider: a later change is pushed, a pulled one is not pushed back. */
    externalSyncedAt: p.datetime().nullable(),
    /** Why the provider refused this event's last push (cleared when one goes through); the next edit here tries again. */
    externalSyncError: p.string().length(500).nullable(),
    dedupeKey: p.string().length(200).nullable(),
  },
});

export type CalendarEvent = InferEntity<typeof CalendarEventSchema>;
