import { randomUUID } from 'node:crypto';
import type { HttpClient } from './http.ts';

export interface TestTenant {
  token: string;
  refreshToken: string;
  tenantId: string;
  userId: string;
  email: string;
  password: string;
  onboardingWorkflowId: string | null;
}

let counter = 0;

/** A new tenant with its admin, registered through the API like a real sign-up. */
export async function aTenant(http: HttpClient, overrides: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<TestTenant> {
  const email = `owner-${Date.now()}-${++counter}-${randomUUID().slice(0, 8)}@example.com`;
  const password = 'correct horse battery';
  const res = await http.post('/api/v1/auth/register', {
    headers,
    body: { email, password, full_name: 'Ada Lovelace', company_name: 'Acme Ltd', ...overrides },
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  const d = res.body.data;
  return {
    token: d.access_token,
    refreshToken: d.refresh_token,
    tenantId: d.user.tenant_id,
    userId: d.user.id,
    email,
    password,
    onboardingWorkflowId: d.run?.workflow_id ?? null,
  };
}

export async function aContact(http: HttpClient, token: string, overrides: Record<string, unknown> = {}) {
  const res = await http.post('/api/v1/contacts', {
    token,
    body: { name: 'Grace Hopper', email: `grace-${randomUUID().slice(0, 8)}@navy.mil`, phone: '+1 202 555 0143', tags: ['vip'], ...overrides },
  });
  if (res.status !== 201) throw new Error(`contact create failed: ${res.status} ${res.text}`);
  return res.body.data as { id: string; name: string; email: string };
}

/** Polls until `check` returns a value (not undefined), or fails with what it last saw. */
export async function eventually<T>(check: () => Promise<T | undefined>, { timeoutMs = 30_000, intervalMs = 200, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
