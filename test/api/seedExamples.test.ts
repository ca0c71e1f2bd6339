import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { codeBlock, pointedAt, runJavaScript } from '../support/seedExamples.ts';

/**
 * The JavaScript client examples of the original API docs, run as the docs print them
 * (test/support/seedExamples.ts), with only their base URL and token pointed at this API.
 */
let stack: TestStack;
let t: TestTenant;
beforeAll(async () => {
  stack = await startStack();
  t = await aTenant(stack.http);
  // Leads land in the default pipeline that onboarding creates.
  await eventually(async () => ((await stack.http.get('/api/v1/crm/pipelines', { token: t.token })).body.data?.length ? true : undefined), { what: 'onboarding' });
});
afterAll(() => stack.close());

interface Lead {
  id: string;
  source: string;
  status: string;
  value: number;
  contact: { name: string; email: string; phone: string | null; company: string | null };
}

describe("seed 000's CRMSync (JavaScript)", () => {
  const example = () => pointedAt(codeBlock('000', 'javascript', 'class CRMSync'), { 'https://api.ai-secretary.com/api/v1': `${stack.http.base}/api/v1`, 'your-access-token': t.token });
  const janes = async () => (await stack.http.get<{ data: Lead[] }>('/api/v1/crm/leads?contact_email=jane@example.com', { token: t.token })).body.data;

  it('creates the external lead, then finds it by email and updates it on the next sync', async () => {
    const first = await runJavaScript(example());
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain("action: 'created'");
    const [created, ...others] = await janes();
    expect(others).toEqual([]);
    expect(created).toMatchObject({ source: 'salesforce', status: 'qualified', value: 10000, contact: { name: 'Jane Smith', email: 'jane@example.com', company: 'Example Corp' } });

    const second = await runJavaScript(example());
    expect(second.stdout).toContain("action: 'updated'");
    expect(second.stdout).not.toContain("action: 'error'");
    expect(await janes()).toEqual([expect.objectContaining({ id: created.id, status: 'qualified', value: 10000 })]);
  });
});

describe("seed 002's SDK example (JavaScript)", () => {
  it('signs in with the documented credentials and creates the contact', async () => {
    const owner = await aTenant(stack.http, { email: 'user@example.com', password: 'password' });
    const example = pointedAt(codeBlock('002', 'javascript', "fetch('http://localhost:8000/auth/login'"), { 'http://localhost:8000': `${stack.http.base}/api/v1` });
    await runJavaScript(example);
    const contacts = (await stack.http.get('/api/v1/contacts?search=Jane', { token: owner.token })).body.data;
    expect(contacts).toEqual([expect.objectContaining({ name: 'Jane Smith', email: 'jane@example.com', phone: '+1234567891' })]);
    // The example's contact went to the tenant it signed in to, and nowhere else.
    const elsewhere = (await stack.http.get<{ data: Array<{ phone: string }> }>('/api/v1/contacts?search=Jane', { token: t.token })).body.data;
    expect(elsewhere.map((c) => c.phone)).not.toContain('+1234567891');
  });
});
