import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { startStack, type TestStack } from '../support/app.ts';
import { aContact, aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { startWebhookReceiver, type Received, type WebhookReceiver } from '../fakes/webhookReceiver.ts';
import { EventSchema } from '../../entities/Event.ts';
import { tenantEm } from '../../lib/db.ts';
import { captureHistory } from '../support/histories.ts';
import { postAcrossADeadApi } from '../support/idempotency.ts';
import { RunStillOpenError, startQueued } from '../../lib/workflowClient.ts';
import { webhookKind, webhookWorkflowId } from '../../workflows/deliverWebhook.client.ts';
import { rerunWaitsForClose } from '../../workflows/registry.ts';

let stack: TestStack;
let rx: WebhookReceiver;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  rx = await startWebhookReceiver();
  stack = await startStack({
    env: {
      RATE_LIMIT_AUTH_PER_MINUTE: '1000',
      RATE_LIMIT_PER_MINUTE: '100000',
      OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
      // Three attempts, close together, so retries and exhaustion happen within a test.
      WEBHOOK_RETRY_SCHEDULE: '0,300ms,300ms',
      WEBHOOK_TIMEOUT_MS: '1500',
      // An endpoint failing every delivery for an hour is disabled (5 days in production); the
      // test of it moves failing_since back instead of waiting (4 s here disabled slow tests' endpoints).
      WEBHOOK_DISABLE_AFTER: '1h',
      WEBHOOK_BREAKER_FAILURES: '3',
      OUTBOX_POLL_MS: '300',
    },
  });
  [a, b] = await Promise.all([aTenant(stack.http), aTenant(stack.http)]);
});
afterAll(async () => {
  await stack.close();
  await rx.close();
});

const api = '/api/v1';

async function register(t: TestTenant, path: string, events: string[] = ['webhook.test'], extra: Record<string, unknown> = {}) {
  const res = await stack.http.post(`${api}/webhooks`, { token: t.token, body: { url: rx.url(path), events, description: path, ...extra } });
  expect(res.status).toBe(201);
  return res.body.data as { id: string; secret: string; url: string };
}

async function trigger(t: TestTenant, data: Record<string, unknown> = { n: 1 }, event = 'webhook.test') {
  const res = await stack.http.post(`${api}/webhooks/trigger`, { token: t.token, body: { event, data } });
  expect(res.status).toBe(202);
  return res.body.data as { event_id: string; webhooks: number };
}

const headersOf = (r: Received) => Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));
const hex = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

async function deliveries(t: TestTenant, webhookId: string, query = '') {
  const res = await stack.http.get(`${api}/webhooks/${webhookId}/deliveries${query}`, { token: t.token });
  expect(res.status).toBe(200);
  return res.body.data as Array<{ id: string; status: string; event_id: string; attempts: Array<{ attempt: number; status_code: number | null; error: string | null; finished_at: string | null }>; attempt_count: number }>;
}

