import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, type TestTenant } from '../support/factories.ts';

// The lists build their rows in SQL (api/listSql.ts) while a single read serialises the
// entity (contactDto, leadDto, companyDto): these hold the two answers equal, field for field.
let stack: TestStack;
let t: TestTenant;
beforeAll(async () => {
  stack = await startStack({ worker: false, env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', RATE_LIMIT_PER_MINUTE: '1000' } });
  t = await aTenant(stack.http);
});
afterAll(() => stack.close());

type Row = { id: string };
const listed = async (path: string, token: string) => {
  const res = await stack.http.get(path, { token });
  expect(res.status).toBe(200);
  return res.body as { data: Row[]; pagination: { total: number; total_pages: number; has_next: boolean } };
};

describe('list rows', () => {
  it('answer each contact as GET /contacts/{id} does, nulls, tags, custom fields and company included', async () => {
    const company = (await stack.http.post('/api/v1/crm/companies', { token: t.token, body: { name: 'Rows Inc', domain: 'rows.example' } })).body.data;
    await stack.http.post('/api/v1/contacts', { token: t.token, body: { name: 'Bare' } });
    const full = await stack.http.post('/api/v1/contacts', {
      token: t.token,
      body: { name: 'Full "Quoted" Ünïcode', email: 'full@rows.example', phone: '+1 202 555 0199', organization: 'Rows', company_id: company.id, job_title: 'CTO', notes: 'line\nbreak', tags: ['a', 'b'], custom_fields: { plan: 'pro', seats: 12.5, beta: true, none: null } },
    });
    expect(full.body).toMatchObject({ data: { company_id: company.id } });
    const page = await listed('/api/v1/contacts?sort_by=name&sort_order=asc', t.token);
    expect(page.data).toHaveLength(2);
    for (const row of page.data) expect(row).toEqual((await stack.http.get(`/api/v1/contacts/${row.id}`, { token: t.token })).body.data);
    expect(page.data.map((r) => (r as Row & { name: string }).name)).toEqual(['Bare', 'Full "Quoted" Ünïcode']);
  });

  it('answer each lead as GET /crm/leads/{id} does, money to the cent and the nested contact included', async () => {
    const u = await aTenant(stack.http);
    await stack.http.post('/api/v1/crm/leads', { token: u.token, body: { source: 'email', contact: { name: 'Lead One', email: 'one@rows.example', company: 'Rows Org' }, value: 1234.56, currency: 'EUR' } });
    const second = await stack.http.post('/api/v1/crm/leads', { token: u.token, body: { source: 'web', title: 'No value', contact: { name: 'Lead Two', phone: '+1 202 555 0100' } } });
    expect(second.body).toMatchObject({ data: { value: null } });
    const page = await listed('/api/v1/crm/leads', u.token);
    expect(page.data).toHaveLength(2);
    for (const row of page.data) expect(row).toEqual((await stack.http.get(`/api/v1/crm/leads/${row.id}`, { token: u.token })).body.data);
    expect(page.data.map((r) => (r as Row & { value: number | null }).value).sort()).toEqual([1234.56, null]);
  });

  it('answer each company as GET /crm/companies/{id} does (less its counts), address and filters included', async () => {
    const u = await aTenant(stack.http);
    const full = (await stack.http.post('/api/v1/crm/companies', { token: u.token, body: { name: 'Ünïcode "Works"', domain: 'https://www.Works.example/about', industry: 'Software', size: '11-50', address: { city: 'Lyon', country: 'FR' }, phone: '+1 202 555 0111', website: 'https://works.example', notes: 'two\nlines' } })).body.data;
    await stack.http.post('/api/v1/crm/companies', { token: u.token, body: { name: 'Bare Co' } });
    await stack.http.post('/api/v1/contacts', { token: u.token, body: { name: 'Linked', company_id: full.id } });
    const page = await listed('/api/v1/crm/companies?sort_by=name&sort_order=asc', u.token);
    expect(page.data.map((r) => (r as Row & { name: string }).name)).toEqual(['Bare Co', 'Ünïcode "Works"']);
    for (const row of page.data) {
      const { contacts_count, leads_count, ...one } = (await stack.http.get(`/api/v1/crm/companies/${row.id}`, { token: u.token })).body.data;
      expect(typeof contacts_count).toBe('number');
      expect(typeof leads_count).toBe('number');
      expect(row).toEqual(one);
    }
    const names = async (q: string) => (await listed(`/api/v1/crm/companies?${q}`, u.token)).data.map((r) => (r as Row & { name: string }).name);
    expect(await names('search=works.exa')).toEqual(['Ünïcode "Works"']);
    expect(await names('industry=software')).toEqual(['Ünïcode "Works"']);
    expect(await names('industry=soft')).toEqual([]);
    expect(await names('size=11-50&domain=WORKS.example')).toEqual(['Ünïcode "Works"']);
    expect(await names('search=bare')).toEqual(['Bare Co']);
    // Another tenant's companies are neither listed nor counted.
    expect((await listed('/api/v1/crm/companies?search=works', t.token)).pagination.total).toBe(0);
  });

  it('pages in order with the total, and past the end answers an empty page with the total', async () => {
    const u = await aTenant(stack.http);
    for (const name of ['C', 'A', 'B', 'E', 'D']) await stack.http.post('/api/v1/contacts', { token: u.token, body: { name } });
    const names = async (q: string) => (await listed(`/api/v1/contacts?${q}`, u.token)).data.map((r) => (r as Row & { name: string }).name);
    expect(await names('sort_by=name&sort_order=asc&per_page=2&page=1')).toEqual(['A', 'B']);
    expect(await names('sort_by=name&sort_order=asc&per_page=2&page=3')).toEqual(['E']);
    expect(await names('sort_by=name&sort_order=desc&per_page=2&page=1')).toEqual(['E', 'D']);
    const past = await listed('/api/v1/contacts?per_page=2&page=9', u.token);
    expect(past.data).toEqual([]);
    expect(past.pagination).toMatchObject({ total: 5, total_pages: 3, has_next: false });
    // Another tenant's rows are neither listed nor counted.
    expect((await listed('/api/v1/contacts', t.token)).pagination.total).toBe(2);
  });
});
