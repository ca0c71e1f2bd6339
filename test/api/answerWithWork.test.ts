import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { anotherApi, startStack, type TestStack } from '../support/app.ts';
import { aContact, aTenant, type TestTenant } from '../support/factories.ts';
import { automationScheduleId } from '../../lib/automationSchedules.ts';
import { afterCommit, route, type RouteDef } from '../../api/routing.ts';
import { ContactSchema } from '../../entities/Contact.ts';
import { createLogger } from '../../lib/logger.ts';
import type { HttpClient } from '../support/http.ts';

/**
 * Creating routes whose whole effect is their writes store their Idempotency-Key answer in
 * the transaction of the work (api/routing.ts `answerWithWork`). The moment between the
 * work and its answer is where an API that dies leaves work without an answer; here the
 * database refuses the answer at that moment instead (a trigger), and the client retries.
 */
let stack: TestStack;
let t: TestTenant;
let leadId: string;
let leadContactId: string;
const api = '/api/v1';
/** A claim left this long without an answer may be taken over by a retry (shorter than the 30 s default, for the takeover test). */
const ABANDONED_AFTER_MS = 1_500;
/** How long the takeover test's first try stalls: past the takeover and the retry's own work. */
const STALL_MS = 4_000;

const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => stack.orm.em.getConnection().execute<T[]>(text, params);
const count = async (table: string, where = 'true', params: unknown[] = []) => Number((await sql<{ n: string }>(`select count(*) as n from ${table} where tenant_id = ? and ${where}`, [t.tenantId, ...params]))[0].n);

beforeAll(async () => {
  stack = await startStack({
    worker: false,
    env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', RATE_LIMIT_PER_MINUTE: '100000', OUTBOUND_ALLOWED_HOSTS: '127.0.0.1', IDEMPOTENCY_ABANDONED_AFTER_MS: String(ABANDONED_AFTER_MS) },
  });
  t = await aTenant(stack.http);
  const contact = await aContact(stack.http, t.token, { name: 'Lead Holder' });
  leadContactId = contact.id;
  leadId = (await stack.http.post(`${api}/crm/leads`, { token: t.token, body: { contact_id: contact.id, source: 'website' } })).body.data.id;
  // Keys listed here cannot have an answer stored: the moment an API dies between its work and its answer.
  await sql(`create table unanswerable_keys (key text primary key)`);
  await sql(`create function refuse_answer() returns trigger language plpgsql as $$
    begin
      if new.response_status is not null and exists (select 1 from unanswerable_keys where key = new.key) then
        raise exception 'no answer stored for %', new.key;
      end if;
      return new;
    end $$`);
  await sql(`create trigger refuse_answer before update on idempotency_key for each row execute function refuse_answer()`);
});
afterAll(() => stack.close());

interface Case {
  name: string;
  path: () => string;
  body: (tag: string) => Record<string, unknown>;
  /** How many records of this tag the tenant has. */
  made: (tag: string) => Promise<number>;
}

