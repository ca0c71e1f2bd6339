import { z } from 'zod';
import { DateTime } from 'luxon';
import type { FilterQuery } from '@mikro-orm/core';
import { notFound, validationError } from '../../lib/errors.ts';
import { calendarEventSnapshot } from '../../lib/snapshots.ts';
import type { EntityManager } from '../../lib/db.ts';
import { CalendarEventSchema, type CalendarEvent } from '../../entities/CalendarEvent.ts';
import { ContactSchema } from '../../entities/Contact.ts';
import { CalendarDeletionSchema } from '../../entities/CalendarConnection.ts';
import { LeadSchema } from '../../entities/Lead.ts';
import { ReminderSchema } from '../../entities/Reminder.ts';
import { TenantSchema } from '../../entities/Tenant.ts';
import { recordEvent } from '../../entities/Event.ts';
import { listPage, paginationSchema } from '../pagination.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import type { AppContext } from '../context.ts';
import { queueReminderNudge, sendNudges } from '../reminders/nudge.ts';
import { nudgeCalendarSync } from './connections.ts';
import { madeOnce } from '../startWork.ts';
import { eventBody, eventListQuery, eventParams, eventSchema, eventUpdateBody } from './schema.ts';
import { eventDto } from './serialize.ts';

const SORT = { start_time: 'startsAt', created_at: 'createdAt', updated_at: 'updatedAt' } as const;
const HOUR_MS = 3_600_000;

const invalid = (field: string, message: string, code = 'invalid') => validationError('Invalid calendar event', [{ field: `body.${field}`, message, code }]);

async function findEvent(em: EntityManager, id: string): Promise<CalendarEvent> {
  const e = await em.findOne(CalendarEventSchema, id);
  if (!e) throw notFound('Calendar event');
  return e;
}

async function checkRefs(em: EntityManager, body: { contact_id?: string | null; lead_id?: string | null }) {
  if (body.contact_id && !(await em.findOne(ContactSchema, body.contact_id))) throw invalid('contact_id', 'no such contact', 'not_found');
  if (body.lead_id && !(await em.findOne(LeadSchema, body.lead_id))) throw invalid('lead_id', 'no such lead', 'not_found');
}

/** A filter bound: a day is read in the tenant's zone (its start, or its end for `end_date`). */
function bound(value: string, zone: string, edge: 'start' | 'end'): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return new Date(value);
  const day = DateTime.fromISO(value, { zone });
  return (edge === 'start' ? day.startOf('day') : day.endOf('day')).toJSDate();
}

/**
 * Reminders that follow an event plan again after it moved or ended (their runs re-read
 * it): owed in `em`'s unit of work, so they commit with the event's change.
 */
async function queueFollowerNudges(ctx: AppContext, em: EntityManager, eventId: string) {
  const reminders = await em.find(ReminderSchema, { event: eventId, status: 'scheduled' });
  return reminders.map((r) => queueReminderNudge(ctx, em, r));
}

const updateRoute = (method: 'put' | 'patch') =>
  route({
    method,
    path: '/calendar/events/:id',
    tag: 'calendar',
    summary: 'Change a calendar event; reminders tied to it move with it (or end, when it is cancelled)',
    params: eventParams,
    body: eventUpdateBody,
    response: dataSchema(eventSchema),
    handler: async (ctx, { params, body, caller }) => {
      const em = ctx.state.em;
      const e = await findEvent(em, params.id);
      await checkRefs(em, body);
      const before = calendarEventSnapshot(e);
      if (body.title !== undefined) e.title = body.title;
      if (body.description !== undefined) e.description = body.description;
      if (body.start_time !== undefined) {
        // Moving the start keeps the event's length unless the end is given too.
        const length = e.endsAt.getTime() - e.startsAt.getTime();
        e.startsAt = new Date(body.start_time);
        if (body.end_time === undefined) e.endsAt = new Date(e.startsAt.getTime() + length);
      }
      if (body.end_time !== undefined) e.endsAt = new Date(body.end_time);
      if (e.endsAt < e.startsAt) throw invalid('end_time', 'must not be before start_time');
      if (body.timezone !== undefined) e.timezone = body.timezone;
      if (body.all_day !== undefined) e.allDay = body.all_day;
      if (body.attendees !== undefined) e.attendees = [...new Set(body.attendees)];
      if (body.contact_id !== undefined) e.contact = body.contact_id ? em.getReference(ContactSchema, body.contact_id) : null;
      if (body.lead_id !== undefined) e.lead = body.lead_id ? em.getReference(LeadSchema, body.lead_id) : null;
      if (body.location !== undefined) e.location = body.location;
      if (body.status !== undefined) e.status = body.status;
      const after = calendarEventSnapshot(e);
      const changed = Object.keys(after).filter((k) => JSON.stringify(after[k as keyof typeof after]) !== JSON.stringify(before[k as keyof typeof before]));
      if (changed.length) recordEvent(em, { tenantId: caller.tenantId, type: 'calendar.event.updated', entityType: 'calendar_event', entityId: e.id, payload: { event: after, changed } });
      const nudges = changed.includes('start_time') || changed.includes('status') ? await queueFollowerNudges(ctx, em, e.id) : [];
      await em.flush();
      await sendNudges(ctx, nudges);
      await nudgeCalendarSync(ctx);
      return one(eventDto(e));
    },
  });

