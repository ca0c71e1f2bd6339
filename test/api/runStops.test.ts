import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, type TestTenant } from '../support/factories.ts';
import { createReminderActivities } from '../../activities/reminders.ts';
import { createMessagingActivities } from '../../activities/messaging.ts';
import { createLocalTextProvider } from '../../providers/twilio/messaging.ts';
import { createLocalEmailProvider } from '../../providers/messaging/email.ts';

/**
 * A send or reminder whose run stopped before it finished (cancelled through /runs, or
 * failed when a step's retries ran out in an outage) says so: the steps that record it,
 * called with no worker, against the real database.
 */
let stack: TestStack;
let t: TestTenant;
const deps = () => ({ orm: stack.orm, providers: { text: () => createLocalTextProvider(), email: createLocalEmailProvider() }, emailFrom: 'x@example.test' });
const sql = async <T>(q: string, params: unknown[]) => (await stack.orm.em.getConnection().execute(q, params)) as T[];
const run = <A, R>(fn: (a: A) => Promise<R>, a: A) => new MockActivityEnvironment().run(fn, a);

beforeAll(async () => {
  stack = await startStack({ worker: false });
  t = await aTenant(stack.http);
});
afterAll(() => stack.close());

async function aQueuedText(to: string): Promise<string> {
  const res = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: to, message: 'Your order is ready' } });
  expect(res.status).toBe(201);
  return res.body.data.sid as string;
}

describe('a send whose run stopped', () => {
  it('is failed, saying why, with its event, instead of queued for ever', async () => {
    const id = await aQueuedText('+14155550701');
    await run(createMessagingActivities(deps()).closeOutbound, { tenantId: t.tenantId, messageId: id, reason: 'gave up: Twilio did not answer (503)' });
    const m = (await stack.http.get(`/api/v1/sms/outbox/${id}`, { token: t.token })).body.data;
    expect(m).toMatchObject({ status: 'failed', error_code: 'gave_up', error_message: 'gave up: Twilio did not answer (503)' });
    expect(await sql('select 1 from events where entity_id = ? and type = ?', [id, 'sms.failed'])).toHaveLength(1);
  });

  it('says it may have gone out when it stopped in the middle of the send', async () => {
    const id = await aQueuedText('+14155550702');
    await sql(`update outbound_messages set status = 'sending', attempts = 1, attempted_at = now() where id = ?`, [id]);
    await run(createMessagingActivities(deps()).closeOutbound, { tenantId: t.tenantId, messageId: id, reason: 'the send run was cancelled' });
    const m = (await stack.http.get(`/api/v1/sms/outbox/${id}`, { token: t.token })).body.data;
    expect(m.status).toBe('failed');
    expect(m.error_message).toMatch(/^the send run was cancelled; it may have been sent/);
  });

  it('keeps an outcome it already has', async () => {
    const id = await aQueuedText('+14155550703');
    await sql(`update outbound_messages set status = 'delivered', provider_sid = 'SMx' where id = ?`, [id]);
    await run(createMessagingActivities(deps()).closeOutbound, { tenantId: t.tenantId, messageId: id, reason: 'the send run was cancelled' });
    expect((await stack.http.get(`/api/v1/sms/outbox/${id}`, { token: t.token })).body.data).toMatchObject({ status: 'delivered', error_code: null });
  });
});

describe('a reminder whose run stopped', () => {
  const aReminder = async () => {
    const res = await stack.http.post('/api/v1/reminders', { token: t.token, body: { to: '+14155550710', message: 'Check-up tomorrow', send_at: new Date(Date.now() + 3_600_000).toISOString(), timezone: 'UTC' } });
    expect(res.status).toBe(201);
    return res.body.data.id as string;
  };

  it('is failed, saying why, with a reminder.failed event, instead of scheduled with a time gone by', async () => {
    const id = await aReminder();
    await run(createReminderActivities(deps()).closeReminder, { tenantId: t.tenantId, reminderId: id, status: 'failed', reason: 'gave up: PostgreSQL is not answering' });
    const r = (await stack.http.get(`/api/v1/reminders/${id}`, { token: t.token })).body.data;
    expect(r).toMatchObject({ status: 'failed', next_send_at: null, last_error: 'gave up: PostgreSQL is not answering' });
    expect(await sql('select 1 from events where entity_id = ? and type = ?', [id, 'reminder.failed'])).toHaveLength(1);
    // And says so to a PUT.
    expect((await stack.http.put(`/api/v1/reminders/${id}`, { token: t.token, body: { message: 'x' } })).status).toBe(409);
  });

  it('is cancelled when its run was, and one that ended meanwhile keeps its end', async () => {
    const id = await aReminder();
    await run(createReminderActivities(deps()).closeReminder, { tenantId: t.tenantId, reminderId: id, status: 'cancelled', reason: 'its run was cancelled' });
    expect((await stack.http.get(`/api/v1/reminders/${id}`, { token: t.token })).body.data).toMatchObject({ status: 'cancelled', next_send_at: null });
    const sent = await aReminder();
    await sql(`update reminders set status = 'sent', next_send_at = null where id = ?`, [sent]);
    await run(createReminderActivities(deps()).closeReminder, { tenantId: t.tenantId, reminderId: sent, status: 'failed', reason: 'gave up' });
    expect((await stack.http.get(`/api/v1/reminders/${sent}`, { token: t.token })).body.data).toMatchObject({ status: 'sent', last_error: null });
  });
});