describe('registering webhooks', () => {
  it('shows the secret once, never again, and keeps header values out of every answer', async () => {
    const created = await register(a, '/once', ['contact.created'], { headers: { 'X-Api-Key': 'receiver-key-123' } });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
    const got = await stack.http.get(`${api}/webhooks/${created.id}`, { token: a.token });
    expect(got.status).toBe(200);
    expect(got.body.data).toMatchObject({ url: rx.url('/once'), events: ['contact.created'], header_names: ['X-Api-Key'], enabled: true });
    expect(got.text).not.toContain(created.secret);
    expect(got.text).not.toContain('receiver-key-123');
    const list = await stack.http.get(`${api}/webhooks?event=contact.created`, { token: a.token });
    expect(list.body.data.map((w: { id: string }) => w.id)).toContain(created.id);
    expect(list.text).not.toContain(created.secret);
    const other = await stack.http.get(`${api}/webhooks?event=lead.created`, { token: a.token });
    expect(other.body.data.map((w: { id: string }) => w.id)).not.toContain(created.id);
    // The secret is sealed at rest, not stored as given.
    const row = await stack.orm.em.getConnection().execute('select secret_sealed, headers_sealed from webhook_endpoints where id = ?', [created.id]);
    expect(row[0].secret_sealed).not.toContain(created.secret.slice(6));
    expect(row[0].headers_sealed).not.toContain('receiver-key-123');
  });

  it('keeps the secret out of the stored answer to an Idempotency-Key, and gives it again on a replay', async () => {
    const key = `register-${Date.now()}`;
    const post = () => stack.http.post(`${api}/webhooks`, { token: a.token, headers: { 'Idempotency-Key': key }, body: { url: rx.url('/keyed'), events: ['webhook.test'] } });
    const first = await post();
    expect(first.status).toBe(201);
    const stored = await stack.orm.em.getConnection().execute('select response_body::text as body from idempotency_key where key = ?', [key]);
    expect(stored).toHaveLength(1);
    expect(stored[0].body).not.toContain(first.body.data.secret.slice(6));
    const replay = await post();
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
  });

  it('registers once when a request is retried after the API died between its commit and its answer, and shows that secret', async () => {
    const { first, again } = await postAcrossADeadApi(stack, `${api}/webhooks`, a.token, { url: rx.url('/retried'), events: ['webhook.test'] });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body.data).toMatchObject({ id: first.body.data.id, secret: first.body.data.secret });
    const mine = (await stack.http.get(`${api}/webhooks`, { token: a.token })).body.data.filter((w: { url: string }) => w.url === rx.url('/retried'));
    expect(mine).toHaveLength(1);
  });

  it('lists the event catalogue with a description and an example for each', async () => {
    const res = await stack.http.get(`${api}/webhooks/events`, { token: a.token });
    expect(res.status).toBe(200);
    const names = res.body.data.map((e: { event: string }) => e.event);
    for (const required of ['message.received', 'message.triaged', 'contact.created', 'contact.updated', 'contact.deleted', 'lead.created', 'lead.updated', 'lead.score_changed', 'reminder.sent', 'reminder.failed', 'sms.sent', 'sms.received', 'call.started', 'call.ended', 'call.completed', 'call.failed', 'call.transferred', 'call.recording.available', 'call.transcript.available', 'calendar.event.created', 'calendar.event.updated', 'calendar.event.deleted', 'sync.completed', 'sync.failed', 'automation.completed', 'automation.failed', 'webhook.endpoint_disabled']) {
      expect(names).toContain(required);
    }
    const contactCreated = res.body.data.find((e: { event: string }) => e.event === 'contact.created');
    expect(contactCreated).toMatchObject({ emitted: true, example: { contact: { name: 'Jane Doe' } } });
  });

  it('refuses unknown events, unsafe URLs and headers that would replace the signature, with 422', async () => {
    const bad = async (body: Record<string, unknown>, field: string) => {
      const res = await stack.http.post(`${api}/webhooks`, { token: a.token, body: { url: rx.url('/x'), events: ['*'], ...body } });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(JSON.stringify(res.body.error.details)).toContain(field);
    };
    await bad({ events: ['no.such.event'] }, 'events');
    await bad({ url: 'http://169.254.169.254/latest/meta-data/' }, 'body.url');
    await bad({ url: 'http://10.0.0.1/hook' }, 'body.url');
    await bad({ url: `http://localhost:${rx.port}/hook` }, 'body.url');
    await bad({ url: 'ftp://example.com/hook' }, 'body.url');
    await bad({ url: 'not a url' }, 'body.url');
    await bad({ headers: { Host: 'evil.example' } }, 'body.headers');
    await bad({ headers: { 'Webhook-Signature': 'v1,forged' } }, 'body.headers');
    // Accepted before, and then every delivery threw in Node's http client and was never recorded.
    await bad({ headers: { 'X-Label': 'checked \u2713' } }, 'body.headers');
    for (const path of [`${api}/webhooks?event=lead.craeted`, `${api}/webhooks/00000000-0000-4000-8000-000000000000/deliveries?event=typo`]) {
      const res = await stack.http.get(path, { token: a.token });
      expect({ path, status: res.status }).toEqual({ path, status: 422 });
    }
    const trig = await stack.http.post(`${api}/webhooks/trigger`, { token: a.token, body: { event: 'nope', data: {} } });
    expect(trig.status).toBe(422);
  });
});