const statusRoute = (action: 'confirm' | 'decline', status: 'confirmed' | 'cancelled') =>
  route({
    method: 'post',
    path: `/calendar/events/:id/${action}`,
    tag: 'calendar',
    summary: action === 'confirm' ? 'Confirm an event (one triage proposed, or any)' : 'Decline an event: it is cancelled, with its reminders',
    params: eventParams,
    response: dataSchema(eventSchema),
    handler: async (ctx, { params, caller }) => {
      const em = ctx.state.em;
      const e = await findEvent(em, params.id);
      if (e.status !== status) {
        e.status = status;
        recordEvent(em, { tenantId: caller.tenantId, type: 'calendar.event.updated', entityType: 'calendar_event', entityId: e.id, payload: { event: calendarEventSnapshot(e), changed: ['status'] } });
        const nudges = await queueFollowerNudges(ctx, em, e.id);
        await em.flush();
        await sendNudges(ctx, nudges);
        await nudgeCalendarSync(ctx);
      }
      return one(eventDto(e));
    },
  });

export const calendarRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/calendar/events',
    tag: 'calendar',
    summary: 'Create a calendar event (seed 000 and 002 fields; end_time defaults to an hour after start_time)',
    body: eventBody,
    status: 201,
    response: dataSchema(eventSchema),
    handler: async (ctx, { body, caller }) => {
      const em = ctx.state.em;
      await checkRefs(em, body);
      const startsAt = new Date(body.start_time);
      const endsAt = body.end_time ? new Date(body.end_time) : new Date(startsAt.getTime() + HOUR_MS);
      if (endsAt < startsAt) throw invalid('end_time', 'must not be before start_time');
      return madeOnce(
        ctx,
        async (requestKey) => {
          const e = await em.findOne(CalendarEventSchema, { dedupeKey: `request:${requestKey}` });
          return e && one(eventDto(e));
        },
        async (requestKey) => {
          const attendees = [...new Set([...(body.attendees ?? []), ...(body.attendee_email ? [body.attendee_email] : [])])];
          const e = em.create(CalendarEventSchema, {
            tenant: caller.tenantId,
            title: body.title,
            description: body.description ?? null,
            startsAt,
            endsAt,
            timezone: body.timezone ?? null,
            allDay: body.all_day ?? false,
            attendees,
            contact: body.contact_id ?? null,
            lead: body.lead_id ?? null,
            location: body.location ?? null,
            status: body.status ?? 'confirmed',
            sourceMessageId: null,
            // A request's own key: its retry after the API died finds this event (madeOnce).
            dedupeKey: requestKey && `request:${requestKey}`,
            externalCalendarId: body.external_calendar_id ?? null,
            externalCalendarType: body.external_calendar_type ?? null,
          });
          recordEvent(em, { tenantId: caller.tenantId, type: 'calendar.event.created', entityType: 'calendar_event', entityId: e.id, payload: { event: calendarEventSnapshot(e) } });
          await em.flush();
          await nudgeCalendarSync(ctx);
          return one(eventDto(e));
        },
      );
    },
  }),

  route({
    method: 'get',
    path: '/calendar/events',
    tag: 'calendar',
    summary: 'List calendar events overlapping a range (start_date, end_date: a day in the tenant zone or a date-time), filters contact_id, lead_id, status',
    query: eventListQuery,
    response: z.object({ data: z.array(eventSchema), pagination: paginationSchema }),
    handler: async (ctx, { query, caller }) => {
      const em = ctx.state.em;
      const where: FilterQuery<CalendarEvent> = {};
      if (query.start_date || query.end_date) {
        const zone = (await em.findOneOrFail(TenantSchema, caller.tenantId)).timezone;
        if (query.start_date) where.endsAt = { $gte: bound(query.start_date, zone, 'start') };
        if (query.end_date) where.startsAt = { $lte: bound(query.end_date, zone, 'end') };
      }
      if (query.contact_id) where.contact = query.contact_id;
      if (query.lead_id) where.lead = query.lead_id;
      if (query.status) where.status = query.status;
      return listPage(em, CalendarEventSchema, where, query, SORT, eventDto);
    },
  }),

  route({
    method: 'get',
    path: '/calendar/events/:id',
    tag: 'calendar',
    summary: 'Get a calendar event',
    params: eventParams,
    response: dataSchema(eventSchema),
    handler: async (ctx, { params }) => one(eventDto(await findEvent(ctx.state.em, params.id))),
  }),

  updateRoute('put'),
  updateRoute('patch'),
  statusRoute('confirm', 'confirmed'),
  statusRoute('decline', 'cancelled'),

  route({
    method: 'delete',
    path: '/calendar/events/:id',
    tag: 'calendar',
    summary: 'Delete a calendar event; reminders tied to it are cancelled',
    params: eventParams,
    status: 204,
    handler: async (ctx, { params, caller }) => {
      const em = ctx.state.em;
      const e = await findEvent(em, params.id);
      // Found before the delete nulls their reference; each then sees its event gone.
      const nudges = await queueFollowerNudges(ctx, em, e.id);
      recordEvent(em, { tenantId: caller.tenantId, type: 'calendar.event.deleted', entityType: 'calendar_event', entityId: e.id, payload: { event: calendarEventSnapshot(e) } });
      // A synced event is deleted at the provider by the next sync pass.
      if (e.connection && e.externalId) em.create(CalendarDeletionSchema, { tenant: caller.tenantId, connection: e.connection.id, externalId: e.externalId });
      em.remove(e);
      await em.flush();
      await sendNudges(ctx, nudges);
      await nudgeCalendarSync(ctx);
      ctx.status = 204;
      return undefined;
    },
  }),
];
