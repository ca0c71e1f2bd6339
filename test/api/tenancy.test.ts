import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aContact, aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { tenantEm } from '../../lib/db.ts';
import { ContactSchema } from '../../entities/Contact.ts';

let stack: TestStack;
let a: TestTenant;
let b: TestTenant;
beforeAll(async () => {
  stack = await startStack({ env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', RATE_LIMIT_PER_MINUTE: '1000' } });
  a = await aTenant(stack.http);
  b = await aTenant(stack.http);
});
afterAll(() => stack.close());

describe('tenant isolation', () => {
  it("gives tenant B a 404 for every one of tenant A's contacts, and changes nothing", async () => {
    const contact = await aContact(stack.http, a.token, { name: 'Private Person' });
    const path = `/api/v1/contacts/${contact.id}`;
    for (const res of [
      await stack.http.get(path, { token: b.token }),
      await stack.http.put(path, { token: b.token, body: { name: 'Hijacked' } }),
      await stack.http.patch(path, { token: b.token, body: { name: 'Hijacked' } }),
      await stack.http.delete(path, { token: b.token }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    const list = await stack.http.get('/api/v1/contacts?search=Private', { token: b.token });
    expect(list.body.data).toEqual([]);
    // B has a Private Person of its own: the search finds exactly that one, so an empty
    // answer above is isolation, not an empty tenant.
    const own = await aContact(stack.http, b.token, { name: 'Private Person' });
    const listOwn = await stack.http.get('/api/v1/contacts?search=Private', { token: b.token });
    expect(listOwn.body.data.map((c: { id: string }) => c.id)).toEqual([own.id]);
    const stillThere = await stack.http.get(path, { token: a.token });
    expect(stillThere.body.data.name).toBe('Private Person');
  });

  it("gives tenant B a 404 for tenant A's runs and does not list them", async () => {
    const workflowId = a.onboardingWorkflowId!;
    await eventually(async () => ((await stack.http.get(`/api/v1/runs/${workflowId}`, { token: a.token })).body.data?.status === 'completed' ? true : undefined), {
      what: 'onboarding to complete',
    });
    expect((await stack.http.get(`/api/v1/runs/${workflowId}`, { token: b.token })).status).toBe(404);
    expect((await stack.http.post(`/api/v1/runs/${workflowId}/cancel`, { token: b.token })).status).toBe(404);
    const listB = await stack.http.get('/api/v1/runs', { token: b.token });
    expect(listB.body.data.map((r: { workflow_id: string }) => r.workflow_id)).not.toContain(workflowId);
    expect(listB.body.data.every((r: { entity: { id: string } }) => r.entity.id !== a.tenantId)).toBe(true);
  });

  it('lists for each tenant exactly its own rows, on every list route', async () => {
    const make = async (t: TestTenant, tag: string) => ({
      contact: (await aContact(stack.http, t.token, { name: `Own ${tag}` })).id,
      lead: (await stack.http.post('/api/v1/crm/leads', { token: t.token, body: { title: `Lead ${tag}`, source: 'website', contact: { name: `Lead person ${tag}`, email: `lead-${tag}-${Date.now()}@example.com` } } })).body.data.id as string,
      message: (await stack.http.post('/api/v1/inbox/messages', { token: t.token, body: { channel: 'email', content: `Hello from ${tag}`, customer_email: `m-${tag}@example.com` } })).body.data.id as string,
      webhook: (await stack.http.post('/api/v1/webhooks', { token: t.token, body: { url: `https://hooks.example.com/${tag}`, events: ['*'] } })).body.data.id as string,
      reminder: (await stack.http.post('/api/v1/reminders', { token: t.token, body: { to: '+14155550100', message: `Reminder ${tag}`, send_at: new Date(Date.now() + 86_400_000).toISOString() } })).body.data.id as string,
      event: (await stack.http.post('/api/v1/calendar/events', { token: t.token, body: { title: `Event ${tag}`, start_time: '2031-01-01T10:00:00Z' } })).body.data.id as string,
      outbound: (await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: '+14155550100', message: `Text ${tag}` } })).body.data.sid as string,
    });
    const mineA = await make(a, 'a');
    const mineB = await make(b, 'b');
    const ids = async (t: TestTenant, path: string) => ((await stack.http.get(`${path}?per_page=100`, { token: t.token })).body.data as Array<{ id: string }>).map((r) => r.id);
    for (const [path, key] of [
      ['/api/v1/contacts', 'contact'],
      ['/api/v1/crm/leads', 'lead'],
      ['/api/v1/inbox/messages', 'message'],
      ['/api/v1/webhooks', 'webhook'],
      ['/api/v1/reminders', 'reminder'],
      ['/api/v1/sms/outbox', 'outbound'],
      ['/api/v1/calendar/events', 'event'],
    ] as const) {
      const [seenA, seenB] = [await ids(a, path), await ids(b, path)];
      expect({ path, a: seenA.includes(mineA[key]), b: seenB.includes(mineB[key]) }).toEqual({ path, a: true, b: true });
      expect({ path, leak: seenB.filter((id) => seenA.includes(id)) }).toEqual({ path, leak: [] });
    }
    const users = async (t: TestTenant) => ((await stack.http.get('/api/v1/users', { token: t.token })).body.data as Array<{ id: string }>).map((u) => u.id);
    expect(await users(a)).toEqual([a.userId]);
    expect(await users(b)).toEqual([b.userId]);
  });

  it('refuses an ORM query that forgets its tenant', async () => {
    await expect(stack.orm.em.fork().find(ContactSchema, {})).rejects.toThrow();
    const em = tenantEm(stack.orm, b.tenantId);
    const seen = await em.find(ContactSchema, {});
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((c) => c.tenant.id === b.tenantId)).toBe(true);
  });
});
