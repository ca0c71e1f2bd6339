import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, type TestTenant } from '../support/factories.ts';

let stack: TestStack;
let tenant: TestTenant;
beforeAll(async () => {
  stack = await startStack({ worker: false, env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', RATE_LIMIT_PER_MINUTE: '25', BODY_LIMIT: '10kb' } });
  tenant = await aTenant(stack.http);
});
afterAll(() => stack.close());

const isEnvelope = (body: unknown) =>
  typeof body === 'object' && body !== null && 'error' in body &&
  ['code', 'message', 'details', 'request_id'].every((k) => k in (body as { error: object }).error);

describe('API conventions', () => {
  it('answers an unknown route with the error envelope and the request id', async () => {
    const res = await stack.http.get('/api/v1/no-such-thing', { headers: { 'X-Request-Id': 'trace-abc-12345' } });
    expect(res.status).toBe(404);
    expect(isEnvelope(res.body)).toBe(true);
    expect(res.body.error).toMatchObject({ code: 'NOT_FOUND', request_id: 'trace-abc-12345' });
    expect(res.headers.get('x-request-id')).toBe('trace-abc-12345');
  });

  it('makes up a request id when none (or a strange one) is sent', async () => {
    const res = await stack.http.get('/api/v1/health', { headers: { 'X-Request-Id': 'bad id with spaces <script>' } });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers malformed JSON with a 400 envelope and stores nothing', async () => {
    const before = await stack.http.get('/api/v1/contacts', { token: tenant.token });
    const res = await stack.http.post('/api/v1/contacts', { token: tenant.token, raw: '{"name": "Broken', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.message).toMatch(/JSON/);
    const after = await stack.http.get('/api/v1/contacts', { token: tenant.token });
    expect(after.body.pagination.total).toBe(before.body.pagination.total);
  });

  it('answers an oversized body with 413 in the envelope', async () => {
    const res = await stack.http.post('/api/v1/contacts', { token: tenant.token, body: { name: 'x', notes: 'y'.repeat(20_000) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('reports every invalid field, by name, and refuses unknown fields', async () => {
    const res = await stack.http.post('/api/v1/contacts', {
      token: tenant.token,
      body: { name: '', email: 'not-an-email', phone: 'call me', tags: 'vip', is_admin: true },
    });
    expect(res.status).toBe(422);
    const fields = res.body.error.details.fields.map((f: { field: string }) => f.field).sort();
    expect(fields).toEqual(['body.email', 'body.is_admin', 'body.name', 'body.phone', 'body.tags']);
  });

  it('validates query strings and path ids too', async () => {
    const q = await stack.http.get('/api/v1/contacts?per_page=500&sort_by=password', { token: tenant.token });
    expect(q.status).toBe(422);
    expect(q.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['query.per_page', 'query.sort_by']);
    const p = await stack.http.get('/api/v1/contacts/not-a-uuid', { token: tenant.token });
    expect(p.status).toBe(422);
    expect(p.body.error.details.fields[0].field).toBe('params.id');
  });

  it('paginates lists in the API.md shape', async () => {
    const t = await aTenant(stack.http);
    for (const name of ['Ann', 'Bob', 'Cy']) await stack.http.post('/api/v1/contacts', { token: t.token, body: { name } });
    const page1 = await stack.http.get('/api/v1/contacts?per_page=2&sort_by=name&sort_order=asc', { token: t.token });
    expect(page1.body.data.map((c: { name: string }) => c.name)).toEqual(['Ann', 'Bob']);
    expect(page1.body.pagination).toEqual({ page: 1, per_page: 2, total: 3, total_pages: 2, has_next: true });
    const page2 = await stack.http.get('/api/v1/contacts?per_page=2&page=2&sort_by=name&sort_order=asc', { token: t.token });
    expect(page2.body.data.map((c: { name: string }) => c.name)).toEqual(['Cy']);
    expect(page2.body.pagination.has_next).toBe(false);
  });

  it('replays an Idempotency-Key with the same body and refuses it with another', async () => {
    const t = await aTenant(stack.http);
    const headers = { 'Idempotency-Key': `key-${Date.now()}` };
    const first = await stack.http.post('/api/v1/contacts', { token: t.token, headers, body: { name: 'Once Only' } });
    const again = await stack.http.post('/api/v1/contacts', { token: t.token, headers, body: { name: 'Once Only' } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const list = await stack.http.get('/api/v1/contacts', { token: t.token });
    expect(list.body.data.filter((c: { name: string }) => c.name === 'Once Only')).toHaveLength(1);

    const other = await stack.http.post('/api/v1/contacts', { token: t.token, headers, body: { name: 'Someone Else' } });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('CONFLICT');
  });

  it('sends rate-limit headers and answers 429 with Retry-After past the limit', async () => {
    const t = await aTenant(stack.http);
    const first = await stack.http.get('/api/v1/contacts', { token: t.token });
    expect(first.headers.get('x-ratelimit-limit')).toBe('25');
    expect(Number(first.headers.get('x-ratelimit-remaining'))).toBe(24);
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    let last = first;
    for (let i = 0; i < 25; i++) last = await stack.http.get('/api/v1/contacts', { token: t.token });
    expect(last.status).toBe(429);
    expect(last.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    // Limits are per user: another tenant's user is unaffected.
    const other = await aTenant(stack.http);
    expect((await stack.http.get('/api/v1/contacts', { token: other.token })).status).toBe(200);
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = await stack.http.get('/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/contacts', '/api/v1/contacts/{id}', '/api/v1/runs/{workflow_id}', '/api/v1/auth/login']));
    expect(doc.body.paths['/api/v1/contacts'].post.requestBody.content['application/json'].schema.required).toEqual(['name']);
    expect(doc.body.components.securitySchemes.bearerAuth.scheme).toBe('bearer');
    const page = await stack.http.get('/api/v1/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('SwaggerUIBundle');
    expect((await stack.http.get('/api/v1/docs/swagger-ui-bundle.js')).status).toBe(200);
    const root = await stack.http.get('/');
    expect(root.body).toMatchObject({ docs: '/api/v1/docs', openapi: '/api/v1/openapi.json' });
  });

  it('reports health of PostgreSQL and Temporal', async () => {
    const res = await stack.http.get('/api/v1/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.checks.database.status).toBe('ok');
    expect(res.body.checks.temporal.status).toBe('ok');
  });
});
