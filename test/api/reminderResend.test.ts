import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, type TestTenant } from '../support/factories.ts';
import { createReminderActivities } from '../../activities/reminders.ts';
import { createMessagingActivities, type SendResult } from '../../activities/messaging.ts';
import { createLocalEmailProvider } from '../../providers/messaging/email.ts';
import { countingTextProvider } from '../support/textProviders.ts';

/**
 * A reminder's text that Twilio could not deliver (30003, handset off) is sent again by
 * its `sms-<id>` run minutes later; by then the appointment may be cancelled or moved, or
 * the evening's quiet hours begun. The re-send checks again what the fire step checked.
 * These call the activities themselves, with no worker, against the real database.
 */
let stack: TestStack;
let t: TestTenant;
const sent: string[] = [];
const text = countingTextProvider(sent);
const deps = () => ({ orm: stack.orm, providers: { text: () => text, email: createLocalEmailProvider() }, emailFrom: 'reminders@example.test' });

beforeAll(async () => {
  stack = await startStack({ worker: false });
  t = await aTenant(stack.http);
  await stack.http.patch('/api/v1/tenant', { token: t.token, body: { quiet_hours: null } });
});
afterAll(() => stack.close());

const sql = async <T>(q: string, params: unknown[]) => (await stack.orm.em.getConnection().execute(q, params)) as T[];

/** A reminder an hour before a meeting in two days, fired, its text then reported undelivered (30003). */
async function anUndeliveredReminder(to: string, urgent = false) {
  const starts = new Date(Date.now() + 2 * 86_400_000);
  const event = (await stack.http.post('/api/v1/calendar/events', { token: t.token, body: { title: 'Check-up', start_time: starts.toISOString(), end_time: new Date(starts.getTime() + 3_600_000).toISOString() } })).body.data;
  const created = await stack.http.post('/api/v1/reminders', { token: t.token, body: { to, message: 'See you at {{event.time}}', event_id: event.id, offset: '-1h', timezone: 'UTC', urgent } });
  expect(created.status).toBe(201);
  const reminderId = created.body.data.id as string;
  const [r] = await sql<{ version: number; next_send_at: Date }>('select version, next_send_at from reminders where id = ?', [reminderId]);
  const fired = await new MockActivityEnvironment().run(createReminderActivities(deps()).fireReminder, { tenantId: t.tenantId, reminderId, dueAt: new Date(r.next_send_at).toISOString(), version: r.version });
  expect(fired).toEqual({ state: 'ended', status: 'sent' });
  const [m] = await sql<{ id: string }>(`update outbound_messages set status = 'undelivered', error_code = '30003' where cause->>'reminder_id' = ? returning id`, [reminderId]);
  return { eventId: event.id as string, reminderId, messageId: m.id };
}

const resend = (messageId: string) => new MockActivityEnvironment().run(createMessagingActivities(deps()).sendOutbound, { tenantId: t.tenantId, messageId, attempt: 2 }) as Promise<SendResult>;
const row = async (id: string) => (await sql<{ status: string; attempts: number; error_code: string | null }>('select status, attempts, error_code from outbound_messages where id = ?', [id]))[0];

describe("a reminder's text sent again after a transient undelivery", () => {
  it('goes out again while its event stands', async () => {
    const { messageId } = await anUndeliveredReminder('+14155550501');
    expect((await resend(messageId)).status).toBe('sent');
    expect(sent.filter((to) => to === '+14155550501')).toHaveLength(2);
    expect(await row(messageId)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('is withdrawn once its event was cancelled, with the reason', async () => {
    const { eventId, messageId } = await anUndeliveredReminder('+14155550502');
    expect((await stack.http.post(`/api/v1/calendar/events/${eventId}/decline`, { token: t.token })).status).toBe(200);
    expect(await resend(messageId)).toMatchObject({ status: 'blocked', errorCode: 'event_cancelled' });
    expect(sent.filter((to) => to === '+14155550502')).toHaveLength(1);
    expect(await row(messageId)).toMatchObject({ status: 'blocked', attempts: 1, error_code: 'event_cancelled' });
  });

  it('is withdrawn once its event moved: the text names the old time', async () => {
    const { eventId, messageId } = await anUndeliveredReminder('+14155550503');
    const later = new Date(Date.now() + 3 * 86_400_000);
    const moved = await stack.http.patch(`/api/v1/calendar/events/${eventId}`, { token: t.token, body: { start_time: later.toISOString(), end_time: new Date(later.getTime() + 3_600_000).toISOString() } });
    expect(moved.status).toBe(200);
    expect(await resend(messageId)).toMatchObject({ status: 'blocked', errorCode: 'reminder_moved' });
    expect(sent.filter((to) => to === '+14155550503')).toHaveLength(1);
  });

  it('waits out quiet hours that began since, unless urgent', async () => {
    const { messageId } = await anUndeliveredReminder('+14155550504');
    const urgent = await anUndeliveredReminder('+14155550505', true);
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    const end = new Date(Date.now() + 2 * 3_600_000);
    await stack.http.patch('/api/v1/tenant', { token: t.token, body: { quiet_hours: { start: hhmm(new Date(Date.now() - 3_600_000)), end: hhmm(end) } } });
    try {
      const deferred = await resend(messageId);
      expect(deferred.deferUntil?.slice(11, 16)).toBe(hhmm(end));
      expect(sent.filter((to) => to === '+14155550504')).toHaveLength(1);
      expect(await row(messageId)).toMatchObject({ status: 'undelivered', attempts: 1 });
      expect((await resend(urgent.messageId)).status).toBe('sent');
    } finally {
      await stack.http.patch('/api/v1/tenant', { token: t.token, body: { quiet_hours: null } });
    }
    expect((await resend(messageId)).status).toBe('sent');
    expect(sent.filter((to) => to === '+14155550504')).toHaveLength(2);
  });
});
