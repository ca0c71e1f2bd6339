import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, type TestTenant } from '../support/factories.ts';
import { tenantEm } from '../../lib/db.ts';
import { EventSchema } from '../../entities/Event.ts';

let stack: TestStack;
let t: TestTenant;
beforeAll(async () => {
  stack = await startStack({ worker: false, env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', RATE_LIMIT_PER_MINUTE: '1000' } });
  t = await aTenant(stack.http);
});
afterAll(() => stack.close());

describe('contacts', () => {
  it('creates, reads, updates and deletes a contact, writing an outbox event for each change', async () => {
    const created = await stack.http.post('/api/v1/contacts', {
      token: t.token,
      body: { name: 'Linus', email: 'LINUS@Example.com', phone: '+1 (555) 010-9999', organization: 'Kernel Org', tags: ['oss', 'oss'], custom_fields: { plan: 'pro' } },
    });
    expect(created.status).toBe(201);
    const c = created.body.data;
    expect(c).toMatchObject({ name: 'Linus', email: 'linus@example.com', phone: '+15550109999', tags: ['oss'], custom_fields: { plan: 'pro' }, sms_opt_out: false });
    expect(c.created_at).toMatch(/Z$/);

    const updated = await stack.http.patch(`/api/v1/contacts/${c.id}`, { token: t.token, body: { organization: null, notes: 'Met at conf' } });
    expect(updated.body.data).toMatchObject({ name: 'Linus', organization: null, notes: 'Met at conf' });
    const put = await stack.http.put(`/api/v1/contacts/${c.id}`, { token: t.token, body: { name: 'Linus T.' } });
    expect(put.body.data.name).toBe('Linus T.');
    expect((await stack.http.delete(`/api/v1/contacts/${c.id}`, { token: t.token })).status).toBe(204);
    expect((await stack.http.get(`/api/v1/contacts/${c.id}`, { token: t.token })).status).toBe(404);

    const events = await tenantEm(stack.orm, t.tenantId).find(EventSchema, { entityId: c.id }, { orderBy: { createdAt: 'asc' } });
    expect(events.map((e) => e.type)).toEqual(['contact.created', 'contact.updated', 'contact.updated', 'contact.deleted']);
  });

  it('filters by search, organization and tag', async () => {
    const u = await aTenant(stack.http);
    const make = (body: object) => stack.http.post('/api/v1/contacts', { token: u.token, body });
    await make({ name: 'Alice Able', organization: 'Acme', tags: ['lead'] });
    await make({ name: 'Bert Baker', email: 'bert@bakery.io', organization: 'Bakery', tags: ['customer'] });
    await make({ name: 'Cleo 100%_match', organization: 'Acme Labs', tags: ['lead', 'vip'] });
    const names = async (q: string) =>
      ((await stack.http.get(`/api/v1/contacts?${q}&sort_by=name&sort_order=asc`, { token: u.token })).body.data as Array<{ name: string }>).map((x) => x.name);
    expect(await names('search=bakery')).toEqual(['Bert Baker']);
    expect(await names('organization=acme')).toEqual(['Alice Able', 'Cleo 100%_match']);
    expect(await names('tag=vip')).toEqual(['Cleo 100%_match']);
    // LIKE wildcards in the search are literal characters.
    expect(await names(`search=${encodeURIComponent('%_')}`)).toEqual(['Cleo 100%_match']);
    // Any of name, email, phone and organization, but a match never spans two of them.
    await make({ name: 'Dora Dial', phone: '+1 202 555 0147', organization: 'Phones' });
    expect(await names('search=5550147')).toEqual(['Dora Dial']);
    expect(await names('search=labs')).toEqual(['Cleo 100%_match']);
    expect(await names(`search=${encodeURIComponent('Able Acme')}`)).toEqual([]);
  });
});
