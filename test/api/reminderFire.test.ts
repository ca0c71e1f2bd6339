import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, type TestTenant } from '../support/factories.ts';
import { createReminderActivities, type FireOutcome, type ReminderPlan } from '../../activities/reminders.ts';
import { createLocalTextProvider } from '../../providers/twilio/messaging.ts';
import { createLocalEmailProvider } from '../../providers/messaging/email.ts';
import type { TextProvider } from '../../providers/messaging/index.ts';
import { ProviderError } from '../../providers/errors.ts';

/**
 * The fire step on the local sink (the embedded default) takes no row lock: its one commit
 * writes the outbound record, the events and the reminder's bookkeeping only while the
 * reminder is still the version it checked. These call the activity itself, with no worker
 * running, so a change can land exactly between its checks and its commit.
 */
let stack: TestStack;
let t: TestTenant;
beforeAll(async () => {
  stack = await startStack({ worker: false });
  t = await aTenant(stack.http);
  await stack.http.patch('/api/v1/tenant', { token: t.token, body: { quiet_hours: null } });
});
afterAll(() => stack.close());

const sql = async <T>(text: string, params: unknown[]) => (await stack.orm.em.getConnection().execute(text, params)) as T[];

/** A reminder to `to` (its run has no worker to fire it) and what its fire step is given. */
async function aReminder(to: string) {
  const res = await stack.http.post('/api/v1/reminders', { token: t.token, body: { to, message: 'See you at 3', send_at: new Date(Date.now() + 60_000).toISOString() } });
  expect(res.status).toBe(201);
  const [row] = await sql<{ version: number; next_send_at: Date }>('select version, next_send_at from reminders where id = ?', [res.body.data.id]);
  return { tenantId: t.tenantId, reminderId: res.body.data.id as string, dueAt: new Date(row.next_send_at).toISOString(), version: row.version };
}

/** A daily reminder to `to`, as `aReminder` makes a one-off. */
async function aDailyReminder(to: string) {
  const res = await stack.http.post('/api/v1/reminders', { token: t.token, body: { to, message: 'Daily check-in', send_at: new Date(Date.now() + 60_000).toISOString(), rrule: 'FREQ=DAILY' } });
  expect(res.status).toBe(201);
  const [row] = await sql<{ version: number; next_send_at: Date }>('select version, next_send_at from reminders where id = ?', [res.body.data.id]);
  return { tenantId: t.tenantId, reminderId: res.body.data.id as string, dueAt: new Date(row.next_send_at).toISOString(), version: row.version };
}

/** Fires with the local sink; `whileSending` runs as the text "goes out", after the checks. */
async function fire(input: { tenantId: string; reminderId: string; dueAt: string; version: number }, whileSending?: () => Promise<void>): Promise<FireOutcome> {
  const local = createLocalTextProvider();
  const text: TextProvider = {
    ...local,
    async send(m) {
      await whileSending?.();
      return local.send(m);
    },
  };
  return new MockActivityEnvironment().run(activitiesWith(text).fireReminder, input);
}

const activitiesWith = (text: TextProvider = createLocalTextProvider()) =>
  createReminderActivities({ orm: stack.orm, providers: { text: () => text, email: createLocalEmailProvider() }, emailFrom: 'reminders@example.test' });

const state = async (reminderId: string) => {
  const [r] = await sql<{ status: string; sent_count: number; message: string }>('select status, sent_count, message from reminders where id = ?', [reminderId]);
  const [{ n }] = await sql<{ n: number }>(`select count(*)::int as n from outbound_messages where cause->>'reminder_id' = ?`, [reminderId]);
  const [{ e }] = await sql<{ e: number }>(`select count(*)::int as e from events where entity_id = ? and type = 'reminder.sent'`, [reminderId]);
  return { status: r.status, sent_count: r.sent_count, message: r.message, outbound: n, sent_events: e };
};

