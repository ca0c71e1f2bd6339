import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { captureHistory } from '../support/histories.ts';
import { abandonAnswer } from '../support/idempotency.ts';

let stack: TestStack;
let t: TestTenant;
let other: TestTenant;
beforeAll(async () => {
  // Small batches, so a few thousand rows make many commits to kill a worker between.
  stack = await startStack({ env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', RATE_LIMIT_PER_MINUTE: '1000', LEAD_IMPORT_BATCH_ROWS: '50' } });
  [t, other] = [await aTenant(stack.http), await aTenant(stack.http)];
  await eventually(async () => ((await stack.http.get('/api/v1/crm/pipelines', { token: t.token })).body.data?.length ? true : undefined), { what: 'onboarding' });
});
afterAll(() => stack.close());

async function upload(token: string, csv: string | Buffer, filename = 'leads.csv', headers: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), filename);
  const res = await fetch(`${stack.http.base}/api/v1/crm/leads/import`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body: form });
  return { status: res.status, body: (await res.json()) as any };
}

async function finished(token: string, id: string) {
  return eventually(
    async () => {
      const res = await stack.http.get(`/api/v1/crm/lead-imports/${id}`, { token });
      return res.body.data.status === 'completed' || res.body.data.status === 'failed' ? res.body.data : undefined;
    },
    { what: `import ${id}`, timeoutMs: 120_000 },
  );
}

const leadCount = async (tenantId: string) => Number((await stack.orm.em.getConnection().execute<Array<{ n: string }>>('select count(*) as n from lead where tenant_id = ?', [tenantId]))[0].n);

