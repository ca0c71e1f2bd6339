import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant } from '../support/factories.ts';
import { TEST_JWT_SECRET } from '../support/testEnv.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ worker: false, env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000' } });
});
afterAll(() => stack.close());

describe('auth', () => {
  it('registers a tenant with its admin and returns a working session', async () => {
    const t = await aTenant(stack.http, { first_name: 'Grace', last_name: 'Hopper', full_name: undefined, tenant_name: 'Hopper & Co' });
    const me = await stack.http.get('/api/v1/auth/me', { token: t.token });
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({ email: t.email, first_name: 'Grace', last_name: 'Hopper', role: 'admin', tenant_id: t.tenantId });
    expect(me.body.data.tenant).toEqual({ id: t.tenantId, name: 'Hopper & Co' });
    expect(me.body.data).not.toHaveProperty('password_hash');
    expect(JSON.stringify(me.body)).not.toContain('argon2');
  });

  it('refuses a full_name whose last name would not fit, with a 422 (found by the fuzz suite: it was a 500)', async () => {
    const res = await stack.http.post('/api/v1/auth/register', { body: { email: `long-${Date.now()}@example.com`, password: 'correct horse battery', full_name: 'ab '.repeat(66) + 'ab' } });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields[0].field).toBe('body.full_name');
    const fits = await stack.http.post('/api/v1/auth/register', { body: { email: `fits-${Date.now()}@example.com`, password: 'correct horse battery', full_name: `Ada ${'b'.repeat(100)}` } });
    expect(fits.status).toBe(201);
  });

  it('refuses a second account with the same email (any case) as a DUPLICATE', async () => {
    const t = await aTenant(stack.http);
    const res = await stack.http.post('/api/v1/auth/register', { body: { email: t.email.toUpperCase(), password: 'another password' } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('DUPLICATE');
  });

  it('keeps no tokens at rest for an Idempotency-Key on register: the retry is a DUPLICATE', async () => {
    const body = { email: `idem-${Date.now()}@example.com`, password: 'a long password' };
    const headers = { 'Idempotency-Key': `register-${Date.now()}` };
    const first = await stack.http.post('/api/v1/auth/register', { body, headers });
    expect(first.status).toBe(201);
    const again = await stack.http.post('/api/v1/auth/register', { body, headers });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('DUPLICATE');
    const stored = await stack.orm.em.fork().getConnection().execute('select count(*)::int as n from idempotency_key where key = ?', [headers['Idempotency-Key']]);
    expect(stored[0].n).toBe(0);
  });

  it('logs in with the right password and not with a wrong one or an unknown email', async () => {
    const t = await aTenant(stack.http);
    const ok = await stack.http.post('/api/v1/auth/login', { body: { email: t.email, password: t.password } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'bearer', expires_in: 3600, user: { email: t.email, role: 'admin', tenant_id: t.tenantId } });
    const claims = jwt.verify(ok.body.access_token, TEST_JWT_SECRET) as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: t.userId, tenant_id: t.tenantId, role: 'admin' });

    const wrong = await stack.http.post('/api/v1/auth/login', { body: { email: t.email, password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: 'Email or password is incorrect' });
    const unknown = await stack.http.post('/api/v1/auth/login', { body: { email: 'nobody@example.com', password: 'whatever1' } });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toBe(wrong.body.error.message);
  });

  it('tells a missing token (UNAUTHORIZED) from an expired or tampered one (INVALID_TOKEN)', async () => {
    const t = await aTenant(stack.http);
    const none = await stack.http.get('/api/v1/contacts');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHORIZED');

    const expired = jwt.sign({ tenant_id: t.tenantId, role: 'admin', email: t.email }, TEST_JWT_SECRET, { subject: t.userId, expiresIn: -10 });
    const e = await stack.http.get('/api/v1/contacts', { token: expired });
    expect(e.status).toBe(401);
    expect(e.body.error.code).toBe('INVALID_TOKEN');

    // Same claims, but claiming to be admin of another tenant: the signature no longer matches.
    const [header, , signature] = t.token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ sub: t.userId, tenant_id: '00000000-0000-4000-8000-000000000000', role: 'admin' })).toString('base64url');
    const tampered = await stack.http.get('/api/v1/contacts', { token: `${header}.${forgedPayload}.${signature}` });
    expect(tampered.status).toBe(401);
    expect(tampered.body.error.code).toBe('INVALID_TOKEN');

    const otherKey = jwt.sign({ tenant_id: t.tenantId, role: 'admin' }, 'x'.repeat(40), { subject: t.userId, expiresIn: 60 });
    expect((await stack.http.get('/api/v1/contacts', { token: otherKey })).status).toBe(401);
  });

  it('rotates refresh tokens and revokes the whole family when a spent one is reused', async () => {
    const t = await aTenant(stack.http);
    const first = await stack.http.post('/api/v1/auth/refresh', { body: { refresh_token: t.refreshToken } });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(t.refreshToken);
    expect((await stack.http.get('/api/v1/auth/me', { token: first.body.access_token })).status).toBe(200);

    // The refresh token also works as the Bearer header (API.md).
    const second = await stack.http.post('/api/v1/auth/refresh', { token: first.body.refresh_token });
    expect(second.status).toBe(200);

    // Reusing the first (spent) token: refused, and the newest token of the family dies too.
    const reuse = await stack.http.post('/api/v1/auth/refresh', { body: { refresh_token: t.refreshToken } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('INVALID_TOKEN');
    const afterRevoke = await stack.http.post('/api/v1/auth/refresh', { body: { refresh_token: second.body.refresh_token } });
    expect(afterRevoke.status).toBe(401);

    // A fresh login starts a new family that still works.
    const login = await stack.http.post('/api/v1/auth/login', { body: { email: t.email, password: t.password } });
    expect((await stack.http.post('/api/v1/auth/refresh', { body: { refresh_token: login.body.refresh_token } })).status).toBe(200);
  });

  it('lets exactly one of several concurrent refreshes of a token win, and leaves no live token in the family', async () => {
    for (let round = 0; round < 3; round++) {
      const t = await aTenant(stack.http);
      const answers = await Promise.all(Array.from({ length: 6 }, () => stack.http.post('/api/v1/auth/refresh', { body: { refresh_token: t.refreshToken } })));
      const won = answers.filter((r) => r.status === 200);
      expect(won).toHaveLength(1);
      expect(answers.filter((r) => r.status === 401)).toHaveLength(5);
      // The losers saw a reused token and revoked the family: the winner's new token is dead too.
      const next = await stack.http.post('/api/v1/auth/refresh', { body: { refresh_token: won[0].body.refresh_token } });
      expect(next.status).toBe(401);
      const live = await stack.orm.em.getConnection().execute(
        'select count(*)::int as n from refresh_token where user_id = ? and revoked_at is null and used_at is null',
        [t.userId],
      );
      expect(live[0].n).toBe(0);
    }
  });

  it('ends a user\'s access tokens at once when they are deactivated or their role changes', async () => {
    const admin = await aTenant(stack.http);
    const make = async (role: string) => {
      const email = `staff-${role}-${Date.now()}@example.com`;
      expect((await stack.http.post('/api/v1/users', { token: admin.token, body: { email, password: 'staff password', role } })).status).toBe(201);
      const login = await stack.http.post('/api/v1/auth/login', { body: { email, password: 'staff password' } });
      return { token: login.body.access_token as string, id: login.body.user.id as string, email };
    };
    const demoted = await make('admin');
    expect((await stack.http.get('/api/v1/users', { token: demoted.token })).status).toBe(200);
    expect((await stack.http.patch(`/api/v1/users/${demoted.id}`, { token: admin.token, body: { role: 'user' } })).status).toBe(200);
    const stale = await stack.http.get('/api/v1/users', { token: demoted.token });
    expect(stale.status).toBe(401);
    expect(stale.body.error.code).toBe('INVALID_TOKEN');
    // Signed in again, the user holds their new role.
    const again = await stack.http.post('/api/v1/auth/login', { body: { email: demoted.email, password: 'staff password' } });
    expect((await stack.http.get('/api/v1/users', { token: again.body.access_token })).status).toBe(403);
    expect((await stack.http.get('/api/v1/auth/me', { token: again.body.access_token })).body.data.role).toBe('user');

    const leaver = await make('manager');
    expect((await stack.http.get('/api/v1/contacts', { token: leaver.token })).status).toBe(200);
    expect((await stack.http.patch(`/api/v1/users/${leaver.id}`, { token: admin.token, body: { is_active: false } })).status).toBe(200);
    expect((await stack.http.get('/api/v1/contacts', { token: leaver.token })).status).toBe(401);
    // A change of name only leaves tokens alone.
    expect((await stack.http.patch(`/api/v1/users/${again.body.user.id}`, { token: admin.token, body: { first_name: 'Renamed' } })).status).toBe(200);
    expect((await stack.http.get('/api/v1/auth/me', { token: again.body.access_token })).status).toBe(200);
  });

  it('logs out everywhere, access tokens included, when no refresh token is named', async () => {
    const t = await aTenant(stack.http);
    expect((await stack.http.post('/api/v1/auth/logout', { token: t.token, body: {} })).status).toBe(200);
    expect((await stack.http.get('/api/v1/auth/me', { token: t.token })).status).toBe(401);
    expect((await stack.http.post('/api/v1/auth/refresh', { body: { refresh_token: t.refreshToken } })).status).toBe(401);
  });

  it('logout revokes the refresh token', async () => {
    const t = await aTenant(stack.http);
    const out = await stack.http.post('/api/v1/auth/logout', { token: t.token, body: { refresh_token: t.refreshToken } });
    expect(out.status).toBe(200);
    expect(out.body.data.revoked).toBe(1);
    const res = await stack.http.post('/api/v1/auth/refresh', { body: { refresh_token: t.refreshToken } });
    expect(res.status).toBe(401);
  });

  it('enforces roles: a plain user cannot manage users or delete contacts', async () => {
    const admin = await aTenant(stack.http);
    const created = await stack.http.post('/api/v1/users', {
      token: admin.token,
      body: { email: `member-${Date.now()}@example.com`, password: 'member password', role: 'user' },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ role: 'user', tenant_id: admin.tenantId });
    const login = await stack.http.post('/api/v1/auth/login', { body: { email: created.body.data.email, password: 'member password' } });
    const member = login.body.access_token as string;

    const listUsers = await stack.http.get('/api/v1/users', { token: member });
    expect(listUsers.status).toBe(403);
    expect(listUsers.body.error.code).toBe('FORBIDDEN');
    const contact = await stack.http.post('/api/v1/contacts', { token: member, body: { name: 'Someone' } });
    expect(contact.status).toBe(201);
    expect((await stack.http.delete(`/api/v1/contacts/${contact.body.data.id}`, { token: member })).status).toBe(403);
    expect((await stack.http.delete(`/api/v1/contacts/${contact.body.data.id}`, { token: admin.token })).status).toBe(204);
    const users = await stack.http.get('/api/v1/users', { token: admin.token });
    expect(users.body.data.map((u: { email: string }) => u.email).sort()).toEqual([admin.email, created.body.data.email].sort());
  });
});
