import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { postAcrossADeadApi } from '../support/idempotency.ts';
import { tenantEm } from '../../lib/db.ts';
import { EventSchema } from '../../entities/Event.ts';

let stack: TestStack;
let t: TestTenant;

beforeAll(async () => {
  // No Twilio: reminders go to the local sink, and the outbox shows them.
  stack = await startStack({ env: { RATE_LIMIT_PER_MINUTE: '1000' } });
  t = await aTenant(stack.http);
  await stack.http.patch('/api/v1/tenant', { token: t.token, body: { quiet_hours: null, timezone: 'Europe/Berlin' } });
});
afterAll(() => stack.close());

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const reminder = (id: string) => stack.http.get(`/api/v1/reminders/${id}`, { token: t.token });
const reminderIs = (id: string, status: string) =>
  eventually(async () => {
    const r = (await reminder(id)).body.data;
    return r.status === status ? r : undefined;
  }, { what: `reminder ${id} ${status}` });

describe('calendar events', () => {
  it("takes seed 000's curl body, lists by day in the tenant zone, and writes calendar.event.created", async () => {
    const lead = (await stack.http.post('/api/v1/crm/leads', { token: t.token, body: { title: 'Demo', source: 'website', contact: { name: 'Jane Prospect', email: 'jane@prospect.com' } } })).body.data;
    const res = await stack.http.post('/api/v1/calendar/events', {
      token: t.token,
      body: { title: 'Product Demo', description: 'Demo call with Jane Prospect', start_time: '2031-08-20T10:00:00Z', end_time: '2031-08-20T11:00:00Z', attendee_email: 'jane@prospect.com', lead_id: lead.id },
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ title: 'Product Demo', attendees: ['jane@prospect.com'], attendee_email: 'jane@prospect.com', lead_id: lead.id, status: 'confirmed', all_day: false });
    const listed = await stack.http.get('/api/v1/calendar/events?start_date=2031-08-16&end_date=2031-08-20', { token: t.token });
    expect(listed.body.data.map((e: { id: string }) => e.id)).toContain(res.body.data.id);
    // 2031-08-21 in Berlin starts at 2031-08-20T22:00Z: an event ending at 11:00Z is not on it.
    const nextDay = await stack.http.get('/api/v1/calendar/events?start_date=2031-08-21&end_date=2031-08-22', { token: t.token });
    expect(nextDay.body.data.map((e: { id: string }) => e.id)).not.toContain(res.body.data.id);
    const event = await tenantEm(stack.orm, t.tenantId).findOneOrFail(EventSchema, { entityId: res.body.data.id, type: 'calendar.event.created' });
    expect(event.payload).toMatchObject({ event: { id: res.body.data.id, lead_id: lead.id, start_time: '2031-08-20T10:00:00.000Z' } });
  });

  it('moves its reminders earlier and later with it, and cancels them when declined or deleted', async () => {
    const create = async (startsIn: number) => (await stack.http.post('/api/v1/calendar/events', { token: t.token, body: { title: 'Check-up', start_time: inSeconds(startsIn) } })).body.data;
    const remind = async (eventId: string, to: string) =>
      (await stack.http.post('/api/v1/reminders', { token: t.token, body: { to, message: '{{event.title}} soon', event_id: eventId, offset: '-1h' } })).body.data;

    // Earlier: the event moves from 2 h to 1 h + 2 s away, so its reminder is due in 2 s, not in an hour.
    const early = await create(7200);
    const r1 = await remind(early.id, '+14155550301');
    expect(Date.parse(r1.next_send_at)).toBe(Date.parse(early.start_time) - 3_600_000);
    const moved = await stack.http.patch(`/api/v1/calendar/events/${early.id}`, { token: t.token, body: { start_time: inSeconds(3602) } });
    expect(moved.body.data.end_time).toBe(new Date(Date.parse(moved.body.data.start_time) + 3_600_000).toISOString());
    const sent = await reminderIs(r1.id, 'sent');
    expect(Date.parse(sent.sent_at)).toBeGreaterThanOrEqual(Date.parse(moved.body.data.start_time) - 3_600_000);
    // Sent through the local sink: its record, its events and the reminder's count, committed together.
    const record = (await stack.http.get('/api/v1/sms/outbox?per_page=100', { token: t.token })).body.data.find((m: { to: string }) => m.to === '+14155550301');
    expect(record).toMatchObject({ status: 'sent', provider: 'local', body: 'Check-up soon', attempts: 1, cause: { type: 'reminder', reminder_id: r1.id } });
    expect(sent.sent_count).toBe(1);
    const fired = await tenantEm(stack.orm, t.tenantId).find(EventSchema, { entityId: { $in: [record.id, r1.id] } });
    expect(fired.map((e) => e.type).sort()).toEqual(['reminder.sent', 'sms.sent']);
    const updated = await tenantEm(stack.orm, t.tenantId).findOneOrFail(EventSchema, { entityId: early.id, type: 'calendar.event.updated' });
    expect(updated.payload).toMatchObject({ changed: ['start_time', 'end_time'] });

    // Later: moved a day on, its reminder shows the new time.
    const later = await create(7200);
    const r2 = await remind(later.id, '+14155550302');
    await stack.http.put(`/api/v1/calendar/events/${later.id}`, { token: t.token, body: { start_time: inSeconds(86_400 + 7200) } });
    await eventually(async () => (Date.parse((await reminder(r2.id)).body.data.next_send_at) > Date.now() + 86_000_000 ? true : undefined), { what: 'the reminder to move a day on' });

    const declined = await create(7200);
    const r3 = await remind(declined.id, '+14155550303');
    expect((await stack.http.post(`/api/v1/calendar/events/${declined.id}/decline`, { token: t.token })).body.data.status).toBe('cancelled');
    expect((await reminderIs(r3.id, 'cancelled')).last_error).toMatch(/cancelled/);

    const deleted = await create(7200);
    const r4 = await remind(deleted.id, '+14155550304');
    expect((await stack.http.delete(`/api/v1/calendar/events/${deleted.id}`, { token: t.token })).status).toBe(204);
    expect((await reminderIs(r4.id, 'cancelled')).last_error).toMatch(/deleted/);

    const outbox = (await stack.http.get('/api/v1/sms/outbox?per_page=100', { token: t.token })).body.data.map((m: { to: string }) => m.to);
    expect(outbox.filter((to: string) => ['+14155550302', '+14155550303', '+14155550304'].includes(to))).toEqual([]);
    await stack.http.post(`/api/v1/reminders/${r2.id}/cancel`, { token: t.token });
  });

  it('refuses an end before the start, and references that do not exist, with a 422', async () => {
    const backwards = await stack.http.post('/api/v1/calendar/events', { token: t.token, body: { title: 'x', start_time: '2031-01-01T10:00:00Z', end_time: '2031-01-01T09:00:00Z' } });
    expect(backwards.status).toBe(422);
    const ghost = await stack.http.post('/api/v1/calendar/events', { token: t.token, body: { title: 'x', start_time: '2031-01-01T10:00:00Z', contact_id: '00000000-0000-4000-8000-000000000000' } });
    expect(ghost.status).toBe(422);
    const badDay = await stack.http.get('/api/v1/calendar/events?start_date=2031-13-45', { token: t.token });
    expect(badDay.status).toBe(422);
  });

  it("gives another tenant a 404 for an event, and lists only each tenant's own", async () => {
    const other = await aTenant(stack.http);
    const mine = (await stack.http.post('/api/v1/calendar/events', { token: t.token, body: { title: 'Mine', start_time: '2032-02-02T10:00:00Z' } })).body.data;
    const theirs = (await stack.http.post('/api/v1/calendar/events', { token: other.token, body: { title: 'Theirs', start_time: '2032-02-02T10:00:00Z' } })).body.data;
    const path = `/api/v1/calendar/events/${mine.id}`;
    for (const res of [
      await stack.http.get(path, { token: other.token }),
      await stack.http.put(path, { token: other.token, body: { title: 'Hijacked' } }),
      await stack.http.patch(path, { token: other.token, body: { title: 'Hijacked' } }),
      await stack.http.post(`${path}/confirm`, { token: other.token }),
      await stack.http.post(`${path}/decline`, { token: other.token }),
      await stack.http.delete(path, { token: other.token }),
    ]) {
      expect(res.status).toBe(404);
    }
    const listed = (await stack.http.get('/api/v1/calendar/events?start_date=2032-02-01&end_date=2032-02-03', { token: other.token })).body.data.map((e: { id: string }) => e.id);
    expect(listed).toEqual([theirs.id]);
    // Another tenant's event cannot be a reminder's event either.
    const stolen = await stack.http.post('/api/v1/reminders', { token: other.token, body: { to: '+14155550305', message: 'x', event_id: mine.id } });
    expect(stolen.status).toBe(422);
    expect((await stack.http.get(path, { token: t.token })).body.data).toMatchObject({ title: 'Mine', status: 'confirmed' });
  });
});