describe('deliveries', () => {
  it('delivers a real event signed two ways: Standard Webhooks and the seeds\' hex HMAC', async () => {
    const hook = await register(a, '/contacts', ['contact.created']);
    const contact = await aContact(stack.http, a.token, { name: 'Signed Sam' });
    const got = await eventually(async () => rx.at('/contacts').find((r) => JSON.parse(r.body).data.contact.id === contact.id), { what: 'contact.created delivery' });
    const body = JSON.parse(got.body);
    expect(body).toMatchObject({ type: 'contact.created', event: 'contact.created', tenant_id: a.tenantId, data: { contact: { id: contact.id, name: 'Signed Sam' } } });
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
    const headers = headersOf(got);
    expect(headers['webhook-id']).toBe(body.id);
    expect(() => new Webhook(hook.secret).verify(got.body, headers)).not.toThrow();
    expect(headers['x-webhook-signature']).toBe(hex(hook.secret, got.body));
    // A wrong secret does not verify: the check above can fail.
    expect(() => new Webhook('whsec_' + Buffer.alloc(24, 1).toString('base64')).verify(got.body, headers)).toThrow();
  });

  it('retries a failing endpoint with the same webhook-id until it succeeds, recording every attempt', async () => {
    rx.on('/flaky', (n) => (n <= 2 ? { status: 500, body: `boom ${n}` } : { status: 204 }));
    const hook = await register(a, '/flaky');
    const { event_id } = await trigger(a, { flaky: true });
    const [delivery] = await eventually(async () => {
      const d = await deliveries(a, hook.id);
      return d[0]?.status === 'delivered' ? d : undefined;
    }, { what: 'flaky delivery to succeed' });
    const ids = rx.at('/flaky').map((r) => r.headers['webhook-id']);
    expect(ids).toEqual([event_id, event_id, event_id]);
    expect(delivery.attempts.map((x) => x.status_code)).toEqual([500, 500, 204]);
    expect(delivery.attempts[0].error).toBe('HTTP 500');
    captureHistory(`webhook-${delivery.id}`, 'webhook');
    const excerpt = (await stack.http.get(`${api}/webhooks/${hook.id}/deliveries?status=delivered`, { token: a.token })).body.data[0].attempts[0].response_excerpt;
    expect(excerpt).toBe('boom 1');
  });

  it('marks a delivery failed when the schedule runs out, and retries it by hand with the same id', async () => {
    let healthy = false;
    rx.on('/down', () => (healthy ? { status: 200 } : { status: 503 }));
    const hook = await register(a, '/down');
    const { event_id } = await trigger(a);
    const [failed] = await eventually(async () => {
      const d = await deliveries(a, hook.id, '?status=failed');
      return d.length ? d : undefined;
    }, { what: 'delivery to fail' });
    expect(failed.attempt_count).toBe(3);
    healthy = true;
    const retry = await stack.http.post(`${api}/webhooks/deliveries/${failed.id}/retry`, { token: a.token });
    expect(retry.status).toBe(202);
    expect(retry.body.data.run.workflow_id).toBe(`webhook-${failed.id}`);
    await eventually(async () => ((await deliveries(a, hook.id))[0].status === 'delivered' ? true : undefined), { what: 'manual retry' });
    const after = (await deliveries(a, hook.id))[0];
    expect(after.attempts.map((x) => x.attempt)).toEqual([1, 2, 3, 4]);
    expect(rx.at('/down').map((r) => r.headers['webhook-id'])).toEqual([event_id, event_id, event_id, event_id]);
    // A delivered one may be sent again by hand (a receiver lost it).
    const again = await stack.http.post(`${api}/webhooks/deliveries/${failed.id}/retry`, { token: a.token });
    expect(again.status).toBe(202);
  });

  it('says a delivery was cancelled when its run is cancelled through /runs, and retries it by hand', async () => {
    let hang = true;
    rx.on('/stopped', () => (hang ? { status: 200, hang: true } : { status: 200 }));
    const hook = await register(a, '/stopped', ['email.failed']);
    await trigger(a, { stopped: true }, 'email.failed');
    await eventually(async () => (rx.at('/stopped').length === 1 ? true : undefined), { what: 'the first attempt to reach the endpoint' });
    const [d] = await deliveries(a, hook.id);
    expect((await stack.http.post(`${api}/runs/${webhookWorkflowId(d.id)}/cancel`, { token: a.token })).status).toBe(202);
    await eventually(async () => ((await deliveries(a, hook.id))[0].status === 'cancelled' ? true : undefined), { what: 'the delivery to say cancelled' });
    // The attempt that was out when the run was cancelled ends (timeout) without undoing that.
    await eventually(async () => ((await deliveries(a, hook.id))[0].attempts[0]?.finished_at ? true : undefined), { what: 'the hung attempt to end' });
    expect((await deliveries(a, hook.id))[0]).toMatchObject({ status: 'cancelled' });
    captureHistory(webhookWorkflowId(d.id), 'webhook-cancelled');
    // Before, it stayed "retrying" and a retry answered 409 for good.
    hang = false;
    expect((await stack.http.post(`${api}/webhooks/deliveries/${d.id}/retry`, { token: a.token })).status).toBe(202);
    await eventually(async () => ((await deliveries(a, hook.id))[0].status === 'delivered' ? true : undefined), { what: 'the retried delivery' });
  });

  it('counts every failed attempt to an endpoint, however many finish at once', async () => {
    rx.on('/crowd', () => ({ status: 500 }));
    const hook = await register(a, '/crowd', ['knowledge.document.failed']);
    await Promise.all(Array.from({ length: 12 }, () => trigger(a, { crowd: true }, 'knowledge.document.failed')));
    const all = await eventually(async () => {
      const found = await deliveries(a, hook.id, '?per_page=100');
      return found.length >= 12 && found.every((x) => ['failed', 'paused', 'cancelled'].includes(x.status)) ? found : undefined;
    }, { what: 'every delivery to settle', timeoutMs: 60_000 });
    expect(all.length).toBe(12);
    // One statement, one moment: a probe may finish an attempt at any time.
    const [row] = await stack.orm.em.getConnection().execute<Array<{ consecutive_failures: number; failed: number }>>(
      `select e.consecutive_failures, (select count(*) from webhook_attempts t join webhook_deliveries d on d.id = t.delivery_id
         where d.endpoint_id = e.id and t.finished_at is not null and t.status_code = 500)::int as failed
       from webhook_endpoints e where e.id = ?`,
      [hook.id],
    );
    expect(row.failed).toBeGreaterThanOrEqual(3);
    expect(row.consecutive_failures).toBe(row.failed);
  });

  it('disables an endpoint that answers 410 Gone and tells subscribers', async () => {
    rx.on('/gone', () => ({ status: 410 }));
    const watcher = await register(a, '/watcher', ['webhook.endpoint_disabled']);
    const hook = await register(a, '/gone');
    await trigger(a);
    const disabled = await eventually(async () => {
      const w = (await stack.http.get(`${api}/webhooks/${hook.id}`, { token: a.token })).body.data;
      return w.enabled ? undefined : w;
    }, { what: 'endpoint to be disabled' });
    expect(disabled.disabled_reason).toContain('410');
    expect(rx.at('/gone')).toHaveLength(1);
    const notice = await eventually(async () => rx.at('/watcher').find((r) => JSON.parse(r.body).data.endpoint_id === hook.id), { what: 'webhook.endpoint_disabled delivery' });
    expect(JSON.parse(notice.body)).toMatchObject({ type: 'webhook.endpoint_disabled', data: { endpoint_id: hook.id, url: rx.url('/gone') } });
    expect(watcher.id).not.toBe(hook.id);
    // A disabled endpoint gets nothing more.
    await trigger(a);
    await new Promise((r) => setTimeout(r, 1500));
    expect(rx.at('/gone')).toHaveLength(1);
  });

  it('disables an endpoint that has failed every delivery for too long, and tells subscribers', async () => {
    rx.on('/failing', () => ({ status: 500 }));
    const watcher = await register(a, '/watcher-long', ['webhook.endpoint_disabled']);
    const hook = await register(a, '/failing', ['reminder.failed']);
    await trigger(a, { n: 1 }, 'reminder.failed');
    await eventually(async () => ((await deliveries(a, hook.id, '?status=failed')).length === 1 ? true : undefined), { what: 'first delivery to fail' });
    const stillOn = (await stack.http.get(`${api}/webhooks/${hook.id}`, { token: a.token })).body.data;
    expect(stillOn.enabled).toBe(true);
    expect(stillOn.failing_since).not.toBeNull();
    await stack.orm.em.getConnection().execute("update webhook_endpoints set failing_since = now() - interval '2 hours' where id = ?", [hook.id]);
    await trigger(a, { n: 2 }, 'reminder.failed');
    const off = await eventually(async () => {
      const w = (await stack.http.get(`${api}/webhooks/${hook.id}`, { token: a.token })).body.data;
      return w.enabled ? undefined : w;
    }, { what: 'endpoint disabled after failing too long' });
    expect(off.disabled_reason).toBe('failed every delivery for too long');
    const notice = await eventually(async () => rx.at('/watcher-long').find((r) => JSON.parse(r.body).data.endpoint_id === hook.id), { what: 'disabled notice' });
    expect(JSON.parse(notice.body).data.reason).toBe('failed every delivery for too long');
    expect(watcher.id).toBeDefined();
    // Enabling it again clears the failure state.
    const back = await stack.http.patch(`${api}/webhooks/${hook.id}`, { token: a.token, body: { enabled: true } });
    expect(back.body.data).toMatchObject({ enabled: true, disabled_at: null, disabled_reason: null, failing_since: null });
  });

  it('pauses new deliveries to an endpoint that keeps failing, probes with one, and resumes them all when it answers', async () => {
    let healthy = false;
    rx.on('/breaker', () => (healthy ? { status: 200 } : { status: 503 }));
    const hook = await register(a, '/breaker', ['call.transferred']);
    const first = (await trigger(a, { n: 0 }, 'call.transferred')).event_id;
    await eventually(async () => {
      const w = (await stack.http.get(`${api}/webhooks/${hook.id}`, { token: a.token })).body.data;
      return w.consecutive_failures >= 3 ? true : undefined;
    }, { what: 'three failures in a row' });
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await trigger(a, { n: i }, 'call.transferred')).event_id);
    const em = tenantEm(stack.orm, a.tenantId);
    await eventually(async () => ((await em.count(EventSchema, { id: { $in: ids }, dispatchedAt: null })) === 0 ? true : undefined), { what: 'fan-out' });
    // A replay while the circuit is open adds paused deliveries too (each used to get a workflow retrying for a day).
    const replay = await stack.http.post(`${api}/webhooks/${hook.id}/replay`, { token: a.token, body: { since: new Date(Date.now() - 60_000).toISOString() } });
    expect(replay.status).toBe(202);
    // The relay probes with one paused delivery at a time, whenever it likes: read every row
    // at one moment, then count as probed whatever the receiver has seen by now.
    const rows = await stack.orm.em.getConnection().execute<Array<{ event_id: string; status: string; attempts: number }>>(
      'select d.event_id, d.status, (select count(*) from webhook_attempts t where t.delivery_id = d.id)::int as attempts from webhook_deliveries d where d.endpoint_id = ?',
      [hook.id],
    );
    const probed = new Set(rx.at('/breaker').map((r) => String(r.headers['webhook-id'])));
    expect(rows.map((r) => r.event_id).sort()).toEqual([first, ...ids].sort());
    expect(rows.filter((r) => r.status === 'pending' || r.status === 'retrying').length).toBeLessThanOrEqual(1);
    // The new ones wait without a workflow or an attempt, but for a probe whose request is still on its way.
    expect(rows.filter((r) => ids.includes(r.event_id) && !probed.has(r.event_id) && r.attempts > 0).length).toBeLessThanOrEqual(1);
    expect(rows.filter((r) => r.status === 'paused').length).toBeGreaterThanOrEqual(3);
    healthy = true;
    await eventually(async () => {
      const all = await deliveries(a, hook.id, '?per_page=100');
      return all.every((d) => d.status === 'delivered' || d.status === 'failed') ? all : undefined;
    }, { what: 'paused deliveries to resume and go out' });
    const delivered = await deliveries(a, hook.id, '?status=delivered');
    // Every new event got through once the endpoint answered.
    expect(ids.filter((id) => !delivered.some((d) => d.event_id === id))).toEqual([]);
    const w = (await stack.http.get(`${api}/webhooks/${hook.id}`, { token: a.token })).body.data;
    expect(w).toMatchObject({ consecutive_failures: 0, failing_since: null, enabled: true });
  });

  it('keeps delivering to a healthy endpoint while another hangs', async () => {
    rx.on('/hang', () => ({ status: 200, hang: true }));
    const hung = await register(a, '/hang', ['automation.failed']);
    const fast = await register(a, '/fast', ['automation.failed']);
    for (let i = 0; i < 5; i++) await trigger(a, { i }, 'automation.failed');
    const delivered = await eventually(async () => {
      const d = await deliveries(a, fast.id, '?status=delivered');
      return d.length === 5 ? d : undefined;
    }, { what: 'all five to the healthy endpoint' });
    expect(delivered).toHaveLength(5);
    // Meanwhile the hung endpoint's first attempts are still open.
    const stuck = await deliveries(a, hung.id);
    expect(stuck.filter((d) => d.status === 'delivered')).toHaveLength(0);
  });

  it('starts a retried delivery afresh only once its previous run closed, never joining that run (a retry racing the run\'s close delivered nothing)', async () => {
    rx.on('/closing', () => ({ status: 200, hang: true }));
    const hook = await register(a, '/closing', ['call.recording.available']);
    await trigger(a, { closing: true }, 'call.recording.available');
    const [d] = await eventually(async () => {
      const found = await deliveries(a, hook.id);
      return found.length === 1 ? found : undefined;
    }, { what: 'the delivery' });
    const workflowId = webhookWorkflowId(d.id);
    // The relay commits the delivery row, then starts its run: the row can be seen first.
    const open = await eventually(() => stack.temporal.workflow.getHandle(workflowId).describe().catch(() => undefined), { what: 'the delivery run' });
    expect(open.status.name).toBe('RUNNING');
    // The start row a retry or replay commits for this delivery (workers/outboxRelay.ts and api/startWork.ts start it).
    const rerun = {
      tenantId: a.tenantId,
      workflowType: webhookKind.workflowType,
      workflowId,
      args: [{ tenantId: a.tenantId, deliveryId: d.id, scheduleMs: [0], firstAttemptNo: 4 }],
      entityType: webhookKind.entityType,
      entityId: d.id,
      requestId: null,
      rerunnable: true,
      rerunAfterClose: rerunWaitsForClose(webhookKind.workflowType),
    };
    expect(rerun.rerunAfterClose).toBe(true);
    const taskQueue = stack.config.temporal.taskQueue;
    await expect(startQueued(stack.temporal, taskQueue, rerun, 10_000)).rejects.toBeInstanceOf(RunStillOpenError);
    // A kind without the flag joins the open run, as a repeated request should.
    expect(await startQueued(stack.temporal, taskQueue, { ...rerun, rerunAfterClose: false }, 10_000)).toMatchObject({ run_id: open.runId, status: 'running' });
    // Once the hanging attempts are over and the run has closed, the same start makes a new run.
    await eventually(async () => ((await stack.temporal.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING' ? undefined : true), { what: 'the first run to close', timeoutMs: 60_000 });
    const fresh = await startQueued(stack.temporal, taskQueue, rerun, 10_000);
    expect(fresh.status).toBe('running');
    expect(fresh.run_id).not.toBe(open.runId);
    await stack.temporal.workflow.getHandle(workflowId).terminate('test over');
  });

  it('replays every subscribed event since a time, new deliveries for missed ones and the same ids for sent ones', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const first = await trigger(a, { replay: 1 }, 'sync.completed');
    const second = await trigger(a, { replay: 2 }, 'sync.completed');
    // Fanned out before the endpoint exists (else the relay would give it these two itself).
    await eventually(
      async () => ((await tenantEm(stack.orm, a.tenantId).count(EventSchema, { id: { $in: [first.event_id, second.event_id] }, dispatchedAt: { $ne: null } })) === 2 ? true : undefined),
      { what: 'both events fanned out' },
    );
    // Registered after both events: nothing was delivered to it yet.
    const hook = await register(a, '/replay', ['sync.completed']);
    const res = await stack.http.post(`${api}/webhooks/${hook.id}/replay`, { token: a.token, body: { since } });
    expect(res.status).toBe(202);
    expect(res.body.data.queued).toBe(2);
    await eventually(async () => (rx.at('/replay').length === 2 ? true : undefined), { what: 'replayed deliveries' });
    expect(rx.at('/replay').map((r) => r.headers['webhook-id']).sort()).toEqual([first.event_id, second.event_id].sort());
    await eventually(async () => ((await deliveries(a, hook.id, '?status=delivered')).length === 2 ? true : undefined), { what: 'replays delivered' });
    const again = await stack.http.post(`${api}/webhooks/${hook.id}/replay`, { token: a.token, body: { since } });
    expect(again.body.data.queued).toBe(2);
    await eventually(async () => (rx.at('/replay').length === 4 ? true : undefined), { what: 'second replay' });
    expect(new Set(rx.at('/replay').map((r) => r.headers['webhook-id'])).size).toBe(2);
    const future = await stack.http.post(`${api}/webhooks/${hook.id}/replay`, { token: a.token, body: { since: '2999-01-01T00:00:00Z' } });
    expect(future.status).toBe(422);
  });

  it('signs with both secrets during a rotation', async () => {
    const hook = await register(a, '/rotate', ['sync.failed']);
    const rotated = await stack.http.post(`${api}/webhooks/${hook.id}/rotate-secret`, { token: a.token });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.data.secret as string;
    expect(fresh).not.toBe(hook.secret);
    expect(new Date(rotated.body.data.previous_secret_expires_at).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    await trigger(a, { rotation: true }, 'sync.failed');
    const got = await eventually(async () => rx.at('/rotate')[0], { what: 'delivery after rotation' });
    const headers = headersOf(got);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(fresh).verify(got.body, headers)).not.toThrow();
    expect(() => new Webhook(hook.secret).verify(got.body, headers)).not.toThrow();
    expect(headers['x-webhook-signature']).toBe(hex(fresh, got.body));
  });

  it('sends custom headers, and the receiver sees them', async () => {
    await register(a, '/custom', ['calendar.event.deleted'], { headers: { 'X-Api-Key': 'k-42' } });
    await trigger(a, {}, 'calendar.event.deleted');
    const got = await eventually(async () => rx.at('/custom')[0], { what: 'custom header delivery' });
    expect(got.headers['x-api-key']).toBe('k-42');
  });

  it('stores an event of a tenant with no enabled endpoint as dispatched, for the relay never to read, and makes no delivery', async () => {
    const lonely = await aTenant(stack.http);
    await register(lonely, '/lonely', ['*'], { enabled: false });
    await aContact(stack.http, lonely.token);
    const em = tenantEm(stack.orm, lonely.tenantId);
    // At once, as the API answers: no relay pass was needed.
    expect(await em.count(EventSchema, { type: 'contact.created' })).toBe(1);
    expect(await em.count(EventSchema, { dispatchedAt: null })).toBe(0);
    const rows = await stack.orm.em.getConnection().execute('select count(*)::int as n from webhook_deliveries where tenant_id = ?', [lonely.tenantId]);
    expect(rows[0].n).toBe(0);
    const runs = await stack.http.get(`${api}/runs?type=webhook`, { token: lonely.token });
    expect(runs.body.pagination.total).toBe(0);
  });
});