const cases: Case[] = [
  { name: 'a contact', path: () => '/contacts', body: (tag) => ({ name: tag }), made: (tag) => count('contact', 'name = ?', [tag]) },
  {
    name: 'a lead',
    path: () => '/crm/leads',
    body: (tag) => ({ contact: { name: tag, email: `${tag}@example.com` }, source: 'website', title: tag }),
    made: (tag) => count('lead', 'title = ?', [tag]),
  },
  { name: 'a note', path: () => `/crm/leads/${leadId}/notes`, body: (tag) => ({ content: tag }), made: (tag) => count('lead_activities', 'description = ?', [tag]) },
  { name: 'an activity', path: () => `/crm/leads/${leadId}/activities`, body: (tag) => ({ activity_type: 'call', description: tag }), made: (tag) => count('lead_activities', 'description = ?', [tag]) },
  { name: 'a pipeline', path: () => '/crm/pipelines', body: (tag) => ({ name: tag, stages: [{ name: 'New', probability: 10 }] }), made: (tag) => count('pipeline', 'name = ?', [tag]) },
  { name: 'a company', path: () => '/crm/companies', body: (tag) => ({ name: tag }), made: (tag) => count('companies', 'name = ?', [tag]) },
  { name: 'a user', path: () => '/users', body: (tag) => ({ email: `${tag}@example.com`, password: 'long enough password' }), made: (tag) => count('users', 'email = ?', [`${tag}@example.com`]) },
  {
    name: 'an automation on a cron',
    path: () => '/automations',
    body: (tag) => ({ name: tag, trigger_type: 'time_based', trigger_config: { cron: '0 9 29 2 *', timezone: 'Europe/Paris' }, actions: [{ type: 'add_tag', contact_id: leadContactId, tag }] }),
    made: (tag) => count('automations', 'name = ?', [tag]),
  },
  {
    name: 'an integration',
    path: () => '/integrations',
    body: (tag) => ({ type: 'hubspot', name: tag, config: { access_token: 'pat-na1-not-a-real-token' }, sync_interval_minutes: 0 }),
    made: (tag) => count('integrations', 'name = ?', [tag]),
  },
  { name: 'a test event', path: () => '/webhooks/trigger', body: (tag) => ({ event: 'contact.created', data: { tag } }), made: (tag) => count('events', `payload->>'tag' = ?`, [tag]) },
];