describe('a request retried after the API died between its commit and its answer', () => {
  it('makes one event (one calendar.event.created), and answers with it', async () => {
    const { first, again } = await postAcrossADeadApi(stack, '/api/v1/calendar/events', t.token, { title: 'Retried booking', start_time: inSeconds(86_400) });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body.data.id).toBe(first.body.data.id);
    const created = await stack.orm.em.getConnection().execute(`select count(*)::int as n from events where tenant_id = ? and type = 'calendar.event.created' and payload->'event'->>'title' = 'Retried booking'`, [t.tenantId]);
    expect(created[0].n).toBe(1);
  });
});

describe('availability', () => {
  const day = '2031-09-03'; // a Wednesday
  const slotsOn = async (token: string, query: string) => {
    const res = await stack.http.get(`/api/v1/calendar/availability?${query}`, { token });
    expect(res.status).toBe(200);
    return res.body.data as { slots: Array<{ start_time: string }>; busy: Array<{ event_id: string }>; timezone: string; interval: number };
  };
  const event = (token: string, body: Record<string, unknown>) => stack.http.post('/api/v1/calendar/events', { token, body: { title: 'Busy', ...body } });

  it("offers the tenant's working hours minus its own proposed and confirmed events, in seed 000's query", async () => {
    const set = await stack.http.patch('/api/v1/tenant', { token: t.token, body: { working_hours: { wednesday: [{ start: '09:00', end: '12:00' }, { start: '13:00', end: '17:00' }] } } });
    expect(set.status).toBe(200);
    expect(set.body.data.working_hours.wednesday).toEqual([{ start: '09:00', end: '12:00' }, { start: '13:00', end: '17:00' }]);
    // Other days keep their hours.
    expect(set.body.data.working_hours.monday).toEqual([{ start: '09:00', end: '17:00' }]);

    // Berlin is UTC+2 in September.
    const confirmed = (await event(t.token, { start_time: `${day}T08:00:00Z`, end_time: `${day}T09:00:00Z` })).body.data;
    const proposed = (await event(t.token, { start_time: `${day}T12:00:00Z`, end_time: `${day}T12:30:00Z`, status: 'proposed' })).body.data;
    const cancelled = (await event(t.token, { start_time: `${day}T13:00:00Z`, end_time: `${day}T14:00:00Z` })).body.data;
    expect((await stack.http.post(`/api/v1/calendar/events/${cancelled.id}/decline`, { token: t.token })).status).toBe(200);
    await event(t.token, { start_time: `${day}T00:00:00Z`, all_day: true });
    const other = await aTenant(stack.http);
    await event(other.token, { start_time: `${day}T07:00:00Z`, end_time: `${day}T15:00:00Z` });

    const got = await slotsOn(t.token, `date=${day}&duration=60`);
    expect(got.timezone).toBe('Europe/Berlin');
    expect(got.slots.map((s) => s.start_time)).toEqual([`${day}T07:00:00.000Z`, `${day}T09:00:00.000Z`, `${day}T11:00:00.000Z`, `${day}T13:00:00.000Z`, `${day}T14:00:00.000Z`]);
    expect(got.busy.map((b) => b.event_id).sort()).toEqual([confirmed.id, proposed.id].sort());

    // Half-hour slots start right after the proposed event; the other tenant's day is all free but its own event.
    const halves = await slotsOn(t.token, `date=${day}&duration=30&interval=30`);
    expect(halves.slots.map((s) => s.start_time)).toContain(`${day}T12:30:00.000Z`);
    const theirs = await slotsOn(other.token, `date=${day}&duration=60&timezone=Europe/Berlin`);
    expect(theirs.busy).toHaveLength(1);
  });

  it('refuses a day that does not exist, a zero duration, an unknown zone and working hours that make no sense, changing nothing', async () => {
    for (const query of ['date=2031-02-30', 'date=tomorrow', 'duration=0', 'duration=abc', 'interval=1', 'timezone=Mars/Olympus']) {
      const res = await stack.http.get(`/api/v1/calendar/availability?${query}`, { token: t.token });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    const before = (await stack.http.get('/api/v1/tenant', { token: t.token })).body.data.working_hours;
    for (const working_hours of [
      { wednesday: [{ start: '12:00', end: '09:00' }] },
      { wednesday: [{ start: '09:00', end: '12:00' }, { start: '11:00', end: '14:00' }] },
      { wednesday: [{ start: '9am', end: '12:00' }] },
      { funday: [] },
    ]) {
      const res = await stack.http.patch('/api/v1/tenant', { token: t.token, body: { working_hours } });
      expect(res.status).toBe(422);
    }
    expect((await stack.http.get('/api/v1/tenant', { token: t.token })).body.data.working_hours).toEqual(before);
  });
});
