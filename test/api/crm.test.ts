import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aContact, aTenant, eventually, type TestTenant } from '../support/factories.ts';

let stack: TestStack;
let t: TestTenant;
let other: TestTenant;
beforeAll(async () => {
  stack = await startStack({ env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', RATE_LIMIT_PER_MINUTE: '1000' } });
  [t, other] = [await aTenant(stack.http), await aTenant(stack.http)];
  await eventually(async () => ((await stack.http.get('/api/v1/crm/pipelines', { token: t.token })).body.data?.length ? true : undefined), { what: 'onboarding' });
});
afterAll(() => stack.close());

const eventsOf = async (type: string, entityId: string) =>
  (await stack.orm.em.getConnection().execute<Array<{ payload: Record<string, unknown> }>>('select payload from events where type = ? and entity_id = ? order by created_at', [type, entityId])).map((e) => e.payload);

describe('lead scoring', () => {
  it('scores a lead on create, explains it, and rescores when an activity or the status moves it', async () => {
    const made = await stack.http.post('/api/v1/crm/leads', {
      token: t.token,
      body: { contact: { name: 'Vera Vp', email: 'vera@bigco.example', phone: '+14155550101', company: 'BigCo', job_title: 'VP of Sales' }, source: 'referral', value: 60000 },
    });
    expect(made.status).toBe(201);
    const id = made.body.data.id;
    const first = made.body.data.score as number;
    expect(first).toBeGreaterThan(40);

    const stored = await stack.http.get(`/api/v1/crm/leads/${id}/score`, { token: t.token });
    expect(stored.status).toBe(200);
    expect(stored.body.data.score).toBe(first);
    expect(stored.body.data.factors.positive_factors).toEqual(expect.arrayContaining(['Business email address', 'Has company information', 'Senior title/decision maker (VP of Sales)', 'Came from referral']));
    expect(stored.body.data.breakdown.find((f: { reason: string }) => f.reason === 'Came from referral')).toEqual({ dimension: 'behavioral', reason: 'Came from referral', impact: 0.3, source: 'rules' });

    await stack.http.post(`/api/v1/crm/leads/${id}/activities`, { token: t.token, body: { activity_type: 'demo_requested', description: 'Asked for a demo' } });
    const afterDemo = (await stack.http.get(`/api/v1/crm/leads/${id}`, { token: t.token })).body.data.score as number;
    expect(afterDemo).toBeGreaterThan(first);

    await stack.http.put(`/api/v1/crm/leads/${id}`, { token: t.token, body: { status: 'lost' } });
    const scored = await stack.http.post(`/api/v1/crm/leads/${id}/score`, { token: t.token });
    expect(scored.status).toBe(200);
    expect(scored.body.data).toMatchObject({ overall_score: 0, conversion_probability: 0, score: 0 });
    expect(scored.body.data.factors.negative_factors).toContain('Lead was lost');

    const changes = await eventsOf('lead.score_changed', id);
    expect(changes.map((c) => [c.previous_score, c.score])).toEqual([[null, first], [first, afterDemo], [afterDemo, 0]]);
    expect((await eventsOf('lead.updated', id))[0]).toMatchObject({ changed: ['status'] });
    const list = await stack.http.get(`/api/v1/crm/leads?min_score=${afterDemo}`, { token: t.token });
    expect(list.body.data.map((l: { id: string }) => l.id)).not.toContain(id);
  });

  it("is a 404 for another tenant's lead, and for a lead never scored", async () => {
    const made = await stack.http.post('/api/v1/crm/leads', { token: t.token, body: { contact: { name: 'Quiet', email: 'quiet@example.com' } } });
    expect((await stack.http.post(`/api/v1/crm/leads/${made.body.data.id}/score`, { token: other.token })).status).toBe(404);
    expect((await stack.http.get(`/api/v1/crm/leads/${made.body.data.id}/score`, { token: other.token })).status).toBe(404);
    await stack.orm.em.getConnection().execute('update lead set score_details = null where id = ?', [made.body.data.id]);
    expect((await stack.http.get(`/api/v1/crm/leads/${made.body.data.id}/score`, { token: t.token })).body.error.code).toBe('NOT_FOUND');
  });
});

describe('companies', () => {
  it('creates, finds, updates and deletes a company; names and domains are unique per tenant', async () => {
    const made = await stack.http.post('/api/v1/crm/companies', {
      token: t.token,
      body: { name: 'Globex', domain: 'https://www.Globex.example/about', industry: 'manufacturing', size: '201-500', address: { city: 'Springfield', country: 'US' } },
    });
    expect(made.status).toBe(201);
    expect(made.body.data).toMatchObject({ name: 'Globex', domain: 'globex.example', industry: 'manufacturing', contacts_count: 0, leads_count: 0 });
    const id = made.body.data.id;
    expect((await stack.http.post('/api/v1/crm/companies', { token: t.token, body: { name: 'GLOBEX' } })).body.error.code).toBe('DUPLICATE');
    expect((await stack.http.post('/api/v1/crm/companies', { token: t.token, body: { name: 'Other', domain: 'globex.example' } })).status).toBe(409);
    // Another tenant may have its own Globex.
    expect((await stack.http.post('/api/v1/crm/companies', { token: other.token, body: { name: 'Globex' } })).status).toBe(201);
    expect((await stack.http.post('/api/v1/crm/companies', { token: t.token, body: { name: 'Bad', domain: 'not a domain' } })).status).toBe(422);

    const search = await stack.http.get('/api/v1/crm/companies?search=lobe', { token: t.token });
    expect(search.body.data.map((c: { id: string }) => c.id)).toEqual([id]);
    expect((await stack.http.get('/api/v1/crm/companies?industry=Manufacturing', { token: t.token })).body.data.map((c: { id: string }) => c.id)).toEqual([id]);

    const contact = await aContact(stack.http, t.token, { name: 'Hank', company_id: id, job_title: 'Owner' });
    expect(contact).toMatchObject({ company_id: id, organization: 'Globex', job_title: 'Owner' });
    const lead = await stack.http.post('/api/v1/crm/leads', { token: t.token, body: { contact_id: contact.id } });
    expect(lead.body.data.company_id).toBe(id);
    const renamed = await stack.http.patch(`/api/v1/crm/companies/${id}`, { token: t.token, body: { name: 'Globex Corp' } });
    expect(renamed.body.data).toMatchObject({ name: 'Globex Corp', contacts_count: 1, leads_count: 1 });
    expect((await stack.http.get(`/api/v1/contacts/${contact.id}`, { token: t.token })).body.data.organization).toBe('Globex Corp');

    for (const res of [
      await stack.http.get(`/api/v1/crm/companies/${id}`, { token: other.token }),
      await stack.http.put(`/api/v1/crm/companies/${id}`, { token: other.token, body: { name: 'Stolen' } }),
      await stack.http.delete(`/api/v1/crm/companies/${id}`, { token: other.token }),
    ]) expect(res.status).toBe(404);
    // Another tenant's company cannot be linked either.
    const foreign = (await stack.http.get('/api/v1/crm/companies', { token: other.token })).body.data[0].id;
    expect((await stack.http.put(`/api/v1/crm/leads/${lead.body.data.id}`, { token: t.token, body: { company_id: foreign } })).status).toBe(422);

    expect((await stack.http.delete(`/api/v1/crm/companies/${id}`, { token: t.token })).status).toBe(204);
    expect((await stack.http.get(`/api/v1/crm/leads/${lead.body.data.id}`, { token: t.token })).body.data.company_id).toBeNull();
    expect((await stack.http.get(`/api/v1/contacts/${contact.id}`, { token: t.token })).body.data.company_id).toBeNull();
  });

  it('finds or creates the company a lead\'s nested contact names, case aside', async () => {
    const a = await stack.http.post('/api/v1/crm/leads', { token: t.token, body: { contact: { name: 'Ann', email: 'ann@initech.example', company: 'Initech' } } });
    const b = await stack.http.post('/api/v1/crm/leads', { token: t.token, body: { contact: { name: 'Bill', email: 'bill@initech.example', company: 'INITECH' } } });
    expect(a.body.data.company_id).toBeTruthy();
    expect(b.body.data.company_id).toBe(a.body.data.company_id);
    const company = await stack.http.get(`/api/v1/crm/companies/${a.body.data.company_id}`, { token: t.token });
    expect(company.body.data).toMatchObject({ name: 'Initech', contacts_count: 2, leads_count: 2 });
  });
});

describe('analytics and sorting', () => {
  it('computes the overview and the dashboard from a known set of leads', async () => {
    const fresh = await aTenant(stack.http);
    const tech = await stack.http.post('/api/v1/crm/companies', { token: fresh.token, body: { name: 'TechCo', industry: 'technology' } });
    const mk = async (source: string, status: string, value: number | null, email: string) =>
      (await stack.http.post('/api/v1/crm/leads', { token: fresh.token, body: { contact: { name: email, email }, source, status, value, company_id: tech.body.data.id } })).body.data;
    await mk('website', 'new', null, 'a@x.example');
    await mk('website', 'won', 1000.5, 'b@x.example');
    await mk('referral', 'qualified', 200, 'c@x.example');
    const old = await mk('referral', 'won', 999, 'd@x.example');
    await stack.orm.em.getConnection().execute("update lead set created_at = now() - interval '40 days' where id = ?", [old.id]);
    await stack.http.post(`/api/v1/crm/leads/${old.id}/notes`, { token: fresh.token, body: { content: 'Called them', type: 'call' } });

    const overview = await stack.http.get('/api/v1/crm/leads/analytics/overview?days=30', { token: fresh.token });
    expect(overview.status).toBe(200);
    const scores = (await stack.orm.em.getConnection().execute<Array<{ avg: string }>>("select round(avg(score) / 100.0, 2) as avg from lead where tenant_id = ? and created_at > now() - interval '30 days'", [fresh.tenantId]))[0].avg;
    expect(overview.body.data).toEqual({
      days: 30,
      total_leads: 4,
      new_leads: 3,
      qualified_leads: 2,
      converted_leads: 1,
      average_score: Number(scores),
      conversion_rate: 0.333,
      by_source: { website: 2, referral: 1 },
      by_status: { new: 1, won: 1, qualified: 1 },
      by_industry: { technology: 3 },
    });
    expect((await stack.http.get('/api/v1/crm/leads/analytics/overview?days=60', { token: fresh.token })).body.data).toMatchObject({ new_leads: 4, converted_leads: 2, by_source: { website: 2, referral: 2 } });

    const dash = await stack.http.get('/api/v1/analytics/dashboard?days=30', { token: fresh.token });
    expect(dash.body.data).toMatchObject({ total_leads: 4, new_leads_today: 3, total_calls: 1, calls_today: 1, conversion_rate: 33.3, revenue: 1000.5, revenue_currency: 'USD', revenue_by_currency: { USD: 1000.5 } });
    expect((await stack.http.get('/api/v1/analytics/dashboard?days=0', { token: fresh.token })).status).toBe(422);
    // Another tenant's figures do not include these.
    expect((await stack.http.get('/api/v1/analytics/dashboard', { token: other.token })).body.data.revenue).toBe(0);
  });

  it('sorts leads and contacts by any indexed column, both ways', async () => {
    const fresh = await aTenant(stack.http);
    for (const title of ['banana', 'apple', 'cherry']) await stack.http.post('/api/v1/crm/leads', { token: fresh.token, body: { title, contact: { name: title, email: `${title}@fruit.example` } } });
    const titles = async (order: string) => (await stack.http.get(`/api/v1/crm/leads?sort_by=title&sort_order=${order}`, { token: fresh.token })).body.data.map((l: { title: string }) => l.title);
    const asc = await titles('asc');
    expect(asc).toEqual([...asc].sort());
    expect(await titles('desc')).toEqual([...asc].reverse());
    const names = (await stack.http.get('/api/v1/contacts?sort_by=name&sort_order=asc', { token: fresh.token })).body.data.map((c: { name: string }) => c.name);
    expect(names).toHaveLength(3);
    expect((await stack.http.get('/api/v1/crm/leads?sort_by=password', { token: fresh.token })).status).toBe(422);
    // Search finds a lead by its title or by its contact's email, and nothing of another tenant's.
    const found = async (q: string, token = fresh.token) => (await stack.http.get(`/api/v1/crm/leads?search=${encodeURIComponent(q)}`, { token })).body.data.map((l: { title: string }) => l.title);
    expect(await found('ppl')).toEqual(['apple']);
    expect(await found('cherry@fruit')).toEqual(['cherry']);
    expect(await found('50%_')).toEqual([]);
    expect(await found('apple', other.token)).toEqual([]);
  });
});

describe('scoring with a model configured', () => {
  it("adds the model's factors (bounded, named by the model) to the rules, and keeps the rules' score when the model fails", async () => {
    const { startFakeOpenAi } = await import('../fakes/openaiServer.ts');
    const fake = await startFakeOpenAi();
    const llmStack = await startStack({ worker: false, env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', RATE_LIMIT_PER_MINUTE: '1000', OPENAI_API_KEY: 'sk-test-score', OPENAI_BASE_URL: fake.url, OPENAI_MODEL: 'gpt-test' } });
    try {
      const tenant = await aTenant(llmStack.http);
      const lead = (await llmStack.http.post('/api/v1/crm/leads', { token: tenant.token, body: { contact: { name: 'Budget Bob', email: 'bob@budget.example' } } })).body.data;
      await llmStack.http.post(`/api/v1/crm/leads/${lead.id}/notes`, { token: tenant.token, body: { content: 'Budget approved for Q1, wants to sign this month', type: 'call' } });
      fake.enqueue({ content: JSON.stringify({ factors: [{ dimension: 'intent', reason: 'Budget approved, wants to sign this month', impact: 0.9 }] }) });
      const scored = await llmStack.http.post(`/api/v1/crm/leads/${lead.id}/score`, { token: tenant.token });
      expect(scored.status).toBe(200);
      expect(scored.body.data.breakdown).toContainEqual({ dimension: 'intent', reason: 'Budget approved, wants to sign this month', impact: 0.2, source: 'openai:gpt-test' });
      expect(scored.body.data.factors.positive_factors).toContain('Budget approved, wants to sign this month');
      const asked = fake.requests.at(-1)!;
      expect(JSON.stringify(asked.body.messages)).toContain('Budget approved for Q1');
      expect(asked.headers.authorization).toBe('Bearer sk-test-score');

      fake.enqueue({ status: 500 });
      fake.enqueue({ status: 500 });
      const fallback = await llmStack.http.post(`/api/v1/crm/leads/${lead.id}/score`, { token: tenant.token });
      expect(fallback.status).toBe(200);
      expect(fallback.body.data.breakdown.every((f: { source: string }) => f.source === 'rules')).toBe(true);
      expect(fallback.body.data.intent_score).toBeLessThan(scored.body.data.intent_score);
    } finally {
      await llmStack.close();
      await fake.close();
    }
  });
});
