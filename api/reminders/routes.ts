import { z } from 'zod';
import { LockMode, type FilterQuery } from '@mikro-orm/core';
import { conflict, notFound, validationError } from '../../lib/errors.ts';
import { normalizePhone } from '../../lib/phone.ts';
import { CATCH_UP_MS, nextDue, parseOffset } from '../../lib/reminderTime.ts';
import type { EntityManager } from '../../lib/db.ts';
import { ContactSchema, isOptedOut, type Contact } from '../../entities/Contact.ts';
import { CalendarEventSchema } from '../../entities/CalendarEvent.ts';
import { ReminderSchema, type Reminder } from '../../entities/Reminder.ts';
import { TenantSchema } from '../../entities/Tenant.ts';
import { queueWorkflowStart } from '../../entities/WorkflowStart.ts';
import { reminderStartRequest } from '../../workflows/sendReminder.client.ts';
import { listPage, paginationSchema } from '../pagination.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { startOrDefer } from '../startWork.ts';
import { optedOut } from '../messaging/routes.ts';
import { nudgeReminder } from './nudge.ts';
import { reminderBody, reminderListQuery, reminderParams, reminderSchema, reminderUpdateBody } from './schema.ts';
import { reminderDto } from './serialize.ts';

const SORT = { next_send_at: 'nextSendAt', created_at: 'createdAt', updated_at: 'updatedAt' } as const;

const field = (name: string, message: string, code = 'invalid') => validationError('Invalid reminder', [{ field: `body.${name}`, message, code }]);

async function findReminder(em: EntityManager, id: string): Promise<Reminder> {
  const r = await em.findOne(ReminderSchema, id);
  if (!r) throw notFound('Reminder');
  return r;
}

/** A raw recipient in its one spelling: E.164 for texts, lowercased for email. */
function rawRecipient(channel: string, to: string): string {
  if (channel === 'email') {
    const parsed = z.email().safeParse(to);
    if (!parsed.success) throw field('to', 'must be an email address for channel email');
    return to.toLowerCase();
  }
  const phone = normalizePhone(to);
  if (!phone) throw field('to', `must be a phone number for channel ${channel}`);
  return phone;
}

async function contactFor(em: EntityManager, id: string, channel: string): Promise<Contact> {
  const contact = await em.findOne(ContactSchema, id);
  if (!contact) throw field('contact_id', 'no such contact', 'not_found');
  if (channel === 'email' ? !contact.email : !contact.phone) throw field('contact_id', `the contact has no ${channel === 'email' ? 'email address' : 'phone number'}`, 'no_address');
  return contact;
}

/** The reminder's first occurrence as things stand, or a 422 saying why there is none. */
async function firstOccurrence(em: EntityManager, r: Reminder): Promise<Date> {
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
  const next = nextDue({ anchor, timezone: r.timezone, rrule: r.rrule, until: r.until }, null, now);
  if (!next) throw field(r.rrule ? 'until' : 'send_at', 'the reminder would never be sent (its time is before until)');
  if (next.getTime() < now.getTime() - CATCH_UP_MS) throw field(r.event ? 'offset' : 'send_at', 'that time has passed');
  return next;
}

async function checkConsent(em: EntityManager, r: Reminder) {
  const contact = r.contact ? await em.findOne(ContactSchema, r.contact.id) : null;
  const to = r.toAddress ?? (r.channel === 'email' ? contact?.email : contact?.phone) ?? '';
  if (await isOptedOut(em, { channel: r.channel, toAddress: to, contact })) throw optedOut(to, r.toAddress ? 'body.to' : 'body.contact_id');
}

const refuseUnlessScheduled = (r: Reminder) => {
  if (r.status !== 'scheduled') throw conflict(`The reminder is ${r.status}; it can no longer be changed`, { status: r.status });
};

