import { z } from 'zod';
import type { EntityManager } from '../lib/db.ts';
import { optedOut, validationError } from '../lib/errors.ts';
import { normalizePhone } from '../lib/phone.ts';
import { BudgetExceededError } from '../lib/computeBudget.ts';
import { CATCH_UP_MS, isTimeZone, nextDue, parseOffset, type Recurrence } from '../lib/reminderTime.ts';
import { reminderStartRequest } from '../workflows/sendReminder.client.ts';
import { CalendarEventSchema } from './CalendarEvent.ts';
import { ContactSchema, isOptedOut, type Contact } from './Contact.ts';
import { ReminderSchema, type Reminder } from './Reminder.ts';
import { TenantSchema } from './Tenant.ts';
import { queueWorkflowStart, type WorkflowStart } from './WorkflowStart.ts';
import { sendStepTimeoutMs } from '../lib/smsDelivery.ts';

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

/** The reminder's first occurrence as things stand, or a 422 saying why there is none. */
export async function firstOccurrence(em: EntityManager, r: Reminder): Promise<Date> {
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


/** A new reminder and its run's start row, in the caller's unit of work (flushed). */
export async function newReminder(em: EntityManager, tenantId: string, body: NewReminder, opts: { sendTimeoutMs: number; requestId?: string | null; handOver?: boolean }): Promise<{ reminder: Reminder; start: WorkflowStart }> {
  // The API's schema checks the zone already; an automation's comes from a template, and a
  // zone Intl does not know cannot place the reminder's times (quiet hours, the template's).
  if (body.timezone !== undefined && !isTimeZone(body.timezone)) throw field('timezone', 'must be an IANA time zone, e.g. Europe/Berlin');
  const contact = body.contact_id ? await contactFor(em, body.contact_id, body.channel) : null;
  const r = em.create(ReminderSchema, {
    tenant: tenantId,
    channel: body.channel,
    contact,
    toAddress: body.to !== undefined ? rawRecipient(body.channel, body.to) : null,
    message: body.message,
    subject: body.subject ?? null,
    sendAt: body.send_at ? new Date(body.send_at) : null,
    // The tenant's zone is read only when the request names none.
    timezone: body.timezone ?? (await em.findOneOrFail(TenantSchema, tenantId)).timezone,
    locale: body.locale ?? 'en-US',
    event: body.event_id ?? null,
    offset: body.event_id ? (body.offset ?? '-24h') : null,
    offsetMs: body.event_id ? parseOffset(body.offset ?? '-24h') : null,
    rrule: body.rrule ?? null,
    until: body.until ? new Date(body.until) : null,
    urgent: body.urgent ?? false,
  });
  r.nextSendAt = await firstOccurrence(em, r);
  await checkConsent(em, r);
  const start = await em.transactional(async (tx) => {
    await tx.flush();
    const plan = { dueAt: (r.nextSendAt as Date).toISOString(), version: r.version };
    return queueWorkflowStart(tx, reminderStartRequest({ tenantId, reminderId: r.id, sendTimeoutMs: sendStepTimeoutMs(opts.sendTimeoutMs), plan }, { requestId: opts.requestId ?? null }), { handOver: opts.handOver });
  });
  return { reminder: r, start };
}
