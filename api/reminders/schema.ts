import { z } from 'zod';
import { REMINDER_CHANNELS, REMINDER_STATUSES } from '../../entities/Reminder.ts';
import { isTimeZone, parseOffset, parseRrule } from '../../lib/reminderTime.ts';
import { isLocale, TEMPLATE_FIELDS, unknownPlaceholders } from '../../lib/template.ts';
import { listQuery } from '../pagination.ts';
import { runRefSchema } from '../runs/schema.ts';
import { isoDateTime, trimmed, uuidParam } from '../validation.ts';

const template = trimmed(1600).superRefine((text, ctx) => {
  const unknown = unknownPlaceholders(text);
  if (unknown.length) ctx.addIssue({ code: 'custom', message: `unknown placeholder ${unknown.map((u) => `{{${u}}}`).join(', ')}; known: ${TEMPLATE_FIELDS.join(', ')}` });
});
const timezone = z.string().max(64).refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Berlin');
const locale = z.string().max(35).refine(isLocale, 'must be a BCP 47 locale, e.g. en-US');
const offset = z
  .string()
  .max(20)
  .refine((v) => {
    try {
      parseOffset(v);
      return true;
    } catch {
      return false;
    }
  }, 'must be an offset from the event start, e.g. -24h, -15m, -1d, -1h30m (at most a year)');
const rrule = z
  .string()
  .max(500)
  .superRefine((v, ctx) => {
    const parsed = parseRrule(v);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  });

/** Fields a reminder may be created with and changed by PUT. */
const editable = {
  to: z.string().trim().min(1).max(320),
  contact_id: uuidParam,
  message: template,
  subject: trimmed(300),
  send_at: isoDateTime,
  timezone,
  locale,
  offset,
  rrule: rrule.nullable(),
  until: isoDateTime.nullable(),
  urgent: z.boolean(),
};

export const reminderBody = z
  .strictObject({
    channel: z.enum(REMINDER_CHANNELS).default('sms'),
    ...editable,
    to: editable.to.optional(),
    contact_id: editable.contact_id.optional(),
    subject: editable.subject.optional(),
    send_at: editable.send_at.optional(),
    timezone: timezone.optional(),
    locale: locale.optional(),
    event_id: uuidParam.optional(),
    offset: offset.optional(),
    rrule: editable.rrule.optional(),
    until: editable.until.optional(),
    urgent: z.boolean().optional(),
  })
  .superRefine((b, ctx) => {
    if ((b.to === undefined) === (b.contact_id === undefined)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'give either contact_id or to (a phone number or email address)' });
    if ((b.send_at === undefined) === (b.event_id === undefined)) ctx.addIssue({ code: 'custom', path: ['send_at'], message: 'give either send_at (with timezone) or event_id (with offset)' });
    if (b.offset !== undefined && b.event_id === undefined) ctx.addIssue({ code: 'custom', path: ['offset'], message: 'offset is relative to event_id' });
    if (b.rrule && b.event_id !== undefined) ctx.addIssue({ code: 'custom', path: ['rrule'], message: 'a reminder tied to an event does not repeat; use send_at with rrule' });
  });

export const reminderUpdateBody = z.strictObject({
  to: editable.to.optional(),
  contact_id: editable.contact_id.optional(),
  message: editable.message.optional(),
  subject: editable.subject.optional(),
  send_at: editable.send_at.optional(),
  timezone: timezone.optional(),
  locale: locale.optional(),
  offset: offset.optional(),
  rrule: editable.rrule.optional(),
  until: editable.until.optional(),
  urgent: z.boolean().optional(),
});

export const reminderListQuery = listQuery(['next_send_at', 'created_at', 'updated_at'] as const, 'created_at').extend({
  status: z.enum(REMINDER_STATUSES).optional(),
  channel: z.enum(REMINDER_CHANNELS).optional(),
  contact_id: uuidParam.optional(),
  event_id: uuidParam.optional(),
  /** On next_send_at. */
  start_date: isoDateTime.optional(),
  end_date: isoDateTime.optional(),
});

export const reminderParams = z.object({ id: uuidParam });

export const reminderSchema = z.object({
  id: z.uuid(),
  channel: z.enum(REMINDER_CHANNELS),
  contact_id: z.uuid().nullable(),
  to: z.string().nullable(),
  message: z.string(),
  subject: z.string().nullable(),
  send_at: z.string().nullable(),
  timezone: z.string(),
  locale: z.string(),
  event_id: z.uuid().nullable(),
  offset: z.string().nullable(),
  rrule: z.string().nullable(),
  until: z.string().nullable(),
  urgent: z.boolean(),
  status: z.enum(REMINDER_STATUSES),
  next_send_at: z.string().nullable(),
  sent_at: z.string().nullable(),
  sent_count: z.number().int(),
  last_error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  run: runRefSchema,
});