export const reminderRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/reminders',
    tag: 'reminders',
    summary: 'Schedule a reminder (SMS, WhatsApp or email): at send_at in a time zone, or at an offset from a calendar event; optionally repeating (RRULE)',
    body: reminderBody,
    status: 201,
    response: dataSchema(reminderSchema),
    handler: async (ctx, { body, caller }) => {
      const em = ctx.state.em;
      const contact = body.contact_id ? await contactFor(em, body.contact_id, body.channel) : null;
      const r = em.create(ReminderSchema, {
        tenant: caller.tenantId,
        channel: body.channel,
        contact,
        toAddress: body.to !== undefined ? rawRecipient(body.channel, body.to) : null,
        message: body.message,
        subject: body.subject ?? null,
        sendAt: body.send_at ? new Date(body.send_at) : null,
        // The tenant's zone is read only when the request names none.
        timezone: body.timezone ?? (await em.findOneOrFail(TenantSchema, caller.tenantId)).timezone,
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
        return queueWorkflowStart(tx, reminderStartRequest({ tenantId: caller.tenantId, reminderId: r.id, sendTimeoutMs: ctx.deps.config.sms.sendTimeoutMs + 10_000, plan }, { requestId: ctx.state.requestId }));
      });
      const run = await startOrDefer(ctx, start);
      return one(reminderDto(r, run));
    },
  }),

  route({
    method: 'get',
    path: '/reminders',
    tag: 'reminders',
    summary: 'List reminders (filters: status, channel, contact_id, event_id, start_date/end_date on next_send_at)',
    query: reminderListQuery,
    response: z.object({ data: z.array(reminderSchema), pagination: paginationSchema }),
    handler: async (ctx, { query }) => {
      const where: FilterQuery<Reminder> = {};
      if (query.status) where.status = query.status;
      if (query.channel) where.channel = query.channel;
      if (query.contact_id) where.contact = query.contact_id;
      if (query.event_id) where.event = query.event_id;
      if (query.start_date || query.end_date) {
        where.nextSendAt = { ...(query.start_date ? { $gte: new Date(query.start_date) } : {}), ...(query.end_date ? { $lte: new Date(query.end_date) } : {}) };
      }
      return listPage(ctx.state.em, ReminderSchema, where, query, SORT, (r) => reminderDto(r));
    },
  }),

  route({
    method: 'get',
    path: '/reminders/:id',
    tag: 'reminders',
    summary: 'Get a reminder, with its next send time and how many times it was sent',
    params: reminderParams,
    response: dataSchema(reminderSchema),
    handler: async (ctx, { params }) => one(reminderDto(await findReminder(ctx.state.em, params.id))),
  }),

  route({
    method: 'put',
    path: '/reminders/:id',
    tag: 'reminders',
    summary: 'Reschedule or change a scheduled reminder (time, text, recipient); its run plans again at once. A sent or cancelled reminder answers 409',
    params: reminderParams,
    body: reminderUpdateBody,
    response: dataSchema(reminderSchema),
    handler: async (ctx, { params, body }) => {
      // Under a row lock: a run that fires meanwhile either finishes first (then this is a 409) or waits.
      const r = await ctx.state.em.transactional(async (em) => {
        const r = await em.findOne(ReminderSchema, params.id, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!r) throw notFound('Reminder');
        refuseUnlessScheduled(r);
        if (body.send_at !== undefined && r.event) throw field('send_at', 'this reminder follows its calendar event; change offset instead');
        if (body.offset !== undefined && !r.event) throw field('offset', 'only a reminder tied to a calendar event has an offset; change send_at instead');
        if (body.rrule && r.event) throw field('rrule', 'a reminder tied to an event does not repeat');
        if (body.to !== undefined && body.contact_id !== undefined) throw field('to', 'give either contact_id or to');
        if (body.to !== undefined) {
          r.toAddress = rawRecipient(r.channel, body.to);
          r.contact = null;
        }
        if (body.contact_id !== undefined) {
          r.contact = await contactFor(em, body.contact_id, r.channel);
          r.toAddress = null;
        }
        if (body.message !== undefined) r.message = body.message;
        if (body.subject !== undefined) r.subject = body.subject;
        if (body.send_at !== undefined) r.sendAt = new Date(body.send_at);
        if (body.timezone !== undefined) r.timezone = body.timezone;
        if (body.locale !== undefined) r.locale = body.locale;
        if (body.offset !== undefined) {
          r.offset = body.offset;
          r.offsetMs = parseOffset(body.offset);
        }
        if (body.rrule !== undefined) r.rrule = body.rrule;
        if (body.until !== undefined) r.until = body.until ? new Date(body.until) : null;
        if (body.urgent !== undefined) r.urgent = body.urgent;
        // A new schedule starts afresh: occurrences already sent under the old one do not count against it.
        if (body.send_at !== undefined || body.rrule !== undefined || body.offset !== undefined) r.lastOccurrenceAt = null;
        r.nextSendAt = await firstOccurrence(em, r);
        await checkConsent(em, r);
        r.version += 1;
        return r;
      });
      await nudgeReminder(ctx, r);
      return one(reminderDto(r));
    },
  }),

  route({
    method: 'post',
    path: '/reminders/:id/cancel',
    tag: 'reminders',
    summary: 'Cancel a scheduled reminder; its run ends. A sent or cancelled reminder answers 409',
    params: reminderParams,
    response: dataSchema(reminderSchema),
    handler: async (ctx, { params }) => {
      const em = ctx.state.em;
      const r = await findReminder(em, params.id);
      refuseUnlessScheduled(r);
      const changed = await em.nativeUpdate(ReminderSchema, { id: r.id, status: 'scheduled' }, { status: 'cancelled', nextSendAt: null, version: r.version + 1 });
      em.clear();
      const now = await findReminder(em, params.id);
      if (!changed) refuseUnlessScheduled(now);
      await nudgeReminder(ctx, now);
      return one(reminderDto(now));
    },
  }),
];
