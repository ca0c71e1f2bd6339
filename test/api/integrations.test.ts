import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { logSink } from '../support/logSink.ts';
import { aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { captureHistory } from '../support/histories.ts';
import { untilScheduleCanStartAgain } from '../support/schedules.ts';
import { startFakeSalesforce, type FakeSalesforce } from '../fakes/salesforceServer.ts';
import { startFakeHubSpot, type FakeHubSpot } from '../fakes/hubspotServer.ts';
import { createLogger } from '../../lib/logger.ts';
import { createSecretBox, parseKey } from '../../lib/crypto.ts';
import { crmScheduleId } from '../../workflows/syncCrm.client.ts';

/**
 * CRM integrations end to end: the API and the worker drive the real `jsforce` and
 * `@hubspot/api-client` against the fake Salesforce and HubSpot servers
 * (test/fakes/salesforceServer.ts, hubspotServer.ts). Pages of 200 records, a one-second
 * overlap, so counts are exact.
 */
const { lines: logLines, stream: sink } = logSink();

let stack: TestStack;
let sf: FakeSalesforce;
let hs: FakeHubSpot;
let t: TestTenant;
/** Every worker the file started, for their log lines. */
const workers: Array<{ output(): string }> = [];
const api = '/api/v1';
const SF_PASSWORD = 'sf-password-Secret1';
const SF_TOKEN = 'sfSecurityTokenXYZ';
const HOUR_AGO = () => new Date(Date.now() - 3_600_000);
/** A key rotated out: in ENCRYPTION_KEYS, it still opens what it sealed. */
const OLD_KEY = 'a1'.repeat(32);

beforeAll(async () => {
  [sf, hs] = await Promise.all([startFakeSalesforce(), startFakeHubSpot()]);
  sf.credentials.username = 'user@example.com';
  sf.credentials.password = SF_PASSWORD;
  sf.credentials.securityToken = SF_TOKEN;
  stack = await startStack({
    env: {
      RATE_LIMIT_PER_MINUTE: '10000',
      RATE_LIMIT_AUTH_PER_MINUTE: '1000',
      SALESFORCE_LOGIN_URL: sf.url,
      SALESFORCE_CLIENT_ID: 'test-connected-app',
      SALESFORCE_CLIENT_SECRET: 'test-connected-app-secret',
      HUBSPOT_API_URL: hs.url,
      CRM_SYNC_PAGE_SIZE: '200',
      CRM_SYNC_OVERLAP: '1s',
      ENCRYPTION_KEYS: OLD_KEY,
    },
    log: createLogger('debug', 'api-test', { destination: sink }),
  });
  if (stack.worker) workers.push(stack.worker);
  t = await aTenant(stack.http);
}, 120_000);
afterAll(async () => {
  await stack.close();
  await Promise.all([sf.close(), hs.close()]);
});

interface SyncRun {
  id: string;
  status: string;
  trigger: string;
  full: boolean;
  counts: Record<string, number>;
  error: string | null;
  workflow_id: string;
}

const seedConfig = { username: 'user@example.com', password: SF_PASSWORD, security_token: SF_TOKEN, domain: 'company.salesforce.com' };

async function addSalesforce(tenant: TestTenant, body: Record<string, unknown> = {}): Promise<string> {
  const res = await stack.http.post(`${api}/integrations`, { token: tenant.token, body: { type: 'salesforce', config: seedConfig, sync_interval_minutes: 0, ...body } });
  expect(res.status).toBe(201);
  return res.body.data.id as string;
}

/** Starts a sync of one data type and waits for its run to close; answers the run's row. */
async function sync(tenant: TestTenant, id: string, dataType = 'contacts', opts: { timeoutMs?: number; expect?: string } = {}): Promise<SyncRun> {
  const before = ((await stack.http.get(`${api}/integrations/${id}/sync/${dataType}`, { token: tenant.token })).body.data.runs as SyncRun[]).length;
  const res = await stack.http.post(`${api}/integrations/${id}/sync/${dataType}`, { token: tenant.token });
  expect(res.status).toBe(202);
  expect(res.body.data.run.workflow_id).toBe(`crm-sync-${id}-${dataType}`);
  const run = await eventually(
    async () => {
      const runs = (await stack.http.get(`${api}/integrations/${id}/sync/${dataType}`, { token: tenant.token })).body.data.runs as SyncRun[];
      return runs.length > before && runs[0].status !== 'running' ? runs[0] : undefined;
    },
    { what: `a ${dataType} sync`, timeoutMs: opts.timeoutMs ?? 60_000 },
  );
  expect(run.status).toBe(opts.expect ?? 'completed');
  // The row closes just before its workflow does; a sync asked for meanwhile would join the closing run.
  await eventually(async () => ((await stack.http.get(`${api}/runs/${run.workflow_id}`, { token: tenant.token })).body.data.status !== 'running' ? true : undefined), { what: 'the run to close' });
  return run;
}

const sql = <T,>(text: string, params: unknown[] = []) => stack.orm.em.getConnection().execute<T[]>(text, params);
const contactsOf = (tenantId: string) => sql<{ id: string; name: string; email: string | null; phone: string | null; archived_at: Date | null }>('select id, name, email, phone, archived_at from contact where tenant_id = ? order by email', [tenantId]);

describe('integrations API (seed 001)', () => {
  it('lists the types with their secret fields, SAP not available', async () => {
    const res = await stack.http.get(`${api}/integrations/types`, { token: t.token });
    expect(res.status).toBe(200);
    const byType = Object.fromEntries((res.body.data as Array<{ type: string }>).map((x) => [x.type, x]));
    expect(byType.salesforce).toMatchObject({ category: 'crm', available: true, data_types: ['contacts', 'leads', 'activities'] });
    expect(byType.salesforce).toMatchObject({ config_fields: expect.arrayContaining([{ name: 'password', is_secret: true, required: false, description: expect.any(String) }]) });
    expect(byType.hubspot).toMatchObject({ available: true, data_types: ['contacts', 'leads', 'activities'], ownable_fields: { contacts: ['name', 'email', 'phone', 'organization', 'job_title'] } });
    expect(byType.sap).toMatchObject({ category: 'erp', available: false });
  });

  it('adds seed 001’s Salesforce integration with its secrets sealed and never returned', async () => {
    const id = await addSalesforce(t, { name: 'Sales org' });
    const got = await stack.http.get(`${api}/integrations/${id}`, { token: t.token });
    expect(got.body.data).toMatchObject({ type: 'salesforce', category: 'crm', name: 'Sales org', status: 'active', config: { username: 'user@example.com', domain: 'company.salesforce.com' }, secrets_set: ['password', 'security_token'] });
    const [row] = await sql<{ secrets_sealed: string }>('select secrets_sealed from integrations where id = ?', [id]);
    expect(row.secrets_sealed).toMatch(/^v1\./);
    expect(row.secrets_sealed).not.toContain(SF_PASSWORD);
    const list = await stack.http.get(`${api}/integrations?type=crm`, { token: t.token });
    expect((list.body.data as Array<{ id: string }>).map((i) => i.id)).toContain(id);
    expect((await stack.http.get(`${api}/integrations?type=erp`, { token: t.token })).body.data).toEqual([]);
    expect((await stack.http.get(`${api}/integrations?type=hubspot`, { token: t.token })).body.data).toEqual([]);
    for (const body of [list.body, got.body]) expect(JSON.stringify(body)).not.toMatch(new RegExp(`${SF_PASSWORD}|${SF_TOKEN}`));
    await stack.http.delete(`${api}/integrations/${id}`, { token: t.token });
  });

  it('refuses a bad config field by field, an unknown type and SAP', async () => {
    const bad = await stack.http.post(`${api}/integrations`, { token: t.token, body: { type: 'salesforce', config: { username: 'u', colour: 'red' } } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'body.config.colour' })]));
    const missing = await stack.http.post(`${api}/integrations`, { token: t.token, body: { type: 'salesforce', config: { username: 'u' } } });
    expect(missing.body.error.details.fields).toEqual([expect.objectContaining({ field: 'body.config', message: 'needs username + password, or instance_url + access_token' })]);
    expect((await stack.http.post(`${api}/integrations`, { token: t.token, body: { type: 'zoho', config: {} } })).status).toBe(422);
    const sap = await stack.http.post(`${api}/integrations`, { token: t.token, body: { type: 'sap', config: {} } });
    expect(sap.body.error.details.fields[0].message).toMatch(/not available yet/);
    const owners = await stack.http.post(`${api}/integrations`, { token: t.token, body: { type: 'hubspot', config: { access_token: 'x' }, field_owners: { shoe_size: 'local' } } });
    expect(owners.body.error.details.fields[0].field).toBe('body.field_owners.shoe_size');
  });

  it('opens secrets sealed with a rotated-out key and seals them again with the current one', async () => {
    const tenant = await aTenant(stack.http);
    const id = await addSalesforce(tenant);
    const old = createSecretBox({ current: parseKey(OLD_KEY) });
    await sql('update integrations set secrets_sealed = ? where id = ?', [old.seal(JSON.stringify({ password: SF_PASSWORD, security_token: SF_TOKEN })), id]);
    const run = await sync(tenant, id);
    expect(run.status).toBe('completed');
    const [row] = await sql<{ secrets_sealed: string }>('select secrets_sealed from integrations where id = ?', [id]);
    expect(old.isStale(row.secrets_sealed)).toBe(true);
    expect(() => old.open(row.secrets_sealed)).toThrow(/unknown key/);
  });

  it('tests the credentials for real: a wrong password says so and needs re-auth; fixed, it is active again', async () => {
    const id = await addSalesforce(t);
    const ok = await stack.http.post(`${api}/integrations/${id}/test`, { token: t.token });
    expect(ok.body.data).toMatchObject({ success: true, status: 'active', error_code: null });
    await stack.http.patch(`${api}/integrations/${id}`, { token: t.token, body: { config: { password: 'wrong password' } } });
    const refused = await stack.http.post(`${api}/integrations/${id}/test`, { token: t.token });
    expect(refused.body.data).toMatchObject({ success: false, status: 'needs_reauth', error_code: 'INVALID_LOGIN' });
    expect(refused.body.data.message).toMatch(/credentials were refused/);
    expect((await stack.http.post(`${api}/integrations/${id}/sync/contacts`, { token: t.token })).status).toBe(409);
    const fixed = await stack.http.patch(`${api}/integrations/${id}`, { token: t.token, body: { config: { password: SF_PASSWORD } } });
    expect(fixed.body.data.status).toBe('active');
    expect((await stack.http.post(`${api}/integrations/${id}/test`, { token: t.token })).body.data.success).toBe(true);
    await stack.http.delete(`${api}/integrations/${id}`, { token: t.token });
  });

  it('keeps every route to another tenant’s integration a 404', async () => {
    const id = await addSalesforce(t);
    const other = await aTenant(stack.http);
    for (const [method, path] of [
      ['get', `/integrations/${id}`],
      ['patch', `/integrations/${id}`],
      ['delete', `/integrations/${id}`],
      ['post', `/integrations/${id}/test`],
      ['post', `/integrations/${id}/sync/contacts`],
      ['get', `/integrations/${id}/sync/contacts`],
    ] as const) {
      const res = await stack.http[method](`${api}${path}`, { token: other.token, ...(method === 'patch' ? { body: { name: 'mine' } } : {}) });
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
    expect((await stack.http.get(`${api}/integrations`, { token: other.token })).body.data).toEqual([]);
    await stack.http.delete(`${api}/integrations/${id}`, { token: t.token });
  });
});

