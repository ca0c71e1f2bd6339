import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { logSink } from '../support/logSink.ts';
import { aTenant } from '../support/factories.ts';
import { createLogger } from '../../lib/logger.ts';

const { lines, stream: sink } = logSink();

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ worker: false, env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000' }, log: createLogger('trace', 'api-test', { destination: sink }) });
});
afterAll(() => stack.close());

describe('secrets', () => {
  it('never appear in responses or log lines', async () => {
    const t = await aTenant(stack.http);
    const login = await stack.http.post('/api/v1/auth/login', { body: { email: t.email, password: t.password } });
    await stack.http.post('/api/v1/auth/refresh', { body: { refresh_token: login.body.refresh_token } });
    await stack.http.get('/api/v1/auth/me', { token: login.body.access_token });
    await stack.http.get('/api/v1/users', { token: login.body.access_token });
    // A failing request too: errors are logged with more detail than successes.
    await stack.http.post('/api/v1/auth/login', { body: { email: t.email, password: 'wrong password!' } });

    const log = lines.join('\n');
    expect(lines.length).toBeGreaterThan(5);
    expect(log).toContain(t.userId); // the log does say who called
    for (const secret of [t.password, t.token, t.refreshToken, login.body.access_token, login.body.refresh_token, 'test-secret-that-is-at-least-32']) {
      expect(log).not.toContain(secret);
    }
    const users = await stack.http.get('/api/v1/users', { token: login.body.access_token });
    expect(JSON.stringify(users.body)).not.toMatch(/password|hash|argon/i);
  });
});