describe('a create answered in the transaction of its work', () => {
  it.each(cases)('makes $name once when its answer could not be stored after its work and the client retried', async ({ path, body, made }) => {
    const tag = `retried-${randomUUID().slice(0, 8)}`;
    const key = `unanswerable-${tag}`;
    await sql(`insert into unanswerable_keys (key) values (?)`, [key]);
    const post = () => stack.http.post(`${api}${path()}`, { token: t.token, headers: { 'Idempotency-Key': key }, body: body(tag) });
    const first = await post();
    expect(first.status).toBe(500);
    expect(first.body.error.code).toBe('INTERNAL_ERROR');
    // Work without its answer would be here now, and the retry would make a second.
    expect(await made(tag)).toBe(0);
    await sql(`delete from unanswerable_keys where key = ?`, [key]);
    const again = await post();
    expect(again.status).toBeLessThan(300);
    expect(await made(tag)).toBe(1);
    const replayed = await post();
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body).toEqual(again.body);
    expect(await made(tag)).toBe(1);
  });

  it('rotates a webhook secret once, the secret it answers the one that signs, when its answer could not be stored and the client retried', async () => {
    const endpoint = (await stack.http.post(`${api}/webhooks`, { token: t.token, body: { url: 'http://127.0.0.1:9/rotated', events: ['*'] } })).body.data as { id: string };
    const sealed = async () => (await sql<{ secret: string; previous: string | null }>(`select secret_sealed as secret, previous_secret_sealed as previous from webhook_endpoints where id = ?`, [endpoint.id]))[0];
    const original = await sealed();
    const key = `unanswerable-rotate-${randomUUID().slice(0, 8)}`;
    await sql(`insert into unanswerable_keys (key) values (?)`, [key]);
    const rotate = () => stack.http.post(`${api}/webhooks/${endpoint.id}/rotate-secret`, { token: t.token, headers: { 'Idempotency-Key': key } });
    expect((await rotate()).status).toBe(500);
    // A rotation whose answer is lost would sign with a secret nobody was shown, and its retry rotate again.
    expect(await sealed()).toEqual(original);
    await sql(`delete from unanswerable_keys where key = ?`, [key]);
    const again = await rotate();
    expect(again.status).toBe(200);
    const replayed = await rotate();
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body.data.secret).toBe(again.body.data.secret);
    expect((await sealed()).previous).toBe(original.secret);
  });

  it("makes an automation's Schedule once its commit is done, not before", async () => {
    const tag = `scheduled-${randomUUID().slice(0, 8)}`;
    const res = await stack.http.post(`${api}/automations`, {
      token: t.token,
      headers: { 'Idempotency-Key': `schedule-${tag}` },
      body: cases.find((c) => c.path() === '/automations')?.body(tag),
    });
    expect(res.status).toBe(201);
    const schedule = await stack.temporal.schedule.getHandle(automationScheduleId(res.body.data.id)).describe();
    expect(schedule.spec.calendars?.length).toBe(1);
    expect((await sql<{ pending: boolean }>(`select schedule_pending as pending from automations where id = ?`, [res.body.data.id]))[0].pending).toBe(false);
  });

  it('makes no Schedule for an automation whose answer could not be stored', async () => {
    const tag = `unscheduled-${randomUUID().slice(0, 8)}`;
    const key = `unanswerable-${tag}`;
    await sql(`insert into unanswerable_keys (key) values (?)`, [key]);
    const automation = cases.find((c) => c.path() === '/automations')!;
    const refused = await stack.http.post(`${api}/automations`, { token: t.token, headers: { 'Idempotency-Key': key }, body: automation.body(tag) });
    expect(refused.status).toBe(500);
    // A Schedule made before the commit would outlive the row rolled back under it. Made after
    // it, a later automation's Schedule is listed once it is visible, and no other beside those committed.
    const later = await stack.http.post(`${api}/automations`, { token: t.token, headers: { 'Idempotency-Key': `later-${tag}` }, body: automation.body(`later-${tag}`) });
    expect(later.status).toBe(201);
    const scheduled = async () => {
      const ids: string[] = [];
      for await (const s of stack.temporal.schedule.list({ query: `TenantId = '${t.tenantId}'` })) ids.push(s.scheduleId);
      return ids;
    };
    let ids = await scheduled();
    for (let i = 0; i < 100 && !ids.includes(automationScheduleId(later.body.data.id)); i++) {
      await new Promise((r) => setTimeout(r, 100));
      ids = await scheduled();
    }
    expect(ids).toContain(automationScheduleId(later.body.data.id));
    const rows = await sql<{ id: string }>(`select id from automations where tenant_id = ?`, [t.tenantId]);
    expect(ids.filter((id) => !rows.some((row) => automationScheduleId(row.id) === id))).toEqual([]);
  });

  /** Serves `defs` (routes made for a test) beside the stack's API, logging its warnings into `logged`. */
  async function withRoutes(defs: RouteDef[], use: (http: HttpClient, logged: string[]) => Promise<void>): Promise<void> {
    const logged: string[] = [];
    const api2 = await anotherApi(stack, { defs, log: createLogger('warn', 'api-test-routes', { destination: { write: (line: string) => void logged.push(line) } }) });
    try {
      await use(api2.http, logged);
    } finally {
      await api2.close();
    }
  }

  it('releases the key of a create that answered with no body, so a retry is not told it is still running', async () => {
    // No route answers a key with an empty body today; one that did must not leave its key claimed.
    const silent = route({
      method: 'post',
      path: '/test-silent-contacts',
      summary: 'A create that answers 204',
      tag: 'Test',
      answerWithWork: true,
      handler: async (ctx, { caller }) => {
        ctx.state.em.create(ContactSchema, { tenant: caller.tenantId, name: `silent-${randomUUID().slice(0, 8)}` });
        await ctx.state.em.flush();
        ctx.status = 204;
        return undefined;
      },
    });
    await withRoutes([silent], async (http) => {
      const key = `silent-${randomUUID()}`;
      const send = () => http.post(`${api}/test-silent-contacts`, { token: t.token, headers: { 'Idempotency-Key': key } });
      expect((await send()).status).toBe(204);
      expect((await sql<{ n: string }>(`select count(*) as n from idempotency_key where key = ?`, [key]))[0].n).toBe('0');
      // Nothing was kept to replay, so the retry does the work again, as for any answer without a body.
      expect((await send()).status).toBe(204);
    });
  });

  it('answers a create whose effect after the commit failed, and keeps its answer for the retry', async () => {
    const tag = `effect-failed-${randomUUID().slice(0, 8)}`;
    const failing = route({
      method: 'post',
      path: '/test-effect-contacts',
      summary: 'A create whose after-commit effect fails',
      tag: 'Test',
      status: 201,
      answerWithWork: true,
      handler: async (ctx, { caller }) => {
        const contact = ctx.state.em.create(ContactSchema, { tenant: caller.tenantId, name: tag });
        await ctx.state.em.flush();
        // As a Schedule service that is down would: the row's pending flag has the relay do it later.
        await afterCommit(ctx, () => Promise.reject(new Error('the Schedule service is down')));
        return { data: { id: contact.id } };
      },
    });
    await withRoutes([failing], async (http, logged) => {
      const key = `effect-${tag}`;
      const send = () => http.post(`${api}/test-effect-contacts`, { token: t.token, headers: { 'Idempotency-Key': key } });
      const first = await send();
      expect(first.status).toBe(201);
      expect(await count('contact', 'name = ?', [tag])).toBe(1);
      expect(logged.some((line) => line.includes('an effect after the commit failed') && line.includes('the Schedule service is down'))).toBe(true);
      const replayed = await send();
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
      expect(replayed.body).toEqual(first.body);
      expect(await count('contact', 'name = ?', [tag])).toBe(1);
    });
  });

  it('undoes a try whose Idempotency-Key a retry took over while it ran, so only the retry makes the record', async () => {
    const tag = `taken-over-${randomUUID().slice(0, 8)}`;
    const key = `takeover-${tag}`;
    const fn = tag.replace(/-/g, '_');
    // The first try's contact insert stalls (a sequence is not rolled back, so only the first
    // insert sleeps) past IDEMPOTENCY_ABANDONED_AFTER_MS, as a request of a stalled API would.
    await sql(`create sequence ${fn}_inserts`);
    await sql(`create function ${fn}() returns trigger language plpgsql as $$
      begin
        if new.name = '${tag}' and nextval('${fn}_inserts') = 1 then perform pg_sleep(${STALL_MS / 1000}); end if;
        return new;
      end $$`);
    await sql(`create trigger ${fn} before insert on contact for each row execute function ${fn}()`);
    const post = () => stack.http.post(`${api}/contacts`, { token: t.token, headers: { 'Idempotency-Key': key }, body: { name: tag } });
    const first = post();
    await new Promise((r) => setTimeout(r, ABANDONED_AFTER_MS + 300));
    // The client gave up on the first try and retried: the claim is old enough to take over.
    const retry = await post();
    expect(retry.status).toBe(201);
    const stalled = await first;
    expect(stalled.status).toBe(409);
    expect(stalled.body.error.message).toMatch(/took over/);
    expect(await count('contact', 'name = ?', [tag])).toBe(1);
    const replayed = await post();
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body.data.id).toBe(retry.body.data.id);
  });

  it("keeps tenants apart in the transaction too: another tenant's contact or lead is not found", async () => {
    const other = await aTenant(stack.http);
    const theirs = await aContact(stack.http, other.token, { name: 'Their Contact' });
    const theirLead = (await stack.http.post(`${api}/crm/leads`, { token: other.token, body: { contact_id: theirs.id, source: 'website' } })).body.data.id as string;
    const headers = () => ({ 'Idempotency-Key': `tenants-${randomUUID()}` });
    const lead = await stack.http.post(`${api}/crm/leads`, { token: t.token, headers: headers(), body: { contact_id: theirs.id, source: 'website' } });
    expect(lead.status).toBe(422);
    expect(lead.body.error.details.fields).toEqual([{ field: 'body.contact_id', message: 'no such contact' }]);
    const note = await stack.http.post(`${api}/crm/leads/${theirLead}/notes`, { token: t.token, headers: headers(), body: { content: 'not mine' } });
    expect(note.status).toBe(404);
    expect(await count('lead_activities', 'description = ?', ['not mine'])).toBe(0);
  });

  it('keeps a create without an Idempotency-Key as it was: made and answered', async () => {
    const tag = `plain-${randomUUID().slice(0, 8)}`;
    const res = await stack.http.post(`${api}/contacts`, { token: t.token, body: { name: tag } });
    expect(res.status).toBe(201);
    expect(await count('contact', 'name = ?', [tag])).toBe(1);
  });
});
