import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aContact, aTenant, eventually, type TestTenant } from '../support/factories.ts';

let stack: TestStack;
let t: TestTenant;
beforeAll(async () => {
  stack = await startStack({ env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', RATE_LIMIT_PER_MINUTE: '1000' } });
  t = await aTenant(stack.http);
  // Leads land in the default pipeline that onboarding creates.
  await eventually(async () => ((await stack.http.get('/api/v1/crm/pipelines', { token: t.token })).body.data?.length ? true : undefined), { what: 'onboarding' });
});
afterAll(() => stack.close());

describe('leads', () => {
  it('creates a lead with a nested contact, reusing a contact with the same email', async () => {
    const existing = await aContact(stack.http, t.token, { name: 'Ada', email: 'ada@engines.example' });
    const res = await stack.http.post('/api/v1/crm/leads', {
      token: t.token,
      body: { contact: { name: 'Ada L.', email: 'ADA@engines.example', company: 'Engines' }, source: 'website', value: 5000 },
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ source: 'website', status: 'new', value: 5000, stage_id: 'new', contact: { id: existing.id, email: 'ada@engines.example' } });
    expect(res.body.data.pipeline_id).toBeTruthy();
  });

  it('filters, updates and refuses an unknown stage', async () => {
    const made = await stack.http.post('/api/v1/crm/leads', { token: t.token, body: { contact: { name: 'Bob', phone: '+44 20 7946 0000' }, source: 'referral' } });
    const id = made.body.data.id;
    const moved = await stack.http.put(`/api/v1/crm/leads/${id}`, { token: t.token, body: { stage_id: 'qualified', status: 'qualified', score: 80 } });
    expect(moved.body.data).toMatchObject({ stage_id: 'qualified', status: 'qualified', score: 80 });
    const bad = await stack.http.put(`/api/v1/crm/leads/${id}`, { token: t.token, body: { stage_id: 'on-the-moon' } });
    expect(bad.status).toBe(422);
    const list = await stack.http.get('/api/v1/crm/leads?source=referral&min_score=50', { token: t.token });
    expect(list.body.data.map((l: { id: string }) => l.id)).toEqual([id]);
    const none = await stack.http.get('/api/v1/crm/leads?min_score=90', { token: t.token });
    expect(none.body.data).toEqual([]);
  });

  it('refuses to delete a contact that still has leads, keeping both', async () => {
    const c = await aContact(stack.http, t.token);
    await stack.http.post('/api/v1/crm/leads', { token: t.token, body: { contact_id: c.id } });
    const res = await stack.http.delete(`/api/v1/contacts/${c.id}`, { token: t.token });
    expect(res.status).toBe(409);
    expect((await stack.http.get(`/api/v1/contacts/${c.id}`, { token: t.token })).status).toBe(200);
  });

  it('keeps money to the cent with its currency, up to the largest amount stored, and refuses what it cannot store with a 422', async () => {
    const c = await aContact(stack.http, t.token);
    const stored = async (id: string) => (await stack.orm.em.getConnection().execute('select value::text as value, currency from lead where id = ?', [id]))[0];
    const made = await stack.http.post('/api/v1/crm/leads', { token: t.token, body: { contact_id: c.id, value: 1234.56, currency: 'eur' } });
    expect(made.status).toBe(201);
    expect(made.body.data).toMatchObject({ value: 1234.56, currency: 'EUR' });
    const id = made.body.data.id;
    expect(await stored(id)).toEqual({ value: '1234.56', currency: 'EUR' });
    expect((await stack.http.get(`/api/v1/crm/leads/${id}`, { token: t.token })).body.data).toMatchObject({ value: 1234.56, currency: 'EUR' });

    for (const value of [5e10, 999_999_999_999.99, 0.1 + 0.2]) {
      const res = await stack.http.put(`/api/v1/crm/leads/${id}`, { token: t.token, body: { value } });
      expect(res.status).toBe(200);
      expect(res.body.data.value).toBe(Number(value.toFixed(2)));
    }
    const before = await stored(id);
    for (const [body, field] of [
      [{ value: 1e12 }, 'body.value'],
      [{ value: 12.345 }, 'body.value'],
      [{ value: -1 }, 'body.value'],
      [{ currency: 'XYZ' }, 'body.currency'],
      [{ currency: 'dollars' }, 'body.currency'],
    ] as const) {
      const res = await stack.http.put(`/api/v1/crm/leads/${id}`, { token: t.token, body });
      expect(res.status).toBe(422);
      expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    expect(await stored(id)).toEqual(before);
    const dollars = await stack.http.post('/api/v1/crm/leads', { token: t.token, body: { contact_id: c.id, value: 10 } });
    expect(dollars.body.data.currency).toBe('USD');
  });
});
