import { z } from 'zod';
import { LockMode, type FilterQuery } from '@mikro-orm/core';
import { conflict, notFound, validationError } from '../../lib/errors.ts';
import { parseOffset } from '../../lib/reminderTime.ts';
import type { EntityManager } from '../../lib/db.ts';
import { ReminderSchema, type Reminder } from '../../entities/Reminder.ts';
import { listPage, paginationSchema } from '../pagination.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { madeOnce, runAskedFor, startOrDefer } from '../startWork.ts';
import { reminderWorkflowId } from '../../workflows/sendReminder.client.ts';
import { checkConsent, contactFor, firstOccurrence, newReminder, rawRecipient } from '../../entities/reminderCreation.ts';
import { queueReminderNudge, sendNudges } from './nudge.ts';
import { reminderBody, reminderListQuery, reminderParams, reminderSchema, reminderUpdateBody } from './schema.ts';
import { reminderDto } from './serialize.ts';

const SORT = { next_send_at: 'nextSendAt', created_at: 'createdAt', updated_at: 'updatedAt' } as const;

const field = (name: string, message: string, code = 'invalid') => validationError('Invalid reminder', [{ field: `body.${name}`, message, code }]);

/**
 * What decides when a reminder goes out, to tell whether a PUT changed it. The zone only
 * for a recurring one (its rule runs on the zone's wall clock): a one-off's time is an
 * instant, which a new zone for its text and quiet hours does not move.
 */
const scheduleOf = (r: Reminder) => JSON.stringify([r.sendAt?.getTime() ?? null, r.offsetMs ?? null, r.rrule ?? null, r.until?.getTime() ?? null, r.rrule ? r.timezone : null]);

async function findReminder(em: EntityManager, id: string): Promise<Reminder> {
  const r = await em.findOne(ReminderSchema, id);
  if (!r) throw notFound('Reminder');
  return r;
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
    handler: (ctx, { body, caller }) =>
      madeOnce(
        ctx,
        async (requestKey) => {
          const r = await ctx.state.em.findOne(ReminderSchema, { requestKey });
          return r && one(reminderDto(r, await runAskedFor(ctx, reminderWorkflowId(r.id))));
        },
        async (requestKey) => {
          const { reminder: r, start } = await newReminder(ctx.state.em, caller.tenantId, body, { sendTimeoutMs: ctx.deps.config.sms.sendTimeoutMs, requestId: ctx.state.requestId, requestKey });
          return one(reminderDto(r, await startOrDefer(ctx, start)));
        },
      ),
  }),

  route({
    method: 'get',
    path: '/reminders',
    tag: 'reminders',
    summary: 'List reminders (filters: status, channel, contact_id, event_id, start_date/end_date on next_send_at, or on sent_at once sent)',
    query: reminderListQuery,
    response: z.object({ data: z.array(reminderSchema), pagination: paginationSchema }),
    handler: async (ctx, { query }) => {
      const where: FilterQuery<Reminder> = {};
      if (query.status) where.status = query.status;
      if (query.channel) where.channel = query.channel;
      if (query.contact_id) where.contact = query.contact_id;
      if (query.event_id) where.event = query.event_id;
      if (query.start_date || query.end_date) {
        const range = { ...(query.start_date ? { $gte: new Date(query.start_date) } : {}), ...(query.end_date ? { $lte: new Date(query.end_date) } : {}) };
        // A reminder still to go by when it goes; one that has gone (next_send_at cleared) by when it went.
        where.$or = [{ nextSendAt: range }, { nextSendAt: null, sentAt: range }];
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
      const { r, nudge } = await ctx.state.em.transactional(async (em) => {
        const r = await em.findOne(ReminderSchema, params.id, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!r) throw notFound('Reminder');
        refuseUnlessScheduled(r);
        const scheduleBefore = scheduleOf(r);
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
        // A new schedule starts afresh: occurrences already sent under the old one do not count
        // against it. An unchanged one keeps its time, even one already past (a text waiting
        // out quiet hours): editing the text is not asking for a new time.
        if (scheduleOf(r) !== scheduleBefore) {
          if (body.send_at !== undefined || body.rrule !== undefined || body.offset !== undefined) r.lastOccurrenceAt = null;
          r.nextSendAt = await firstOccurrence(em, r);
        }
        await checkConsent(em, r);
        r.version += 1;
        return { r, nudge: queueReminderNudge(ctx, em, r) };
      });
      await sendNudges(ctx, [nudge]);
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
      const { changed, nudge } = await em.transactional(async (tx) => {
        const changed = await tx.nativeUpdate(ReminderSchema, { id: r.id, status: 'scheduled' }, { status: 'cancelled', nextSendAt: null, version: r.version + 1 });
        return { changed, nudge: changed ? queueReminderNudge(ctx, tx, r) : null };
      });
      em.clear();
      const now = await findReminder(em, params.id);
      if (!changed) refuseUnlessScheduled(now);
      if (nudge) await sendNudges(ctx, [nudge]);
      return one(reminderDto(now));
    },
  }),
];
