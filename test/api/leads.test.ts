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

  it("keeps one timeline per lead: seed 000's notes, seed 004's activities and its own stage changes, newest first", async () => {
    const c = await aContact(stack.http, t.token);
    const lead = (await stack.http.post('/api/v1/crm/leads', { token: t.token, body: { contact_id: c.id } })).body.data;
    const path = `/api/v1/crm/leads/${lead.id}`;
    const note = await stack.http.post(`${path}/notes`, { token: t.token, body: { content: 'Had a great call with the prospect. They are very interested in our Pro plan.', type: 'call' } });
    expect(note.status).toBe(201);
    expect(note.body.data).toMatchObject({ lead_id: lead.id, type: 'call', created_by: t.userId, content: expect.stringContaining('Pro plan') });
    const activity = await stack.http.post(`${path}/activities`, {
      token: t.token,
      body: { activity_type: 'email_sent', description: 'Sent product demo invitation', metadata: { email_subject: 'Demo of our AI solution', campaign_id: 'campaign_123' } },
    });
    expect(activity.status).toBe(201);
    expect(activity.body.data).toMatchObject({ activity_type: 'email_sent', metadata: { campaign_id: 'campaign_123' } });
    expect((await stack.http.put(path, { token: t.token, body: { status: 'qualified' } })).status).toBe(200);

    const notes = (await stack.http.get(`${path}/notes`, { token: t.token })).body;
    expect(notes.data.map((n: { id: string }) => n.id)).toEqual([note.body.data.id]);
    const timeline = (await stack.http.get(`${path}/activities`, { token: t.token })).body;
    expect(timeline.data.map((a: { activity_type: string }) => a.activity_type)).toEqual(['status_changed', 'email_sent', 'note']);
    expect(timeline.data[0]).toMatchObject({ metadata: { from: 'new', to: 'qualified' }, created_by: t.userId });
    expect(timeline.pagination.total).toBe(3);
  });

  it('refuses a bad note or activity with a 422 and keeps the timeline as it was; another tenant gets a 404', async () => {
    const c = await aContact(stack.http, t.token);
    const lead = (await stack.http.post('/api/v1/crm/leads', { token: t.token, body: { contact_id: c.id } })).body.data;
    const path = `/api/v1/crm/leads/${lead.id}`;
    for (const [sub, body] of [
      ['notes', { content: 'x', type: 'fax' }],
      ['notes', { content: '   ' }],
      ['activities', { activity_type: 'Email Sent', description: 'x' }],
      ['activities', { activity_type: 'email_sent', description: 'x', metadata: { big: 'y'.repeat(20_000) } }],
    ] as const) {
      const res = await stack.http.post(`${path}/${sub}`, { token: t.token, body });
      expect(res.status).toBe(422);
    }
    expect((await stack.http.get(`${path}/activities`, { token: t.token })).body.data).toEqual([]);
    const other = await aTenant(stack.http);
    for (const res of [
      await stack.http.post(`${path}/notes`, { token: other.token, body: { content: 'mine now' } }),
      await stack.http.get(`${path}/notes`, { token: other.token }),
      await stack.http.post(`${path}/activities`, { token: other.token, body: { activity_type: 'call', description: 'x' } }),
      await stack.http.get(`${path}/activities`, { token: other.token }),
    ]) {
      expect(res.status).toBe(404);
    }
    expect((await stack.http.get(`${path}/activities`, { token: t.token })).body.data).toEqual([]);
  });

  it('manages pipelines with ordered stages: a new lead starts on the first, a stage with leads cannot go, one default at a time', async () => {
    const api = '/api/v1/crm/pipelines';
    const made = await stack.http.post(api, { token: t.token, body: { name: 'Enterprise', stages: [{ name: 'Discovery', probability: 10 }, { name: 'Demo booked', probability: 40 }, { id: 'won', name: 'Won', probability: 100 }] } });
    expect(made.status).toBe(201);
    expect(made.body.data.stages.map((s: { id: string; order: number }) => [s.id, s.order])).toEqual([['discovery', 0], ['demo_booked', 1], ['won', 2]]);
    const id = made.body.data.id;
    expect((await stack.http.post(api, { token: t.token, body: { name: 'Enterprise', stages: [{ name: 'X', probability: 1 }] } })).status).toBe(409);

    const c = await aContact(stack.http, t.token);
    const lead = (await stack.http.post('/api/v1/crm/leads', { token: t.token, body: { contact_id: c.id, pipeline_id: id } })).body.data;
    expect(lead.stage_id).toBe('discovery');
    const wrongStage = await stack.http.post('/api/v1/crm/leads', { token: t.token, body: { contact_id: c.id, pipeline_id: id, stage_id: 'qualified' } });
    expect(wrongStage.status).toBe(422);

    // Dropping the stage the lead is on is refused; reordering and renaming are not.
    const drop = await stack.http.put(`${api}/${id}`, { token: t.token, body: { stages: [{ name: 'Demo booked', probability: 40 }, { id: 'won', name: 'Won', probability: 100 }] } });
    expect(drop.status).toBe(409);
    const reorder = await stack.http.put(`${api}/${id}`, { token: t.token, body: { name: 'Enterprise deals', stages: [{ name: 'Demo booked', probability: 50 }, { name: 'Discovery', probability: 10 }, { id: 'won', name: 'Won', probability: 100 }] } });
    expect(reorder.status).toBe(200);
    expect(reorder.body.data.stages.map((s: { id: string }) => s.id)).toEqual(['demo_booked', 'discovery', 'won']);

    const before = (await stack.http.get(api, { token: t.token })).body.data.find((p: { is_default: boolean }) => p.is_default);
    expect((await stack.http.put(`${api}/${id}`, { token: t.token, body: { is_default: true } })).body.data.is_default).toBe(true);
    const defaults = (await stack.http.get(api, { token: t.token })).body.data.filter((p: { is_default: boolean }) => p.is_default);
    expect(defaults.map((p: { id: string }) => p.id)).toEqual([id]);
    expect((await stack.http.delete(`${api}/${id}`, { token: t.token })).status).toBe(409); // the default, with a lead
    expect((await stack.http.put(`${api}/${before.id}`, { token: t.token, body: { is_default: true } })).status).toBe(200);
    expect((await stack.http.delete(`${api}/${id}`, { token: t.token })).status).toBe(409); // still has a lead
    await stack.http.delete(`/api/v1/crm/leads/${lead.id}`, { token: t.token });
    expect((await stack.http.delete(`${api}/${id}`, { token: t.token })).status).toBe(204);
    expect((await stack.http.get(`${api}/${id}`, { token: t.token })).status).toBe(404);
  });

  it("refuses stages that make no sense with a 422, and gives another tenant's pipeline a 404", async () => {
    const api = '/api/v1/crm/pipelines';
    for (const stages of [[], [{ name: 'Won', probability: 100 }, { name: 'won', probability: 90 }], [{ name: 'A', probability: 101 }], [{ id: 'Bad Id', name: 'A', probability: 1 }]]) {
      expect((await stack.http.post(api, { token: t.token, body: { name: `Bad ${JSON.stringify(stages).length}`, stages } })).status).toBe(422);
    }
    const mine = (await stack.http.post(api, { token: t.token, body: { name: 'Mine only', stages: [{ name: 'Open', probability: 5 }] } })).body.data;
    const other = await aTenant(stack.http);
    for (const res of [
      await stack.http.get(`${api}/${mine.id}`, { token: other.token }),
      await stack.http.put(`${api}/${mine.id}`, { token: other.token, body: { name: 'Taken' } }),
      await stack.http.delete(`${api}/${mine.id}`, { token: other.token }),
    ]) {
      expect(res.status).toBe(404);
    }
    const theirs = await stack.http.post('/api/v1/crm/leads', { token: other.token, body: { contact: { name: 'X', email: 'x@example.com' }, pipeline_id: mine.id } });
    expect(theirs.status).toBe(422);
    expect((await stack.http.get(`${api}/${mine.id}`, { token: t.token })).body.data.name).toBe('Mine only');
  });
});