describe('Salesforce contacts sync', () => {
  let tenant: TestTenant;
  let id: string;
  beforeAll(async () => {
    tenant = await aTenant(stack.http);
    id = await addSalesforce(tenant);
  });

  it('does a full first sync in pages, linking a contact both sides had by its email and pushing one only we had', async () => {
    const person = (i: number) => ({ FirstName: 'Sf', LastName: `Person ${String(i).padStart(3, '0')}`, Email: `sf${i}@example.com`, Phone: `+1555000${String(i).padStart(4, '0')}` });
    sf.seed('Contact', Array.from({ length: 449 }, (_, i) => person(i)), { modstamp: new Date(Date.now() - 7_200_000) });
    sf.seed('Contact', [person(449)], { modstamp: HOUR_AGO() });
    await stack.http.post(`${api}/contacts`, { token: tenant.token, body: { name: 'Sf Person 000', email: 'sf0@example.com' } });
    await stack.http.post(`${api}/contacts`, { token: tenant.token, body: { name: 'Only Ours', email: 'ours@example.com', phone: '+15550009999' } });
    const run = await sync(tenant, id);
    captureHistory(run.workflow_id, 'crm-sync-completed');
    expect(run).toMatchObject({ full: true, trigger: 'manual', counts: { fetched: 450, created: 449, updated: 1, archived: 0, pushed: 1, conflicts: 0, errors: 0 } });
    const contacts = await contactsOf(tenant.tenantId);
    expect(contacts).toHaveLength(451);
    // The one both had took Salesforce's phone; ours went to Salesforce.
    expect(contacts.find((c) => c.email === 'sf0@example.com')?.phone).toBe('+15550000000');
    expect(sf.records('Contact').find((r) => r.Email === 'ours@example.com')).toMatchObject({ FirstName: 'Only', LastName: 'Ours', Phone: '+15550009999' });
    const links = await sql<{ n: string }>('select count(*) as n from integration_records where integration_id = ?', [id]);
    expect(Number(links[0].n)).toBe(451);
  });

  it('then pulls only what changed, 300 records sharing one timestamp across page boundaries included', async () => {
    const ids = sf.records('Contact').slice(0, 3).map((r) => r.Id);
    for (const rid of ids) sf.touch('Contact', rid, { Title: 'VP Sales' });
    const shared = new Date(Date.now() - 1_000);
    sf.seed('Contact', Array.from({ length: 300 }, (_, i) => ({ LastName: `Same Stamp ${i}`, Email: `same${i}@example.com` })), { modstamp: shared });
    const run = await sync(tenant, id);
    expect(run).toMatchObject({ full: false, counts: { created: 300, updated: 3, pushed: 0, errors: 0 } });
    // The changes, and the few records at the last high-water mark the overlap reads again.
    expect(run.counts.fetched).toBeLessThan(310);
    const dupes = await sql<{ n: string }>('select count(*) as n from (select email from contact where tenant_id = ? group by email having count(*) > 1) d', [tenant.tenantId]);
    expect(Number(dupes[0].n)).toBe(0);
    expect(await contactsOf(tenant.tenantId)).toHaveLength(751);
  });

  it('pushes a local change out and does not pull its echo back as a change', async () => {
    const [c] = await sql<{ id: string }>("select id from contact where tenant_id = ? and email = 'sf5@example.com'", [tenant.tenantId]);
    await stack.http.patch(`${api}/contacts/${c.id}`, { token: tenant.token, body: { phone: '+15557770000', job_title: 'Founder' } });
    const run = await sync(tenant, id);
    expect(run.counts).toMatchObject({ pushed: 1, updated: 0, conflicts: 0 });
    expect(sf.records('Contact').find((r) => r.Email === 'sf5@example.com')).toMatchObject({ Phone: '+15557770000', Title: 'Founder' });
    const echo = await sync(tenant, id);
    expect(echo.counts).toMatchObject({ created: 0, updated: 0, pushed: 0, conflicts: 0 });
  });

  it('settles a field changed on both sides: the most recent change wins, unless one side owns it', async () => {
    const [c] = await sql<{ id: string }>("select id from contact where tenant_id = ? and email = 'sf6@example.com'", [tenant.tenantId]);
    const remote = () => sf.records('Contact').find((r) => r.Email === 'sf6@example.com');
    await stack.http.patch(`${api}/contacts/${c.id}`, { token: tenant.token, body: { phone: '+15551110001' } });
    sf.touch('Contact', String(remote()?.Id), { Phone: '+15552220002' }, { modstamp: new Date(Date.now() + 1_000) });
    const newest = await sync(tenant, id);
    expect(newest.counts).toMatchObject({ conflicts: 1, updated: 1, pushed: 0 });
    expect((await contactsOf(tenant.tenantId)).find((x) => x.id === c.id)?.phone).toBe('+15552220002');

    await stack.http.patch(`${api}/integrations/${id}`, { token: tenant.token, body: { field_owners: { phone: 'local' } } });
    await stack.http.patch(`${api}/contacts/${c.id}`, { token: tenant.token, body: { phone: '+15551110003' } });
    sf.touch('Contact', String(remote()?.Id), { Phone: '+15552220004' }, { modstamp: new Date(Date.now() + 2_000) });
    const owned = await sync(tenant, id);
    expect(owned.counts).toMatchObject({ conflicts: 1, updated: 0, pushed: 1 });
    expect(remote()?.Phone).toBe('+15551110003');
    await stack.http.patch(`${api}/integrations/${id}`, { token: tenant.token, body: { field_owners: {} } });
  });

  it('mirrors a deletion in Salesforce as an archived contact, out of the list', async () => {
    const gone = sf.records('Contact').filter((r) => r.Email === 'sf10@example.com' || r.Email === 'sf11@example.com');
    for (const r of gone) sf.remove('Contact', r.Id);
    // Salesforce answers deletions to the second: the run asks up to its own start.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const run = await sync(tenant, id);
    expect(run.counts.archived).toBe(2);
    const archived = (await contactsOf(tenant.tenantId)).filter((c) => c.archived_at);
    expect(archived.map((c) => c.email).sort()).toEqual(['sf10@example.com', 'sf11@example.com']);
    const listed = await stack.http.get(`${api}/contacts?search=sf10@`, { token: tenant.token });
    expect(listed.body.data).toEqual([]);
    const shown = await stack.http.get(`${api}/contacts?search=sf10@&archived=true`, { token: tenant.token });
    expect(shown.body.data).toEqual([expect.objectContaining({ email: 'sf10@example.com', archived_at: expect.any(String) })]);
  });

  it('reconciles in full when Salesforce no longer remembers deletions back to the last check', async () => {
    const r = sf.records('Contact').find((x) => x.Email === 'sf12@example.com');
    sf.remove('Contact', String(r?.Id));
    sf.earliestDateAvailable = new Date(Date.now() + 1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const run = await sync(tenant, id);
    sf.earliestDateAvailable = new Date(Date.now() - 30 * 86_400_000);
    expect(run.counts.archived).toBe(1);
    expect((await contactsOf(tenant.tenantId)).find((c) => c.email === 'sf12@example.com')?.archived_at).not.toBeNull();
  });

  it('waits as long as a 429’s Retry-After asks, and carries on', async () => {
    // jsforce itself retries a GET on 429 five times; a write it leaves to us.
    const [c] = await sql<{ id: string }>("select id from contact where tenant_id = ? and email = 'sf20@example.com'", [tenant.tenantId]);
    await stack.http.patch(`${api}/contacts/${c.id}`, { token: tenant.token, body: { job_title: 'After The Wait' } });
    const failedBefore = sf.calls.failed;
    sf.failNext(1, { status: 429, headers: { 'Retry-After': '8' }, body: [{ message: 'Too many requests', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], match: /composite\/sobjects/ });
    const started = Date.now();
    const run = await sync(tenant, id);
    expect(sf.calls.failed - failedBefore).toBe(1);
    // Longer than the activity's own first retry (5 s): the provider's pace, not ours.
    expect(Date.now() - started).toBeGreaterThanOrEqual(8_000);
    expect(run.counts.pushed).toBe(1);
    expect(sf.records('Contact').find((r) => r.Email === 'sf20@example.com')?.Title).toBe('After The Wait');
    const got = await stack.http.get(`${api}/integrations/${id}`, { token: tenant.token });
    expect(got.body.data.quota).toMatchObject({ remaining: expect.any(Number), limit: 15_000 });
  });

  it('logs in again by itself when its session expires', async () => {
    const logins = sf.calls.login;
    sf.expireSessions();
    sf.seed('Contact', [{ LastName: 'After Expiry', Email: 'expiry@example.com' }]);
    const run = await sync(tenant, id);
    expect(run.counts.created).toBe(1);
    expect(sf.calls.login).toBeGreaterThan(logins);
  });

  it('resumes after its worker is killed mid-sync, with no record twice', async () => {
    sf.seed('Contact', Array.from({ length: 4_000 }, (_, i) => ({ LastName: `Bulk ${i}`, Email: `bulk${i}@example.com` })));
    sf.delayMs = 150;
    const res = await stack.http.post(`${api}/integrations/${id}/sync/contacts`, { token: tenant.token });
    expect(res.status).toBe(202);
    await eventually(async () => {
      const runs = (await stack.http.get(`${api}/integrations/${id}/sync/contacts`, { token: tenant.token })).body.data.runs as SyncRun[];
      return runs[0]?.status === 'running' && runs[0].counts.fetched >= 1_000 ? true : undefined;
    }, { what: 'a few pages', timeoutMs: 60_000 });
    // Progress while it pulls: the page activity's heartbeat, through /runs.
    const live = await eventually(async () => {
      const run = (await stack.http.get(`${api}/runs/crm-sync-${id}-contacts`, { token: tenant.token })).body.data;
      const pull = (run.pending_activities as Array<{ activity_type: string; heartbeat: { pages: number; counts: { fetched: number } } | null }>).find((a) => a.activity_type === 'pullCrmPages');
      return pull?.heartbeat && pull.heartbeat.counts.fetched > 0 ? { run, pull } : undefined;
    }, { what: 'the pull’s heartbeat' });
    expect(live.run.progress).toMatchObject({ state: 'pulling' });
    await stack.worker?.kill();
    workers.push(await stack.startWorker());
    sf.delayMs = 0;
    const run = await eventually(async () => {
      const runs = (await stack.http.get(`${api}/integrations/${id}/sync/contacts`, { token: tenant.token })).body.data.runs as SyncRun[];
      return runs[0].status !== 'running' ? runs[0] : undefined;
    }, { what: 'the resumed sync', timeoutMs: 120_000 });
    expect(run).toMatchObject({ status: 'completed', counts: { created: 4_000, errors: 0 } });
    const bulk = await sql<{ n: string; d: string }>("select count(*) as n, count(distinct email) as d from contact where tenant_id = ? and email like 'bulk%'", [tenant.tenantId]);
    expect(bulk[0]).toEqual({ n: '4000', d: '4000' });
  }, 180_000);

  it('runs on its Temporal Schedule, and drops it when the interval is 0', async () => {
    await stack.http.patch(`${api}/integrations/${id}`, { token: tenant.token, body: { sync_interval_minutes: 30 } });
    const handle = stack.temporal.schedule.getHandle(crmScheduleId(id, 'contacts'));
    const described = await handle.describe();
    expect(described.spec.intervals?.[0]?.every).toBe(30 * 60_000);
    expect(described.action).toMatchObject({ workflowType: 'syncCrmWorkflow', workflowId: `crm-sync-${id}-contacts` });
    // A scheduled run that finds an asked-for one pulling leaves it be: skipped, and says why.
    // The asked-for run is held mid-pull until then, however slowly a loaded machine gets there.
    sf.seed('Contact', Array.from({ length: 5 }, (_, i) => ({ LastName: `Slow ${i}`, Email: `slow${i}@example.com` })));
    const release = sf.hold();
    let skippedWorkflowId: string;
    try {
      expect((await stack.http.post(`${api}/integrations/${id}/sync/contacts`, { token: tenant.token })).status).toBe(202);
      await eventually(async () => (((await stack.http.get(`${api}/integrations/${id}/sync/contacts`, { token: tenant.token })).body.data.runs as SyncRun[])[0]?.status === 'running' ? true : undefined), { what: 'the asked-for run' });
      await handle.trigger();
      const skipped = await eventually(async () => ((await stack.http.get(`${api}/integrations/${id}/sync/contacts`, { token: tenant.token })).body.data.runs as SyncRun[]).find((r) => r.trigger === 'schedule'), { what: 'the skipped run' });
      expect(skipped).toMatchObject({ status: 'skipped', error: expect.stringContaining(`another sync of contacts was running (crm-sync-${id}-contacts)`) });
      skippedWorkflowId = skipped.workflow_id;
    } finally {
      release();
    }
    await eventually(async () => {
      const runs = (await stack.http.get(`${api}/integrations/${id}/sync/contacts`, { token: tenant.token })).body.data.runs as SyncRun[];
      // Thrown, not returned: a timeout then says what the runs looked like last.
      if (runs.some((r) => r.trigger === 'manual' && r.status === 'running')) throw new Error(JSON.stringify(runs));
      return true;
    }, { what: 'the asked-for run to end', timeoutMs: 120_000 });
    await eventually(async () => ((await stack.http.get(`${api}/runs/crm-sync-${id}-contacts`, { token: tenant.token })).body.data.status !== 'running' ? true : undefined), { what: 'its workflow to close' });

    sf.seed('Contact', [{ LastName: 'Scheduled', Email: 'scheduled@example.com' }]);
    await untilScheduleCanStartAgain(stack.temporal, crmScheduleId(id, 'contacts'), skippedWorkflowId);
    await handle.trigger();
    const run = await eventually(async () => {
      const runs = (await stack.http.get(`${api}/integrations/${id}/sync/contacts`, { token: tenant.token })).body.data.runs as SyncRun[];
      // The schedule may also fire by itself (every :00 and :30): the run that pulled the new contact.
      return runs.find((r) => r.trigger === 'schedule' && r.status === 'completed' && r.counts?.created === 1);
    }, { what: 'the scheduled run', timeoutMs: 60_000 });
    expect(run).toMatchObject({ status: 'completed', counts: { created: 1 } });
    expect(run.workflow_id).toMatch(new RegExp(`^crm-sync-${id}-contacts-`));
    const listed = await stack.http.get(`${api}/runs?type=crm_sync`, { token: tenant.token });
    expect((listed.body.data as Array<{ workflow_id: string }>).map((r) => r.workflow_id)).toContain(run.workflow_id);
    await stack.http.patch(`${api}/integrations/${id}`, { token: tenant.token, body: { sync_interval_minutes: 0 } });
    await expect(handle.describe()).rejects.toThrow(/not found/i);
  }, 240_000);
});

describe('Salesforce leads sync', () => {
  it('pulls leads with their contacts, pushes a lead of ours, and maps statuses both ways', async () => {
    const tenant = await aTenant(stack.http);
    const id = await addSalesforce(tenant, { data_types: ['contacts', 'leads'] });
    sf.seed('Lead', [
      { FirstName: 'Lena', LastName: 'Lead', Email: 'lena@leads.example', Company: 'Leads Inc', Status: 'Working - Contacted', LeadSource: 'Web' },
      { LastName: 'Closed', Email: 'closed@leads.example', Company: 'Gone Ltd', Status: 'Closed - Not Converted' },
    ], { modstamp: HOUR_AGO() });
    const contact = await stack.http.post(`${api}/contacts`, { token: tenant.token, body: { name: 'Our Prospect', email: 'prospect@ours.example', organization: 'Ours' } });
    await stack.http.post(`${api}/crm/leads`, { token: tenant.token, body: { contact_id: contact.body.data.id, title: 'Wants 20 seats', status: 'qualified', source: 'referral' } });
    const run = await sync(tenant, id, 'leads');
    expect(run.counts).toMatchObject({ fetched: 2, created: 2, pushed: 1, errors: 0 });
    const leads = await sql<{ title: string; status: string; email: string }>('select l.title, l.status, c.email from lead l join contact c on c.id = l.contact_id where l.tenant_id = ? order by c.email', [tenant.tenantId]);
    expect(leads).toEqual([
      { title: 'Closed', status: 'lost', email: 'closed@leads.example' },
      { title: 'Lena Lead', status: 'contacted', email: 'lena@leads.example' },
      { title: 'Wants 20 seats', status: 'qualified', email: 'prospect@ours.example' },
    ]);
    expect(sf.records('Lead').find((l) => l.Email === 'prospect@ours.example')).toMatchObject({ LastName: 'Prospect', Company: 'Ours', Status: 'Working - Contacted', Description: 'Wants 20 seats', LeadSource: 'referral' });
    // Our finer stage survives the round trip: Salesforce's "Working - Contacted" is no change.
    const again = await sync(tenant, id, 'leads');
    expect(again.counts).toMatchObject({ updated: 0, pushed: 0 });
    expect((await sql<{ status: string }>("select status from lead where tenant_id = ? and title = 'Wants 20 seats'", [tenant.tenantId]))[0].status).toBe('qualified');

    // Activities: timeline notes on synced leads, as Tasks on those Leads.
    const lena = sf.records('Lead').find((l) => l.Email === 'lena@leads.example');
    const [task] = sf.seed('Task', [
      { Subject: 'Called Lena', Description: 'Called Lena about pricing', TaskSubtype: 'Call', WhoId: String(lena?.Id) },
      { Subject: 'Someone else', Description: 'On a record we do not sync', WhoId: '003000000000999AAA' },
    ]);
    const [ours] = await sql<{ id: string }>("select id from lead where tenant_id = ? and title = 'Wants 20 seats'", [tenant.tenantId]);
    await stack.http.post(`${api}/crm/leads/${ours.id}/notes`, { token: tenant.token, body: { content: 'Sent the proposal', type: 'email' } });
    const activities = await sync(tenant, id, 'activities');
    expect(activities.counts).toMatchObject({ fetched: 2, created: 1, pushed: 1, errors: 0 });
    const [lenaLead] = await sql<{ id: string }>("select l.id from lead l join contact c on c.id = l.contact_id where l.tenant_id = ? and c.email = 'lena@leads.example'", [tenant.tenantId]);
    const timeline = await stack.http.get(`${api}/crm/leads/${lenaLead.id}/notes`, { token: tenant.token });
    expect(timeline.body.data).toEqual([expect.objectContaining({ content: 'Called Lena about pricing', type: 'call' })]);
    const oursAtSf = sf.records('Lead').find((l) => l.Email === 'prospect@ours.example');
    expect(sf.records('Task').find((x) => x.WhoId === oursAtSf?.Id)).toMatchObject({ Subject: 'Sent the proposal', Description: 'Sent the proposal', TaskSubtype: 'Email' });

    sf.remove('Task', task.Id);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const removed = await sync(tenant, id, 'activities');
    expect(removed.counts.archived).toBe(1);
    expect((await stack.http.get(`${api}/crm/leads/${lenaLead.id}/notes`, { token: tenant.token })).body.data).toEqual([]);
  });

  it('refuses a data type nobody syncs', async () => {
    const tenant = await aTenant(stack.http);
    const res = await stack.http.post(`${api}/integrations`, { token: tenant.token, body: { type: 'hubspot', config: { access_token: 'pat-x' }, data_types: ['invoices'] } });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields[0]).toMatchObject({ field: 'body.data_types.0', message: 'must be one of contacts, leads, activities' });
  });
});

describe('Salesforce over OAuth', () => {
  it('refreshes an expired access token by itself and keeps the new one sealed; a refused refresh token needs re-auth', async () => {
    const tenant = await aTenant(stack.http);
    const accessToken = sf.addSession();
    const refreshToken = sf.issueRefreshToken();
    const res = await stack.http.post(`${api}/integrations`, { token: tenant.token, body: { type: 'salesforce', config: { instance_url: sf.url, access_token: accessToken, refresh_token: refreshToken }, sync_interval_minutes: 0 } });
    expect(res.body.data.secrets_set).toEqual(['access_token', 'refresh_token']);
    const id = res.body.data.id as string;
    const [before] = await sql<{ secrets_sealed: string }>('select secrets_sealed from integrations where id = ?', [id]);
    sf.expireSessions();
    sf.seed('Contact', [{ LastName: 'Via OAuth', Email: 'oauth@example.com' }]);
    const refreshes = sf.calls.refresh;
    const run = await sync(tenant, id);
    expect(run.counts.created).toBeGreaterThanOrEqual(1);
    expect(sf.calls.refresh).toBeGreaterThan(refreshes);
    const [after] = await sql<{ secrets_sealed: string }>('select secrets_sealed from integrations where id = ?', [id]);
    expect(after.secrets_sealed).not.toBe(before.secrets_sealed);
    expect(after.secrets_sealed).not.toContain(refreshToken);

    sf.refreshTokens.clear();
    sf.expireSessions();
    const refused = await sync(tenant, id, 'contacts', { expect: 'failed' });
    expect(refused.error).toMatch(/needs_reauth/);
    expect((await stack.http.get(`${api}/integrations/${id}`, { token: tenant.token })).body.data).toMatchObject({ status: 'needs_reauth', last_error: expect.stringMatching(/refresh/i) });
  });
});

describe('HubSpot contacts sync', () => {
  let tenant: TestTenant;
  let id: string;
  let token: string;
  beforeAll(async () => {
    tenant = await aTenant(stack.http);
    token = hs.addToken();
    const res = await stack.http.post(`${api}/integrations`, { token: tenant.token, body: { type: 'hubspot', config: { access_token: token }, sync_interval_minutes: 0 } });
    expect(res.status).toBe(201);
    id = res.body.data.id;
    expect(JSON.stringify(res.body)).not.toContain(token);
  });

  it('syncs past HubSpot’s search cap by windowing on the id', async () => {
    // The fake answers at most 1,000 results into one query here (HubSpot: 10,000, which
    // test/providers/crmFakes.test.ts shows), so 1,050 contacts page past it in a second.
    hs.settings.searchCap = 1_000;
    const contact = (i: number) => ({ firstname: 'Hub', lastname: `Spot ${i}`, email: `hs${i}@example.com` });
    hs.seed('contacts', Array.from({ length: 1_049 }, (_, i) => contact(i)), { modifiedAt: new Date(Date.now() - 7_200_000) });
    hs.seed('contacts', [contact(1_049)], { modifiedAt: HOUR_AGO() });
    await stack.http.post(`${api}/contacts`, { token: tenant.token, body: { name: 'Local Only', email: 'local-hs@example.com' } });
    const failed = hs.calls.failed;
    const run = await sync(tenant, id, 'contacts', { timeoutMs: 120_000 });
    hs.settings.searchCap = 10_000;
    expect(run.counts).toMatchObject({ fetched: 1_050, created: 1_050, pushed: 1, errors: 0 });
    expect(hs.calls.failed).toBe(failed);
    expect(hs.records('contacts').find((r) => r.properties.email === 'local-hs@example.com')).toMatchObject({ properties: expect.objectContaining({ firstname: 'Local', lastname: 'Only' }) });
  }, 150_000);

  it('mirrors a record archived in HubSpot', async () => {
    const r = hs.records('contacts').find((x) => x.properties.email === 'hs7@example.com');
    hs.archive('contacts', String(r?.id));
    const run = await sync(tenant, id);
    expect(run.counts.archived).toBe(1);
    expect((await sql<{ archived_at: Date | null }>("select archived_at from contact where tenant_id = ? and email = 'hs7@example.com'", [tenant.tenantId]))[0].archived_at).not.toBeNull();
  });

  it('stops on a revoked token: the run fails saying why, the integration needs re-auth, sync.failed is recorded', async () => {
    hs.expireToken(token);
    const run = await sync(tenant, id, 'contacts', { expect: 'failed' });
    captureHistory(run.workflow_id, 'crm-sync-failed');
    expect(run.error).toMatch(/needs_reauth/);
    expect((await stack.http.get(`${api}/integrations/${id}`, { token: tenant.token })).body.data.status).toBe('needs_reauth');
    const events = await sql<{ payload: { error: string } }>("select payload from events where tenant_id = ? and type = 'sync.failed'", [tenant.tenantId]);
    expect(events[0].payload.error).toMatch(/needs_reauth/);
  });
});

describe('HubSpot leads sync', () => {
  it('pulls a deal with its associated contact, and pushes a lead of ours as a deal on its contact', async () => {
    const tenant = await aTenant(stack.http);
    const token = hs.addToken();
    const res = await stack.http.post(`${api}/integrations`, { token: tenant.token, body: { type: 'hubspot', config: { access_token: token }, data_types: ['contacts', 'leads'], sync_interval_minutes: 0 } });
    const id = res.body.data.id as string;
    const [person] = hs.seed('contacts', [{ firstname: 'Dee', lastname: 'Buyer', email: 'dee.buyer@example.com', company: 'Buyers Co' }]);
    const [deal] = hs.seed('deals', [{ dealname: 'Annual plan', amount: '1200', dealstage: 'qualifiedtobuy' }]);
    const linked = await fetch(`${hs.url}/crm/v4/objects/deals/${deal.id}/associations/default/contacts/${person.id}`, { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
    expect(linked.ok).toBe(true);
    const contact = await stack.http.post(`${api}/contacts`, { token: tenant.token, body: { name: 'Olive Ours', email: 'olive@ours.example', organization: 'Ours Ltd' } });
    await stack.http.post(`${api}/crm/leads`, { token: tenant.token, body: { contact_id: contact.body.data.id, title: 'Local deal', status: 'proposal', value: 500 } });

    const run = await sync(tenant, id, 'leads');
    expect(run.counts).toMatchObject({ fetched: 1, created: 1, pushed: 1, errors: 0 });
    const [pulled] = await sql<{ title: string; status: string; value: string; email: string; organization: string }>(
      "select l.title, l.status, l.value, c.email, c.organization from lead l join contact c on c.id = l.contact_id where l.tenant_id = ? and l.title = 'Annual plan'",
      [tenant.tenantId],
    );
    expect(pulled).toMatchObject({ status: 'qualified', email: 'dee.buyer@example.com', organization: 'Buyers Co' });
    expect(Number(pulled.value)).toBe(1200);
    const pushed = hs.records('deals').find((d) => d.properties.dealname === 'Local deal');
    expect(pushed?.properties).toMatchObject({ amount: '500', dealstage: 'presentationscheduled' });
    const [assoc] = hs.associationsOf('deals', String(pushed?.id)).filter((a) => a.toType === 'contacts');
    expect(hs.get('contacts', assoc.toId)?.properties).toMatchObject({ email: 'olive@ours.example', firstname: 'Olive', lastname: 'Ours' });

    // Activities: timeline notes as HubSpot notes associated to the lead's deal.
    const [note] = hs.seed('notes', [{ hs_note_body: 'Dee wants a discount' }]);
    const put = await fetch(`${hs.url}/crm/v4/objects/notes/${note.id}/associations/default/deals/${deal.id}`, { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
    expect(put.ok).toBe(true);
    const [local] = await sql<{ id: string }>("select id from lead where tenant_id = ? and title = 'Local deal'", [tenant.tenantId]);
    await stack.http.post(`${api}/crm/leads/${local.id}/notes`, { token: tenant.token, body: { content: 'Olive signed the NDA' } });
    await stack.http.patch(`${api}/integrations/${id}`, { token: tenant.token, body: { data_types: ['contacts', 'leads', 'activities'] } });
    const activities = await sync(tenant, id, 'activities');
    expect(activities.counts).toMatchObject({ fetched: 1, created: 1, pushed: 1, errors: 0 });
    const [annual] = await sql<{ id: string }>("select id from lead where tenant_id = ? and title = 'Annual plan'", [tenant.tenantId]);
    expect((await stack.http.get(`${api}/crm/leads/${annual.id}/notes`, { token: tenant.token })).body.data).toEqual([expect.objectContaining({ content: 'Dee wants a discount' })]);
    const sent = hs.records('notes').find((n) => n.properties.hs_note_body === 'Olive signed the NDA');
    expect(sent?.properties.hs_timestamp).toBeTruthy();
    expect(hs.associationsOf('notes', String(sent?.id)).filter((a) => a.toType === 'deals').map((a) => a.toId)).toEqual([String(pushed?.id)]);
  });
});

describe('secrets', () => {
  it('never appear in the API’s or the worker’s log lines', () => {
    const logs = [...logLines, ...workers.map((w) => w.output())].join('\n');
    expect(logLines.length).toBeGreaterThan(10);
    for (const secret of [SF_PASSWORD, SF_TOKEN]) expect(logs).not.toContain(secret);
  });
});
