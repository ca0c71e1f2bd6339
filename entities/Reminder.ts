import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { ContactSchema } from './Contact.ts';
import { CalendarEventSchema } from './CalendarEvent.ts';

export const REMINDER_CHANNELS = ['sms', 'whatsapp', 'email'] as const;
export const REMINDER_STATUSES = ['scheduled', 'sent', 'cancelled', 'failed'] as const;
export type ReminderStatus = (typeof REMINDER_STATUSES)[number];

/**
 * A message to send later, by the workflow `reminder-<id>`: at `sendAt` in `timezone`, or
 * at `offsetMs` from its calendar event's start (then it follows the event), repeating by
 * `rrule` until `until`. `version` grows with every change a person makes, so the
 * workflow can tell that what it planned is stale.
 */
export const ReminderSchema = defineEntity({
  name: 'Reminder',
  tableName: 'reminders',
  extends: TenantScopedSchema,
  indexes: [{ properties: ['tenant', 'status', 'nextSendAt'] }, { properties: ['tenant', 'event'] }, { properties: ['tenant', 'contact'] }],
  uniques: [{ properties: ['tenant', 'requestKey'] }],
  properties: {
    channel: p.enum(REMINDER_CHANNELS),
    contact: () => p.manyToOne(ContactSchema).nullable().deleteRule('set null'),
    toAddress: p.string().length(320).nullable(),
    subject: p.string().length(300).nullable(),
    message: p.text(),
    sendAt: p.datetime().nullable(),
    timezone: p.string().length(64),
    locale: p.string().length(35).default('en-US'),
    event: () => p.manyToOne(CalendarEventSchema).nullable().deleteRule('set null'),
    /** Relative reminders keep this after their event is deleted, so they know to stop. */
    offset: p.string().length(20).nullable(),
    offsetMs: p.bigint('number').nullable(),
    rrule: p.string().length(500).nullable(),
    until: p.datetime().nullable(),
    /** Urgent reminders ignore quiet hours. */
    urgent: p.boolean().default(false),
    status: p.enum(REMINDER_STATUSES).default('scheduled'),
    nextSendAt: p.datetime().nullable(),
    /** The occurrence last sent (recurring reminders continue after it). */
    lastOccurrenceAt: p.datetime().nullable(),
    /**
     * The occurrence quiet hours put off (until `nextSendAt`): still due however late, where
     * other missed occurrences of a recurring reminder are skipped. Only while it is the
     * occurrence next due; a send after it, or a new schedule, moves past it.
     */
    heldOccurrenceAt: p.datetime().nullable(),
    sentCount: p.integer().default(0),
    sentAt: p.datetime().nullable(),
    lastError: p.string().length(500).nullable(),
    version: p.integer().default(1),
    /**
     * The automation run whose `schedule_reminder` step made it, and how many runs led to
     * that one: its sends' events carry them, so automations answering `reminder.sent` with
     * a new reminder stop at AUTOMATION_MAX_DEPTH instead of texting for ever.
     */
    automationRunId: p.uuid().nullable(),
    automationDepth: p.integer().default(0),
    /**
     * The creating request's Idempotency-Key, hashed with its caller and body
     * (api/middleware/idempotency.ts): a retry after the API died between its commit and its
     * answer finds this reminder instead of making a second one that texts again.
     */
    requestKey: p.string().length(64).nullable(),
  },
});

export type Reminder = InferEntity<typeof ReminderSchema>;
