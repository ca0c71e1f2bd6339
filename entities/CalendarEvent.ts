import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { ContactSchema } from './Contact.ts';

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
    startsAt: p.datetime(),
    endsAt: p.datetime(),
    location: p.string().length(300).nullable(),
    status: p.enum(CALENDAR_EVENT_STATUSES).default('proposed'),
    contact: () => p.manyToOne(ContactSchema).nullable().deleteRule('set null'),
    sourceMessageId: p.uuid().nullable(),
    dedupeKey: p.string().length(200).nullable(),
  },
});

export type CalendarEvent = InferEntity<typeof CalendarEventSchema>;