describe('tenant isolation', () => {
  it('answers 404 for another tenant\'s webhook and delivery on every route', async () => {
    rx.on('/iso', () => ({ status: 500 }));
    const hook = await register(a, '/iso', ['contact.deleted']);
    await trigger(a, {}, 'contact.deleted');
    const [delivery] = await eventually(async () => {
      const d = await deliveries(a, hook.id, '?status=failed');
      return d.length ? d : undefined;
    }, { what: 'a delivery of A' });
    const as = { token: b.token };
    expect((await stack.http.get(`${api}/webhooks/${hook.id}`, as)).status).toBe(404);
    expect((await stack.http.put(`${api}/webhooks/${hook.id}`, { ...as, body: { description: 'mine' } })).status).toBe(404);
    expect((await stack.http.patch(`${api}/webhooks/${hook.id}`, { ...as, body: { enabled: false } })).status).toBe(404);
    expect((await stack.http.get(`${api}/webhooks/${hook.id}/deliveries`, as)).status).toBe(404);
    expect((await stack.http.post(`${api}/webhooks/${hook.id}/rotate-secret`, as)).status).toBe(404);
    expect((await stack.http.post(`${api}/webhooks/${hook.id}/replay`, { ...as, body: { since: '2020-01-01T00:00:00Z' } })).status).toBe(404);
    expect((await stack.http.post(`${api}/webhooks/deliveries/${delivery.id}/retry`, as)).status).toBe(404);
    expect((await stack.http.delete(`${api}/webhooks/${hook.id}`, as)).status).toBe(404);
    const listB = await stack.http.get(`${api}/webhooks`, as);
    expect(listB.body.data.map((w: { id: string }) => w.id)).not.toContain(hook.id);
    // B's own trigger reaches none of A's endpoints.
    const before = rx.at('/iso').length;
    expect((await trigger(b, {}, 'contact.deleted')).webhooks).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(rx.at('/iso').length).toBe(before);
    // And A still has it, unchanged.
    const still = await stack.http.get(`${api}/webhooks/${hook.id}`, { token: a.token });
    expect(still.body.data.description).toBe('/iso');
    expect((await stack.http.delete(`${api}/webhooks/${hook.id}`, { token: a.token })).status).toBe(204);
  });
});
