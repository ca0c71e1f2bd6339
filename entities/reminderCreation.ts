import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { EntityManager } from '../lib/db.ts';
import { optedOut, validationError } from '../lib/errors.ts';
import { normalizePhone } from '../lib/phone.ts';
import { BudgetExceededError } from '../lib/computeBudget.ts';
import { CATCH_UP_MS, isTimeZone, nextDue, parseOffset, type Recurrence } from '../lib/reminderTime.ts';
import { reminderStartRequest } from '../workflows/sendReminder.client.ts';
import { CalendarEventSchema } from './CalendarEvent.ts';
import { ContactSchema, isOptedOut, optedOutSql, type Contact } from './Contact.ts';
import { ReminderSchema, type Reminder } from './Reminder.ts';
import { TenantSchema } from './Tenant.ts';
import { WorkflowStartSchema, type WorkflowStart } from './WorkflowStart.ts';
import { sendStepTimeoutMs } from '../lib/smsDelivery.ts';
import { executePrepared } from '../lib/preparedSql.ts';

/**
 * Making a reminder (the API's create and an automation's `schedule_reminder`): its
 * recipient in one spelling, its first occurrence, consent, and its run's start row.
 * Problems are 422s on the field (`body.<name>`).
 */
const field = (name: string, message: string, code = 'invalid') => validationError('Invalid reminder', [{ field: `body.${name}`, message, code }]);

export interface NewReminder {
  channel: 'sms' | 'whatsapp' | 'email';
  contact_id?: string;
  to?: string;
  message: string;
  subject?: string;
  send_at?: string;
  timezone?: string;
  locale?: string;
  event_id?: string;
  offset?: string;
  rrule?: string | null;
  until?: string | null;
  urgent?: boolean;
}

/** A raw recipient in its one spelling: E.164 for texts, lowercased for email. */
export function rawRecipient(channel: string, to: string): string {
  if (channel === 'email') {
    const parsed = z.email().safeParse(to);
    if (!parsed.success) throw field('to', 'must be an email address for channel email');
    return to.toLowerCase();
  }
  const phone = normalizePhone(to);
  if (!phone) throw field('to', `must be a phone number for channel ${channel}`);
  return phone;
}

export async function contactFor(em: EntityManager, id: string, channel: string): Promise<Contact> {
  const contact = await em.findOne(ContactSchema, id);
  if (!contact) throw field('contact_id', 'no such contact', 'not_found');
  if (channel === 'email' ? !contact.email : !contact.phone) throw field('contact_id', `the contact has no ${channel === 'email' ? 'email address' : 'phone number'}`, 'no_address');
  return contact;
}

function searchFirst(recurrence: Recurrence, now: Date): Date | null {
  try {
    return nextDue(recurrence, null, now);
  } catch (err) {
    if (!(err instanceof BudgetExceededError)) throw err;
    throw field('rrule', 'the rule gives no occurrence in a bounded search; it may match no day at all (e.g. BYMONTH=2;BYMONTHDAY=30)');
  }
}

/** What a reminder's first occurrence depends on: a stored reminder, or one about to be. */
export interface ReminderSchedule {
  event?: { id: string } | null;
  offsetMs?: number | null;
  sendAt?: Date | null;
  timezone: string;
  rrule?: string | null;
  until?: Date | null;
}

/** The reminder's first occurrence as things stand, or a 422 saying why there is none. */
export async function firstOccurrence(em: EntityManager, r: ReminderSchedule): Promise<Date> {
  let anchor: Date;
  if (r.event) {
    const event = await em.findOne(CalendarEventSchema, r.event.id);
    if (!event) throw field('event_id', 'no such calendar event', 'not_found');
    if (event.status === 'cancelled') throw field('event_id', 'the calendar event is cancelled');
    anchor = new Date(event.startsAt.getTime() + (r.offsetMs ?? 0));
  } else {
    anchor = r.sendAt as Date;
  }
  const now = new Date();
  const next = searchFirst({ anchor, timezone: r.timezone, rrule: r.rrule, until: r.until }, now);
  if (!next) throw field(r.rrule ? 'until' : 'send_at', 'the reminder would never be sent (its time is before until)');
  if (next.getTime() < now.getTime() - CATCH_UP_MS) throw field(r.event ? 'offset' : 'send_at', 'that time has passed');
  return next;
}

export async function checkConsent(em: EntityManager, r: Reminder) {
  const contact = r.contact ? await em.findOne(ContactSchema, r.contact.id) : null;
  const to = r.toAddress ?? (r.channel === 'email' ? contact?.email : contact?.phone) ?? '';
  if (await isOptedOut(em, { channel: r.channel, toAddress: to, contact })) throw optedOut(to, r.toAddress ? 'body.to' : 'body.contact_id');
}


/**
 * A new reminder and its run's start row, written by one statement in the caller's
 * transaction (if any) and mapped into its unit of work. One round trip where the ORM
 * made five (the tenant's zone, the consent check, BEGIN, two INSERTs and COMMIT): this
 * is the path every scheduled reminder takes (bench:reminders). The consent check is the
 * insert's own condition, so a STOP committed meanwhile cannot slip between them.
 */
