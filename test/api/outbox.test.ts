import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, eventually } from '../support/factories.ts';
import { readTestEnv } from '../support/testEnv.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhookReceiver.ts';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/lib/temporalDevServer.ts';
import { findFreePort } from '../../scripts/lib/proc.ts';
import { customSearchAttributes } from '../../lib/searchAttributes.ts';
import { tenantEm } from '../../lib/db.ts';
import { MessageSchema } from '../../entities/Message.ts';

/**
 * "Work starts from rows", tried as a user would: a Temporal of this file's own
 * (a dev server with a database file, so it can be stopped and started again), the API
 * and the worker pointed at it.
 */
let temporal: TemporalDevServer;
let stack: TestStack;
let rx: WebhookReceiver;
let port: number;
const dir = mkdtempSync(join(tmpdir(), 'aisec-outbox-'));
const log = () => undefined;

const startTemporal = () =>
  startTemporalDevServer({
    cliPath: readTestEnv().temporalCliPath,
    port,
    headless: true,
    dbFile: join(dir, 'temporal.db'),
    searchAttributes: customSearchAttributes.map((k) => ({ name: k.name, type: 'Keyword' as const })),
    log,
  });

beforeAll(async () => {
  port = await findFreePort();
  temporal = await startTemporal();
  rx = await startWebhookReceiver();
  stack = await startStack({
    env: {
      TEMPORAL_ADDRESS: temporal.address,
      RATE_LIMIT_AUTH_PER_MINUTE: '1000',
      RATE_LIMIT_PER_MINUTE: '100000',
      OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_RETRY_SCHEDULE: '0,200ms,200ms,200ms',
      OUTBOX_POLL_MS: '300',
      OUTBOX_START_GRACE_MS: '500',
      HOUSEKEEPING_INTERVAL_MS: '500',
    },
  });
}, 120_000);
afterAll(async () => {
  await stack.close();
  await temporal.stop();
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('while Temporal is down', () => {
  it('stores a message once, answers 201 with a pending run, replays that answer, and triages once Temporal is back', async () => {
    const t = await aTenant(stack.http);
    await temporal.stop();

    const health = await stack.http.get('/api/v1/health');
    expect(health.status).toBe(503);
    expect(health.body.checks.temporal.status).toBe('unavailable');
    expect(health.body.checks.database.status).toBe('ok');

    // A client with no message id of its own, retrying with its Idempotency-Key.
    const send = () =>
      stack.http.post('/api/v1/inbox/messages', {
        token: t.token,
        headers: { 'Idempotency-Key': 'outbox-key-1' },
        body: { channel: 'email', content: 'Hi, Jane from Acme here, pricing for 20 seats please', customer_email: 'jane@acme.com' },
      });
    const first = await send();
    expect(first.status).toBe(201);
    expect(first.body.data.run).toEqual({ workflow_id: `triage-${first.body.data.id}`, run_id: null, status: 'pending' });
    const second = await send();
    expect(second.status).toBe(201);
    expect(second.body.data.id).toBe(first.body.data.id);
    const em = tenantEm(stack.orm, t.tenantId);
    expect(await em.count(MessageSchema, {})).toBe(1);

    temporal = await startTemporal();
    const triaged = await eventually(
      async () => {
        const m = await tenantEm(stack.orm, t.tenantId).findOne(MessageSchema, first.body.data.id);
        return m?.triagedAt ? m : undefined;
      },
      { timeoutMs: 60_000, what: 'triage after Temporal returned' },
    );
    expect(triaged.category).toBe('sales_inquiry');
    // The row is written by the run's last activity; the run closes a moment later.
    const run = await eventually(
      async () => {
        const res = await stack.http.get(`/api/v1/runs/triage-${first.body.data.id}`, { token: t.token });
        return res.body.data?.status === 'running' ? undefined : res;
      },
      { what: 'the triage run to close' },
    );
    expect(run.status).toBe(200);
    expect(run.body.data.status).toBe('completed');
    expect(await tenantEm(stack.orm, t.tenantId).count(MessageSchema, {})).toBe(1);
    expect((await stack.http.get('/api/v1/health')).status).toBe(200);
  }, 120_000);

  it('moves a reminder earlier while Temporal is down, and its run hears of it once Temporal is back: it goes at its new time, not its old one', async () => {
    const t = await aTenant(stack.http);
    await stack.http.patch('/api/v1/tenant', { token: t.token, body: { quiet_hours: null } });
    const created = await stack.http.post('/api/v1/reminders', { token: t.token, body: { to: '+14155550601', message: 'Your table is ready', send_at: new Date(Date.now() + 3_600_000).toISOString() } });
    expect(created.status).toBe(201);
    const id = created.body.data.id as string;
    await eventually(async () => ((await stack.http.get(`/api/v1/runs/reminder-${id}`, { token: t.token })).body.data?.status === 'running' ? true : undefined), { what: 'the reminder run to sleep' });
    await temporal.stop();
    const moved = await stack.http.put(`/api/v1/reminders/${id}`, { token: t.token, body: { send_at: new Date(Date.now() + 2_000).toISOString() } });
    expect(moved.status).toBe(200);
    temporal = await startTemporal();
    // Its run slept until the old time, an hour on; the change reached it through the relay.
    const sent = await eventually(
      async () => {
        const r = (await stack.http.get(`/api/v1/reminders/${id}`, { token: t.token })).body.data;
        return r.status === 'sent' ? r : undefined;
      },
      { timeoutMs: 60_000, what: 'the moved reminder to go' },
    );
    expect(sent.sent_count).toBe(1);
  }, 120_000);

  it('registers a tenant whose onboarding starts when Temporal is back', async () => {
    await temporal.stop();
    const t = await aTenant(stack.http);
    temporal = await startTemporal();
    const run = await eventually(
      async () => {
        const res = await stack.http.get(`/api/v1/runs/onboard-${t.tenantId}`, { token: t.token });
        return res.body.data?.status === 'completed' ? res.body.data : undefined;
      },
      { timeoutMs: 60_000, what: 'onboarding after Temporal returned' },
    );
    expect(run.type).toBe('onboardTenantWorkflow');
  }, 120_000);
});

describe('a client with no message id of its own', () => {
  it('stores one message when the API died after committing it and the retry takes over the key', async () => {
    const t = await aTenant(stack.http);
    const body = { channel: 'email', content: 'Retry me, please: one message only', customer_email: 'retry@client.example' };
    const send = () => stack.http.post('/api/v1/inbox/messages', { token: t.token, headers: { 'Idempotency-Key': 'died-mid-request' }, body });
    const first = await send();
    expect(first.status).toBe(201);
    // As if the process died between its commit and storing the answer: the key is gone.
    await stack.orm.em.getConnection().execute("delete from idempotency_key where key = 'died-mid-request'");
    const retry = await send();
    expect(retry.status).toBe(201);
    expect(retry.body.data.id).toBe(first.body.data.id);
    expect(await tenantEm(stack.orm, t.tenantId).count(MessageSchema, {})).toBe(1);
    // The same key for another message (after its 24 h, say) is another message.
    await stack.orm.em.getConnection().execute("delete from idempotency_key where key = 'died-mid-request'");
    const other = await stack.http.post('/api/v1/inbox/messages', { token: t.token, headers: { 'Idempotency-Key': 'died-mid-request' }, body: { ...body, content: 'A new question' } });
    expect(other.body.data.id).not.toBe(first.body.data.id);
    expect(await tenantEm(stack.orm, t.tenantId).count(MessageSchema, {})).toBe(2);
  });
});

describe('start rows', () => {
  it('a start row handed over to the relay notifies it; a row its writer starts itself does not', async () => {
    const t = await aTenant(stack.http);
    const listener = new pg.Client({ connectionString: stack.config.database.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(`${n.channel}:${n.payload}`));
    try {
      await listener.query('listen outbox');
      const insert = (claimed: string) =>
        stack.orm.em.getConnection().execute(
          `insert into workflow_starts (id, created_at, updated_at, tenant_id, workflow_type, workflow_id, args, entity_type, entity_id, rerunnable, claimed_until, attempts, started_at)
           values (gen_random_uuid(), now(), now(), ?, 'onboardTenantWorkflow', 'wake-test-' || gen_random_uuid(), '[]', 'tenant', ?, false, ${claimed}, 0, now())`,
          [t.tenantId, t.tenantId],
        );
      await insert('null');
      await insert("now() + interval '30 seconds'");
      // A notification sent after both is the marker that everything before it was delivered.
      await stack.orm.em.getConnection().execute("select pg_notify('outbox', 'marker')");
      await eventually(async () => (heard.includes('outbox:marker') ? true : undefined), { what: 'the marker notification' });
      // (Events committed meanwhile, such as the tenant's onboarding, notify with an empty payload.)
      expect(heard.filter((h) => h !== 'outbox:')).toEqual(['outbox:marker']);
      await insert("'epoch'");
      await eventually(async () => (heard.includes('outbox:starts') ? true : undefined), { what: 'the hand-over notification' });
    } finally {
      await listener.end();
    }
  });
});

describe('housekeeping', () => {
  it('deletes expired idempotency answers and rate-limit counters on a schedule, and keeps live ones', async () => {
    const db = stack.orm.em.getConnection();
    const row = (key: string, expires: string) =>
      db.execute(
        `insert into idempotency_key (id, created_at, updated_at, scope, key, method, path, request_hash, response_status, response_body, expires_at)
         values (gen_random_uuid(), now(), now(), 'user:housekeeping', ?, 'POST', '/x', repeat('0', 64), 201, '{}', now() + ?::interval)`,
        [key, expires],
      );
    await row('expired-key', '-1 hour');
    await row('live-key', '23 hours');
    await db.execute("insert into rate_limits (key, points, expire) values ('housekeeping:old', 3, (extract(epoch from now()) * 1000)::bigint - 1000), ('housekeeping:new', 1, (extract(epoch from now()) * 1000)::bigint + 60000)");
    await eventually(
      async () => {
        const left = await db.execute("select key from idempotency_key where scope = 'user:housekeeping' union all select key from rate_limits where key like 'housekeeping:%'");
        const keys = left.map((r) => String(r.key)).sort();
        return keys.join() === ['housekeeping:new', 'live-key'].join() ? keys : undefined;
      },
      { what: 'expired rows to go' },
    );
  });
});

describe('fan-out', () => {
  it('loses no delivery and sends none twice under another id when the worker is killed mid fan-out', async () => {
    const t = await aTenant(stack.http);
    const paths = ['/k1', '/k2', '/k3'];
    for (const p of paths) {
      const res = await stack.http.post('/api/v1/webhooks', { token: t.token, body: { url: rx.url(p), events: ['webhook.test'] } });
      expect(res.status).toBe(201);
    }
    const ids: string[] = [];
    const EVENTS = 60;
    for (let i = 0; i < EVENTS; i++) {
      const res = await stack.http.post('/api/v1/webhooks/trigger', { token: t.token, body: { event: 'webhook.test', data: { i } } });
      ids.push(res.body.data.event_id);
      if (i === EVENTS / 3) await stack.worker!.kill();
    }
    const inFlight = await stack.orm.em.getConnection().execute("select count(*)::int as n from events where tenant_id = ? and dispatched_at is null", [t.tenantId]);
    expect(inFlight[0].n).toBeGreaterThan(0);
    await stack.startWorker();
    await eventually(
      async () => {
        const rows = await stack.orm.em.getConnection().execute("select count(*)::int as n from webhook_deliveries where tenant_id = ? and status = 'delivered'", [t.tenantId]);
        return rows[0].n === EVENTS * paths.length ? true : undefined;
      },
      { timeoutMs: 90_000, what: 'every delivery delivered' },
    );
    for (const p of paths) {
      const got = rx.at(p);
      expect(new Set(got.map((r) => r.headers['webhook-id']))).toEqual(new Set(ids));
      for (const r of got) expect(r.headers['webhook-id']).toBe(JSON.parse(r.body).id);
    }
  }, 150_000);
});