describe('a reminder fired on the local sink', () => {
  it('records its send, its event and its end in one commit', async () => {
    const input = await aReminder('+14155550401');
    expect(await fire(input)).toEqual({ state: 'ended', status: 'sent' });
    expect(await state(input.reminderId)).toEqual({ status: 'sent', sent_count: 1, message: 'See you at 3', outbound: 1, sent_events: 1 });
  });

  it('writes nothing and plans again when a PUT lands between its checks and its commit', async () => {
    const input = await aReminder('+14155550402');
    // What PUT /reminders/{id} commits: the new text and the next version.
    const put = () => sql('update reminders set message = ?, version = version + 1 where id = ?', ['Moved to 4', input.reminderId]).then(() => undefined);
    expect(await fire(input, put)).toEqual({ state: 'replan' });
    expect(await state(input.reminderId)).toEqual({ status: 'scheduled', sent_count: 0, message: 'Moved to 4', outbound: 0, sent_events: 0 });
  });

  it('writes nothing when a cancel lands between its checks and its commit', async () => {
    const input = await aReminder('+14155550403');
    const cancel = async () => {
      const res = await stack.http.post(`/api/v1/reminders/${input.reminderId}/cancel`, { token: t.token });
      expect(res.status).toBe(200);
    };
    expect(await fire(input, cancel)).toEqual({ state: 'replan' });
    expect(await state(input.reminderId)).toEqual({ status: 'cancelled', sent_count: 0, message: 'See you at 3', outbound: 0, sent_events: 0 });
  });
});

