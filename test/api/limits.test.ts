import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { anotherApi, startStack, type TestStack } from '../support/app.ts';
import { aTenant } from '../support/factories.ts';

/**
 * Limits as an attacker meets them: behind one trusted proxy (TRUST_PROXY_HOPS=1), with
 * counters in PostgreSQL shared by every API replica.
 */
let stack: TestStack;
let second: Awaited<ReturnType<typeof anotherApi>>;

beforeAll(async () => {
  stack = await startStack({
    worker: false,
    env: { TRUST_PROXY: 'true', TRUST_PROXY_HOPS: '1', RATE_LIMIT_AUTH_PER_MINUTE: '3', RATE_LIMIT_PER_MINUTE: '5', LOGIN_FAILURES_PER_EMAIL: '3', RATE_LIMIT_STORE: 'postgres' },
  });
  // A second API replica on the same database, as `docker compose up --scale api=2` would run.
  second = await anotherApi(stack);
});
afterAll(async () => {
  await second.close();
  await stack.close();
});

let n = 0;
/** As our proxy forwards it: whatever the client wrote, then the address the proxy saw. */
const viaProxy = (clientWrote: string, proxySaw: string) => ({ 'X-Forwarded-For': `${clientWrote}, ${proxySaw}` });
const login = (email: string, password: string, headers: Record<string, string>) => stack.http.post('/api/v1/auth/login', { headers, body: { email, password } });

describe('rate limits', () => {
  it('keys by the address our proxy saw, not by what the client puts in X-Forwarded-For', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await login(`nobody${i}@example.com`, 'wrong password', viaProxy(`10.0.${++n}.1`, '203.0.113.7'))).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    // Another client behind the same proxy is not held back by it.
    expect((await login('nobody@example.com', 'wrong password', viaProxy('10.9.9.9', '203.0.113.8'))).status).toBe(401);
  });

  it('slows down password guessing for one account whatever addresses it comes from', async () => {
    const t = await aTenant(stack.http, {}, viaProxy('1.1.1.1', `192.0.2.${++n}`));
    const from = () => viaProxy('1.1.1.1', `198.51.100.${++n}`);
    for (let i = 0; i < 3; i++) expect((await login(t.email, 'not the password', from())).status).toBe(401);
    const blocked = await login(t.email, t.password, from());
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another account is unaffected; a success there clears nothing here.
    const other = await aTenant(stack.http, {}, viaProxy('1.1.1.1', `192.0.2.${++n}`));
    expect((await login(other.email, other.password, from())).status).toBe(200);
    expect((await login(t.email, t.password, from())).status).toBe(429);
  });

  it('clears an account\'s failures on a successful login', async () => {
    const t = await aTenant(stack.http, {}, viaProxy('1.1.1.1', `192.0.2.${++n}`));
    const from = () => viaProxy('1.1.1.1', `198.51.100.${++n}`);
    for (let i = 0; i < 2; i++) expect((await login(t.email, 'not the password', from())).status).toBe(401);
    expect((await login(t.email, t.password, from())).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await login(t.email, 'not the password', from())).status).toBe(401);
    expect((await login(t.email, t.password, from())).status).toBe(200);
  });

  it('counts one user\'s requests across API replicas sharing the database', async () => {
    const t = await aTenant(stack.http, {}, viaProxy('1.1.1.1', `192.0.2.${++n}`));
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const http = i % 2 === 0 ? stack.http : second.http;
      statuses.push((await http.get('/api/v1/contacts', { token: t.token, headers: viaProxy('x', `192.0.2.${++n}`) })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});