describe('lead import and export', () => {
  it('imports good rows, rejects bad ones with the row and reason, and updates on a second upload of the same file', async () => {
    const csv = [
      'First Name,Last Name,Email,Phone,Company,Job Title,Industry,Source,Status,Value,Notes,Favourite colour',
      'John,Doe,john.doe@acme.example,+1-555-123-4567,Acme Corp,VP of Sales,technology,website,new,1500.50,Interested in our AI solution,blue',
      'Jane,Roe,jane@acme.example,,acme corp,,,referral,qualified,,"Said ""call me"", twice",',
      ',,,,,,,,,,,',
      'Bad,Mail,not-an-email,,,,,,,,,',
      'Bad,Status,bad.status@example.com,,,,,,maybe,,,',
      'Jim,Poe,,+44 20 7946 0001,,,,,,,,',
    ].join('\r\n');
    const first = await upload(t.token, csv);
    expect(first.status).toBe(202);
    expect(first.body.data).toMatchObject({ status: 'queued', filename: 'leads.csv', run: { workflow_id: `lead-import-${first.body.data.id}` } });
    const done = await finished(t.token, first.body.data.id);
    // A line of empty cells is skipped, not a row; rows are numbered as records (header = 1).
    expect(done).toMatchObject({ status: 'completed', rows_done: 5, created: 3, updated: 0, rejected: 2 });
    expect(done.rejections).toEqual([
      { row: 4, reason: 'email: "not-an-email" is not an email address' },
      { row: 5, reason: expect.stringMatching(/^status: "maybe" is not one of/) },
    ]);
    // The row commits 'completed' inside the last activity; the run closes a moment later.
    const run = await eventually(async () => {
      const res = await stack.http.get(`/api/v1/runs/lead-import-${first.body.data.id}`, { token: t.token });
      return res.body.data?.status === 'running' ? undefined : res;
    }, { what: 'the import run closed' });
    captureHistory(`lead-import-${first.body.data.id}`, 'lead-import-completed');
    expect(run.body.data).toMatchObject({ type: 'importLeadsWorkflow', status: 'completed', result: { state: 'completed', created: 3, rejected: 2 } });

    const john = (await stack.http.get('/api/v1/crm/leads?contact_email=john.doe@acme.example', { token: t.token })).body.data;
    expect(john).toHaveLength(1);
    expect(john[0]).toMatchObject({ source: 'website', value: 1500.5, contact: { name: 'John Doe', phone: '+15551234567', company: 'Acme Corp' } });
    expect(john[0].score).toBeGreaterThan(0);
    const jane = (await stack.http.get('/api/v1/crm/leads?contact_email=jane@acme.example', { token: t.token })).body.data[0];
    expect(jane.company_id).toBe(john[0].company_id);
    expect((await stack.http.get(`/api/v1/crm/companies/${john[0].company_id}`, { token: t.token })).body.data).toMatchObject({ name: 'Acme Corp', industry: 'technology' });

    const before = await leadCount(t.tenantId);
    const again = await finished(t.token, (await upload(t.token, csv)).body.data.id);
    expect(again).toMatchObject({ status: 'completed', created: 0, updated: 3, rejected: 2 });
    expect(await leadCount(t.tenantId)).toBe(before);
  });

  it('imports a file once when its upload is retried after the API died between its commit and its answer', async () => {
    const key = `import-${randomUUID()}`;
    const csv = `First Name,Email,Source\nRetried,retried.${randomUUID().slice(0, 8)}@example.com,website\n`;
    const first = await upload(t.token, csv, 'retried.csv', { 'Idempotency-Key': key });
    expect(first.status).toBe(202);
    await abandonAnswer(stack, key);
    const again = await upload(t.token, csv, 'retried.csv', { 'Idempotency-Key': key });
    expect(again.status).toBe(202);
    expect(again.body.data).toMatchObject({ id: first.body.data.id, run: { workflow_id: `lead-import-${first.body.data.id}` } });
    const imports = await stack.orm.em.getConnection().execute<Array<{ n: string }>>(`select count(*) as n from lead_imports where tenant_id = ? and filename = 'retried.csv'`, [t.tenantId]);
    expect(imports[0].n).toBe('1');
    expect(await finished(t.token, first.body.data.id)).toMatchObject({ status: 'completed', created: 1 });
  });

  it('exports the filtered leads as CSV with formulas defused, and the export imports back without duplicates', async () => {
    const fresh = await aTenant(stack.http);
    for (const [name, source] of [['=HYPERLINK("http://evil.example")', 'web'], ['Plain Person', 'web'], ['Other Source', 'fair']]) {
      await stack.http.post('/api/v1/crm/leads', { token: fresh.token, body: { source, value: 10, contact: { name, email: `${source}-${name.length}@example.com` } } });
    }
    const res = await fetch(`${stack.http.base}/api/v1/crm/leads/export?format=csv&source=web`, { headers: { authorization: `Bearer ${fresh.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="leads-\d{4}-\d{2}-\d{2}\.csv"/);
    const text = await res.text();
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.name).sort()).toEqual(["'=HYPERLINK(\"http://evil.example\")", 'Plain Person']);
    expect(rows[0]).toMatchObject({ source: 'web', value: '10', currency: 'USD', status: 'new' });

    const before = await leadCount(fresh.tenantId);
    const back = await finished(fresh.token, (await upload(fresh.token, text, 'export.csv')).body.data.id);
    expect(back).toMatchObject({ status: 'completed', created: 0, updated: 2, rejected: 0 });
    expect(await leadCount(fresh.tenantId)).toBe(before);
    // The guard came off on the way in: the name is stored as it was.
    const evil = (await stack.http.get('/api/v1/crm/leads?search=HYPERLINK', { token: fresh.token })).body.data;
    expect(evil[0].contact.name).toBe('=HYPERLINK("http://evil.example")');

    const otherExport = await (await fetch(`${stack.http.base}/api/v1/crm/leads/export`, { headers: { authorization: `Bearer ${other.token}` } })).text();
    expect(otherExport).not.toContain('Plain Person');
    expect((await stack.http.get(`/api/v1/crm/lead-imports/${back.id}`, { token: other.token })).status).toBe(404);
    expect((await stack.http.get('/api/v1/crm/lead-imports', { token: other.token })).body.data.map((i: { id: string }) => i.id)).not.toContain(back.id);
  });

  it('refuses what is not a CSV upload, and fails a file with no usable columns with the reason', async () => {
    const json = await stack.http.post('/api/v1/crm/leads/import', { token: t.token, body: { file: 'a,b' } });
    expect(json.status).toBe(415);
    expect(json.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const form = new FormData();
    form.append('other', 'x');
    const missing = await fetch(`${stack.http.base}/api/v1/crm/leads/import`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, body: form });
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as { error: { details: { fields: Array<{ field: string }> } } }).error.details.fields[0].field).toBe('body.file');

    const failed = await finished(t.token, (await upload(t.token, 'colour,size\nred,big\n')).body.data.id);
    await eventually(async () => ((await stack.http.get(`/api/v1/runs/lead-import-${failed.id}`, { token: t.token })).body.data.status === 'completed' ? true : undefined), { what: 'the run to end' });
    captureHistory(`lead-import-${failed.id}`, 'lead-import-bad-file');
    expect(failed).toMatchObject({ status: 'failed', created: 0 });
    expect(failed.error).toMatch(/names no email, phone or id column \(found: colour, size\)/);
  });

  it('resumes after its worker is killed mid-import, with every row written once', async () => {
    const fresh = await aTenant(stack.http);
    const ROWS = 2_000;
    const csv = ['email,name,source', ...Array.from({ length: ROWS }, (_, i) => `bulk${i}@example.com,Bulk ${i},bulk`)].join('\n');
    const { body } = await upload(fresh.token, csv);
    await eventually(async () => ((await stack.http.get(`/api/v1/crm/lead-imports/${body.data.id}`, { token: fresh.token })).body.data.rows_done >= 100 ? true : undefined), { what: 'first batches', timeoutMs: 60_000 });
    await stack.worker!.kill();
    const atKill = (await stack.http.get(`/api/v1/crm/lead-imports/${body.data.id}`, { token: fresh.token })).body.data.rows_done;
    expect(atKill).toBeLessThan(ROWS);
    await stack.startWorker();
    const done = await finished(fresh.token, body.data.id);
    expect(done).toMatchObject({ status: 'completed', rows_done: ROWS, created: ROWS, updated: 0, rejected: 0 });
    expect(await leadCount(fresh.tenantId)).toBe(ROWS);
    const contacts = Number((await stack.orm.em.getConnection().execute<Array<{ n: string }>>('select count(distinct email) as n from contact where tenant_id = ?', [fresh.tenantId]))[0].n);
    expect(contacts).toBe(ROWS);
  });
});