describe('two attempts at one occurrence', () => {
  it('sends nothing from a retry that read the row before its first attempt wrote the occurrence (it waited for the lock)', async () => {
    // Recurring, so the reminder stays scheduled (and its version the same) once the occurrence is written.
    const input = await aDailyReminder('+14155550431');
    const sends: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let sending!: () => void;
    const firstInSend = new Promise<void>((resolve) => (sending = resolve));
    const twilioLike: TextProvider = {
      kind: 'twilio',
      accountSid: 'AC00000000000000000000000000000000',
      async send(m) {
        sends.push(m.to);
        if (sends.length === 1) {
          sending();
          await held;
        }
        return { sid: `SM0000000000000000000000000000043${sends.length}`, status: 'queued' };
      },
      // Twilio has not listed the first attempt's message yet.
      findSent: async () => [],
      ownsNumber: async () => true,
    };
    const activities = createReminderActivities({ orm: stack.orm, providers: { text: () => twilioLike, email: createLocalEmailProvider() }, emailFrom: 'reminders@example.test', platformNumber: '+15005550006' });
    const first = new MockActivityEnvironment().run(activities.fireReminder, input);
    await firstInSend;
    // The retry of a first attempt that outlived its timeout: it reads the row, then waits for the lock the first holds.
    const retry = new MockActivityEnvironment({ attempt: 2 }).run(activities.fireReminder, input);
    for (let i = 0; i < 100; i++) {
      const waiting = await sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%from reminders where id = %for update%'`, []);
      if (waiting[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    release();
    expect(await first).toEqual({ state: 'sent', more: true });
    expect(await retry).toEqual({ state: 'replan' });
    expect(sends).toHaveLength(1);
    expect(await state(input.reminderId)).toMatchObject({ status: 'scheduled', sent_count: 1, outbound: 1, sent_events: 1 });
  });
});

describe('a change that lands while the fire step decides not to send', () => {
  it('wins: a PUT giving a new number while the step finds the old one opted out is not overwritten with failed', async () => {
    const input = await aReminder('+14155550430');
    await sql(`insert into sms_opt_outs (id, created_at, updated_at, tenant_id, phone) values (gen_random_uuid(), now(), now(), ?, ?)`, [t.tenantId, '+14155550430']);
    // What PUT /reminders/{id} does, in a transaction that holds the row while the step reads it.
    const put = stack.orm.em.fork();
    await put.begin();
    await put.execute('select 1 from reminders where id = ? for update', [input.reminderId]);
    const fired = fire(input);
    await new Promise((r) => setTimeout(r, 400));
    await put.execute('update reminders set to_address = ?, version = version + 1 where id = ?', ['+14155550431', input.reminderId]);
    await put.commit();
    expect(await fired).toEqual({ state: 'replan' });
    const [r] = await sql<{ status: string; to_address: string; last_error: string | null }>('select status, to_address, last_error from reminders where id = ?', [input.reminderId]);
    expect(r).toEqual({ status: 'scheduled', to_address: '+14155550431', last_error: null });
    expect(await sql(`select 1 from events where entity_id = ? and type = 'reminder.failed'`, [input.reminderId])).toHaveLength(0);
  });
});

describe('a reminder that follows an event', () => {
  /** A reminder an hour before a meeting in two days, and what its fire step is given. */
  async function aFollower(to: string) {
    const starts = new Date(Date.now() + 2 * 86_400_000);
    const event = (await stack.http.post('/api/v1/calendar/events', { token: t.token, body: { title: 'Check-up', start_time: starts.toISOString(), end_time: new Date(starts.getTime() + 3_600_000).toISOString() } })).body.data;
    const res = await stack.http.post('/api/v1/reminders', { token: t.token, body: { to, message: 'See you at 3', event_id: event.id, offset: '-1h' } });
    expect(res.status).toBe(201);
    const [row] = await sql<{ version: number; next_send_at: Date }>('select version, next_send_at from reminders where id = ?', [res.body.data.id]);
    return { eventId: event.id as string, input: { tenantId: t.tenantId, reminderId: res.body.data.id as string, dueAt: new Date(row.next_send_at).toISOString(), version: row.version } };
  }
  // What PATCH /calendar/events/{id} or a pulled Google change commits: the event moves, the reminder row does not change.
  const move = (eventId: string) => sql(`update calendar_event set starts_at = starts_at + interval '1 hour', ends_at = ends_at + interval '1 hour' where id = ?`, [eventId]).then(() => undefined);

  it('writes nothing and plans again when its event moves between its checks and its commit (local sink)', async () => {
    const { eventId, input } = await aFollower('+14155550406');
    expect(await fire(input, () => move(eventId))).toEqual({ state: 'replan' });
    expect(await state(input.reminderId)).toEqual({ status: 'scheduled', sent_count: 0, message: 'See you at 3', outbound: 0, sent_events: 0 });
  });

  it('does not call a retry late and cancel it when its first attempt may have sent the text', async () => {
    const { input } = await aFollower('+14155550409');
    let calls = 0;
    const flaky: TextProvider = {
      kind: 'twilio',
      accountSid: 'AC00000000000000000000000000000000',
      async send() {
        calls += 1;
        if (calls === 1) throw new ProviderError('twilio', 'unavailable', 'Twilio did not answer');
        return { sid: 'SM00000000000000000000000000000409', status: 'queued' };
      },
      findSent: async () => [],
      ownsNumber: async () => true,
    };
    const activities = createReminderActivities({ orm: stack.orm, providers: { text: () => flaky, email: createLocalEmailProvider() }, emailFrom: 'reminders@example.test', platformNumber: '+15005550006' });
    await expect(new MockActivityEnvironment().run(activities.fireReminder, input)).rejects.toThrow('Twilio did not answer');
    // The retry that gets through comes after the event began (an hour after the text was due).
    const [e] = await sql<{ starts_at: Date }>('select e.starts_at from calendar_event e join reminders r on r.event_id = e.id where r.id = ?', [input.reminderId]);
    jest.useFakeTimers({ doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    jest.setSystemTime(new Date(new Date(e.starts_at).getTime() + 5 * 60_000));
    try {
      const out: FireOutcome = await new MockActivityEnvironment({ attempt: 2 }).run(activities.fireReminder, input);
      expect(out).toEqual({ state: 'ended', status: 'sent' });
    } finally {
      jest.useRealTimers();
    }
    expect(await state(input.reminderId)).toMatchObject({ status: 'sent', sent_count: 1, outbound: 1 });
  });

  it('holds its event while a text with an outside effect goes out: a move waits for the send', async () => {
    const { eventId, input } = await aFollower('+14155550407');
    let moveRefused: unknown = null;
    const twilioLike: TextProvider = {
      kind: 'twilio',
      accountSid: 'AC00000000000000000000000000000000',
      async send() {
        // Another connection tries to move the event while the text is with the provider.
        const other = stack.orm.em.fork();
        await other.begin();
        try {
          await other.execute(`set local lock_timeout = '200ms'`);
          await other.execute(`update calendar_event set starts_at = starts_at + interval '1 hour' where id = ?`, [eventId]);
        } catch (err) {
          moveRefused = (err as { code?: string }).code;
        } finally {
          await other.rollback();
        }
        return { sid: 'SM00000000000000000000000000000407', status: 'queued' };
      },
      findSent: async () => [],
      ownsNumber: async () => true,
    };
    const activities = createReminderActivities({ orm: stack.orm, providers: { text: () => twilioLike, email: createLocalEmailProvider() }, emailFrom: 'reminders@example.test', platformNumber: '+15005550006' });
    expect(await new MockActivityEnvironment().run(activities.fireReminder, input)).toEqual({ state: 'ended', status: 'sent' });
    expect(moveRefused).toBe('55P03'); // lock_not_available: the move had to wait
    expect(await state(input.reminderId)).toMatchObject({ status: 'sent', sent_count: 1, outbound: 1 });
  });
});

describe('a recurring reminder across a DST change', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('sends each occurrence at 09:00 wall-clock time, the right number of times', async () => {
    // Daily at 09:00 New York, four times, over the switch to summer time on 14 March 2027.
    const res = await stack.http.post('/api/v1/reminders', {
      token: t.token,
      body: { to: '+14155550404', message: 'Stand-up at 9', send_at: '2027-03-12T14:00:00Z', timezone: 'America/New_York', rrule: 'FREQ=DAILY;COUNT=4' },
    });
    expect(res.status).toBe(201);
    const reminderId = res.body.data.id as string;
    const activities = activitiesWith();
    const env = new MockActivityEnvironment();
    // The activities read the clock; only Date is faked, so the database and its pool run as ever.
    jest.useFakeTimers({ doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    const sent: string[] = [];
    let outcome: FireOutcome | null = null;
    // What the run does: plan, sleep until the time planned, fire; again while more are due.
    for (let i = 0; i < 6 && !(outcome?.state === 'ended'); i++) {
      const plan: ReminderPlan = await env.run(activities.planReminder, { tenantId: t.tenantId, reminderId });
      if (plan.state !== 'due') break;
      jest.setSystemTime(new Date(plan.dueAt));
      outcome = await env.run(activities.fireReminder, { tenantId: t.tenantId, reminderId, dueAt: plan.dueAt, version: plan.version });
      sent.push(plan.dueAt);
    }
    jest.useRealTimers();
    // 09:00 EST is 14:00 UTC; 09:00 EDT is 13:00 UTC.
    expect(sent).toEqual(['2027-03-12T14:00:00.000Z', '2027-03-13T14:00:00.000Z', '2027-03-14T13:00:00.000Z', '2027-03-15T13:00:00.000Z']);
    expect(outcome).toEqual({ state: 'ended', status: 'sent' });
    const rows = await sql<{ occurrence: string }>(`select cause->>'occurrence' as occurrence from outbound_messages where cause->>'reminder_id' = ? order by 1`, [reminderId]);
    expect(rows.map((r) => new Date(r.occurrence).toISOString())).toEqual(sent);
    expect((await stack.http.get(`/api/v1/reminders/${reminderId}`, { token: t.token })).body.data).toMatchObject({ status: 'sent', sent_count: 4, next_send_at: null });
  });
});

describe('quiet hours and what comes after', () => {
  afterEach(() => {
    jest.useRealTimers();
  });
  const fakeNow = (at: string) => {
    jest.useFakeTimers({ doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    jest.setSystemTime(new Date(at));
  };

  it('keeps a recurring occurrence quiet hours hold when the reminder is edited meanwhile: it goes when they end, with the new text', async () => {
    // The tenant's default quiet hours, 21:00–08:00 in the reminder's zone.
    const q = await aTenant(stack.http);
    const res = await stack.http.post('/api/v1/reminders', { token: q.token, body: { to: '+14155550420', message: 'Take your pills', send_at: '2027-05-01T22:00:00Z', timezone: 'UTC', rrule: 'FREQ=DAILY;COUNT=3' } });
    expect(res.status).toBe(201);
    const reminderId = res.body.data.id as string;
    const activities = activitiesWith();
    const env = new MockActivityEnvironment();
    fakeNow('2027-05-01T22:00:00Z');
    const plan: ReminderPlan = await env.run(activities.planReminder, { tenantId: q.tenantId, reminderId });
    expect(plan).toMatchObject({ state: 'due', dueAt: '2027-05-01T22:00:00.000Z' });
    if (plan.state !== 'due') throw new Error('not due');
    expect(await env.run(activities.fireReminder, { tenantId: q.tenantId, reminderId, dueAt: plan.dueAt, version: plan.version })).toEqual({ state: 'defer', until: '2027-05-02T08:00:00.000Z' });
    jest.useRealTimers();
    // An hour later someone fixes the text; the run plans again.
    const put = await stack.http.put(`/api/v1/reminders/${reminderId}`, { token: q.token, body: { message: 'Take your pills, with food' } });
    expect(put.body.data.next_send_at).toBe('2027-05-02T08:00:00.000Z');
    fakeNow('2027-05-01T23:00:00Z');
    const again: ReminderPlan = await env.run(activities.planReminder, { tenantId: q.tenantId, reminderId });
    // Not skipped as missed: the held occurrence is still the one due.
    expect(again).toMatchObject({ state: 'due', dueAt: '2027-05-01T22:00:00.000Z' });
    if (again.state !== 'due') throw new Error('not due');
    jest.setSystemTime(new Date('2027-05-02T08:00:00Z'));
    expect(await env.run(activities.fireReminder, { tenantId: q.tenantId, reminderId, dueAt: again.dueAt, version: again.version })).toEqual({ state: 'sent', more: true });
    jest.useRealTimers();
    const rows = await sql<{ occurrence: string; body: string }>(`select cause->>'occurrence' as occurrence, body from outbound_messages where cause->>'reminder_id' = ?`, [reminderId]);
    expect(rows.map((r) => ({ occurrence: new Date(r.occurrence).toISOString(), body: r.body }))).toEqual([{ occurrence: '2027-05-01T22:00:00.000Z', body: 'Take your pills, with food' }]);
  });

  it('plans a recurring reminder made with a start days ago for its next occurrence, not a burst of the missed ones', async () => {
    const start = new Date(Date.now() - 3 * 86_400_000 - 2 * 3_600_000);
    const res = await stack.http.post('/api/v1/reminders', { token: t.token, body: { to: '+14155550423', message: 'Daily check-in', send_at: start.toISOString(), timezone: 'UTC', rrule: 'FREQ=DAILY' } });
    expect(res.status).toBe(201);
    const next = res.body.data.next_send_at as string;
    expect(Date.parse(next)).toBeGreaterThan(Date.now());
    const plan: ReminderPlan = await new MockActivityEnvironment().run(activitiesWith().planReminder, { tenantId: t.tenantId, reminderId: res.body.data.id });
    expect(plan).toMatchObject({ state: 'due', dueAt: next });
  });

  it("lets a one-off held by quiet hours take a new zone (a PUT of timezone alone): its time is an instant, which the zone does not move", async () => {
    const q = await aTenant(stack.http);
    const hhmm = (ms: number) => new Date(Date.now() + ms).toISOString().slice(11, 16);
    // Quiet now, in UTC, for the next two hours.
    expect((await stack.http.patch('/api/v1/tenant', { token: q.token, body: { quiet_hours: { start: hhmm(-3_600_000), end: hhmm(7_200_000) } } })).status).toBe(200);
    const res = await stack.http.post('/api/v1/reminders', { token: q.token, body: { to: '+14155550421', message: 'Call us back', send_at: new Date(Date.now() + 1_000).toISOString(), timezone: 'UTC' } });
    expect(res.status).toBe(201);
    const reminderId = res.body.data.id as string;
    await new Promise((r) => setTimeout(r, 1_200));
    const activities = activitiesWith();
    const [row] = await sql<{ version: number; next_send_at: Date }>('select version, next_send_at from reminders where id = ?', [reminderId]);
    const fired: FireOutcome = await new MockActivityEnvironment().run(activities.fireReminder, { tenantId: q.tenantId, reminderId, dueAt: new Date(row.next_send_at).toISOString(), version: row.version });
    if (fired.state !== 'defer') throw new Error(`not held: ${JSON.stringify(fired)}`);
    // Refused as "that time has passed" once send_at was a minute behind; before that, the
    // hold was replaced by send_at, a time gone by.
    const put = await stack.http.put(`/api/v1/reminders/${reminderId}`, { token: q.token, body: { timezone: 'Europe/London' } });
    expect({ status: put.status, error: put.body.error?.details }).toEqual({ status: 200, error: undefined });
    expect(put.body.data).toMatchObject({ status: 'scheduled', timezone: 'Europe/London', next_send_at: fired.until });
  });
});

describe('a reminder before an event that has already started', () => {
  it('is cancelled, sending nothing, when its event is moved into the past', async () => {
    const starts = new Date(Date.now() + 2 * 86_400_000);
    const event = (await stack.http.post('/api/v1/calendar/events', { token: t.token, body: { title: 'Check-up', start_time: starts.toISOString(), end_time: new Date(starts.getTime() + 3_600_000).toISOString() } })).body.data;
    const res = await stack.http.post('/api/v1/reminders', { token: t.token, body: { to: '+14155550422', message: 'Your check-up is tomorrow', event_id: event.id, offset: '-24h' } });
    expect(res.status).toBe(201);
    const reminderId = res.body.data.id as string;
    // The appointment happened yesterday: someone corrects the calendar.
    const moved = await stack.http.patch(`/api/v1/calendar/events/${event.id}`, { token: t.token, body: { start_time: new Date(Date.now() - 86_400_000).toISOString(), end_time: new Date(Date.now() - 82_800_000).toISOString() } });
    expect(moved.status).toBe(200);
    const activities = activitiesWith();
    expect(await new MockActivityEnvironment().run(activities.planReminder, { tenantId: t.tenantId, reminderId })).toEqual({ state: 'ended', status: 'cancelled' });
    expect((await stack.http.get(`/api/v1/reminders/${reminderId}`, { token: t.token })).body.data).toMatchObject({ status: 'cancelled', last_error: 'its calendar event has already started' });
    expect(await state(reminderId)).toMatchObject({ outbound: 0, sent_events: 0 });
  });
});
