import { z } from 'zod';
import { DateTime } from 'luxon';
import { freeSlots } from '../../lib/availability.ts';
import { isTimeZone } from '../../lib/reminderTime.ts';
import { CalendarEventSchema } from '../../entities/CalendarEvent.ts';
import { TenantSchema } from '../../entities/Tenant.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { queryInt } from '../validation.ts';

const availabilityQuery = z.object({
  /** The day, in `timezone`; today there when absent. */
  date: z.iso.date({ error: 'must be a date (YYYY-MM-DD)' }).optional(),
  /** Minutes the appointment takes (seed 000's `duration`). */
  duration: queryInt(5, 24 * 60, 30),
  /** Minutes between slot starts; the duration when absent. */
  interval: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(5).max(24 * 60).optional(),
  timezone: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Berlin').optional(),
});

const interval = z.object({ start_time: z.string(), end_time: z.string() });
const availabilitySchema = z.object({
  date: z.string(),
  timezone: z.string(),
  duration: z.number(),
  interval: z.number(),
  /** Bookable slots, in order. */
  slots: z.array(interval),
  /** What takes time that day: calendar events, local and synced, proposed or confirmed (all-day ones show as free, as in Google Calendar). */
  busy: z.array(interval.extend({ event_id: z.uuid() })),
});

const at = (d: Date) => d.toISOString();

export const availabilityRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/calendar/availability',
    tag: 'calendar',
    summary: "Free slots of a day: the tenant's working hours (PATCH /tenant working_hours) minus its calendar events, none in the past",
    query: availabilityQuery,
    response: dataSchema(availabilitySchema),
    handler: async (ctx, { query, caller }) => {
      const em = ctx.state.em;
      const tenant = await em.findOneOrFail(TenantSchema, caller.tenantId);
      const timezone = query.timezone ?? tenant.timezone;
      const date = query.date ?? (DateTime.now().setZone(timezone).toISODate() as string);
      const day = DateTime.fromISO(date, { zone: timezone }).startOf('day');
      const from = day.toJSDate();
      const to = day.plus({ days: 1 }).startOf('day').toJSDate();
      const events = await em.find(
        CalendarEventSchema,
        { status: { $ne: 'cancelled' }, allDay: false, startsAt: { $lt: to }, endsAt: { $gt: from } },
        { fields: ['id', 'startsAt', 'endsAt'], orderBy: { startsAt: 'asc' } },
      );
      const busy = events.map((e) => ({ start: e.startsAt, end: e.endsAt, id: e.id }));
      const step = query.interval ?? query.duration;
      const slots = freeSlots({ date, timezone, hours: tenant.workingHours, workingZone: tenant.timezone, busy, durationMin: query.duration, stepMin: step, now: new Date() });
      return one({
        date,
        timezone,
        duration: query.duration,
        interval: step,
        slots: slots.map((s) => ({ start_time: at(s.start), end_time: at(s.end) })),
        busy: busy.map((b) => ({ start_time: at(b.start), end_time: at(b.end), event_id: b.id })),
      });
    },
  }),
];