export async function newReminder(
  em: EntityManager,
  tenantId: string,
  body: NewReminder,
  opts: { sendTimeoutMs: number; requestId?: string | null; handOver?: boolean; automation?: { runId: string; depth: number } | null; requestKey?: string | null },
): Promise<{ reminder: Reminder; start: WorkflowStart }> {
  // The API's schema checks the zone already; an automation's comes from a template, and a
  // zone Intl does not know cannot place the reminder's times (quiet hours, the template's).
  if (body.timezone !== undefined && !isTimeZone(body.timezone)) throw field('timezone', 'must be an IANA time zone, e.g. Europe/Berlin');
  const contact = body.contact_id ? await contactFor(em, body.contact_id, body.channel) : null;
  const toAddress = body.to !== undefined ? rawRecipient(body.channel, body.to) : null;
  const offset = body.event_id ? (body.offset ?? '-24h') : null;
  // Only a rule runs on the zone's wall clock: a one-off's time is an instant, so a reminder
  // that names no zone reads the tenant's first only when it repeats; otherwise the insert
  // takes it from the tenant's row.
  const zone = body.timezone ?? (body.rrule ? (await em.findOneOrFail(TenantSchema, tenantId)).timezone : null);
  const schedule: ReminderSchedule = {
    event: body.event_id ? { id: body.event_id } : null,
    offsetMs: offset ? parseOffset(offset) : null,
    sendAt: body.send_at ? new Date(body.send_at) : null,
    timezone: zone ?? 'UTC',
    rrule: body.rrule ?? null,
    until: body.until ? new Date(body.until) : null,
  };
  const nextSendAt = await firstOccurrence(em, schedule);
  const id = randomUUID();
  const start = reminderStartRequest({ tenantId, reminderId: id, sendTimeoutMs: sendStepTimeoutMs(opts.sendTimeoutMs), plan: { dueAt: nextSendAt.toISOString(), version: 1 } }, { requestId: opts.requestId ?? null });
  const address = toAddress ?? (body.channel === 'email' ? contact?.email : contact?.phone) ?? '';
  const now = new Date();
  // What the caller's unit of work holds goes first (an automation's new contact, say): the row may refer to it.
  await em.flush();
  const rows = await executePrepared<{ reminder: Record<string, unknown>; start: Record<string, unknown> }>(
    em,
    `with r as (
       insert into reminders (id, created_at, updated_at, tenant_id, channel, contact_id, to_address, subject, message, send_at, timezone, locale,
                              event_id, "offset", offset_ms, rrule, until, urgent, next_send_at, automation_run_id, automation_depth, request_key)
       select ?::uuid, ?::timestamptz, ?::timestamptz, t.id, ?::text, ?::uuid, ?::text, ?::text, ?::text, ?::timestamptz, coalesce(?::text, t.timezone), ?::text,
              ?::uuid, ?::text, ?::bigint, ?::text, ?::timestamptz, ?::boolean, ?::timestamptz, ?::uuid, ?::int, ?::text
       from tenant t
       where t.id = ?::uuid and not ${optedOutSql({ tenant: 't.id', channel: '?::text', contactId: '?::uuid', address: '?::text' })}
       returning *
     ), s as (
       insert into workflow_starts (id, created_at, updated_at, tenant_id, workflow_type, workflow_id, args, entity_type, entity_id, request_id, rerunnable, signal, claimed_until)
       select ?::uuid, ?::timestamptz, ?::timestamptz, r.tenant_id, ?::text, ?::text, ?::jsonb, ?::text, ?::text, ?::text, ?::boolean, ?::text, ?::timestamptz from r
       returning *
     )
     select to_jsonb(r) as reminder, to_jsonb(s) as start from r, s`,
    [
      id, now, now, body.channel, contact?.id ?? null, toAddress, body.subject ?? null, body.message, schedule.sendAt, zone, body.locale ?? 'en-US',
      body.event_id ?? null, offset, schedule.offsetMs, schedule.rrule, schedule.until, body.urgent ?? false, nextSendAt,
      opts.automation?.runId ?? null, opts.automation?.depth ?? 0, opts.requestKey ?? null,
      tenantId, body.channel, contact?.id ?? null, address, address,
      randomUUID(), now, now, start.workflowType, start.workflowId, JSON.stringify(start.args), start.entity.type, start.entity.id, start.requestId ?? null, start.rerunnable ?? false, start.signal ?? null,
      opts.handOver ? new Date(0) : null,
    ],
  );
  // Nothing written: the recipient opted out (the tenant is the caller's own).
  if (!rows[0]) throw optedOut(address, toAddress ? 'body.to' : 'body.contact_id');
  return { reminder: em.map(ReminderSchema, rows[0].reminder), start: em.map(WorkflowStartSchema, rows[0].start) };
}
