import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@hubspot/api-client';
import type { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import type { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/deals/index.js';
import { Connection } from 'jsforce';
import { type FakeHubSpot, startFakeHubSpot } from '../fakes/hubspotServer.ts';
import { type FakeSalesforce, parseInstant, startFakeSalesforce } from '../fakes/salesforceServer.ts';

const VERSION = '62.0';

/** Awaits `promise`, expecting it to fail, and returns what it threw. */
async function failure(promise: PromiseLike<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected a failure, but the call succeeded');
}

type Row = Record<string, unknown> & { Id: string };

describe('fake Salesforce, driven by the real jsforce', () => {
  let fake: FakeSalesforce;
  let conn: Connection;
  const login = async () => {
    const c = new Connection({ loginUrl: fake.url, version: VERSION });
    await c.login(fake.credentials.username, `${fake.credentials.password}${fake.credentials.securityToken}`);
    return c;
  };

  beforeAll(async () => {
    fake = await startFakeSalesforce();
    conn = await login();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('logs in over SOAP with password + security token, and refuses a wrong password with INVALID_LOGIN', async () => {
    expect(conn.instanceUrl).toBe(fake.url);
    expect(conn.userInfo).toMatchObject({ id: fake.userId, organizationId: fake.organizationId });
    expect(fake.sessions.has(conn.accessToken ?? '')).toBe(true);
    expect(fake.requests.length).toBe(0); // a login is no REST call

    const wrong = new Connection({ loginUrl: fake.url, version: VERSION });
    const err = await failure(wrong.login(fake.credentials.username, `not-the-password${fake.credentials.securityToken}`));
    expect(String(err.message)).toMatch(/^INVALID_LOGIN: Invalid username, password, security token; or user locked out\.$/);
    // The password alone (no token) is refused too.
    const err2 = await failure(wrong.login(fake.credentials.username, fake.credentials.password));
    expect(String(err2.message)).toContain('INVALID_LOGIN');
  });

  it('pages a (SystemModstamp, Id) keyset query across a queryMore boundary, 300 records sharing one timestamp', async () => {
    const T0 = '2026-11-01T10:00:00.000Z';
    const T = '2026-11-02T10:00:00.000Z';
    const T2 = '2026-11-03T10:00:00.000Z';
    fake.seed('Contact', Array.from({ length: 200 }, (_, i) => ({ LastName: `Early ${i}` })), { modstamp: T0 });
    const tied = fake.seed('Contact', Array.from({ length: 300 }, (_, i) => ({ LastName: `Tied ${i}` })), { modstamp: T });
    const later = fake.seed('Contact', Array.from({ length: 2000 }, (_, i) => ({ LastName: `Later ${i}`, Email: `later${i}@example.com` })), { modstamp: T2 });
    expect(tied[0].SystemModstamp).toBe('2026-11-02T10:00:00.000+0000');

    const cursorId = tied[149].Id;
    const soql = `SELECT Id, SystemModstamp, LastName, Email, NoSuchField__c FROM Contact WHERE (SystemModstamp > ${T} OR (SystemModstamp = 2026-11-02T10:00:00.000+0000 AND Id > '${cursorId}')) ORDER BY SystemModstamp ASC, Id ASC`;
    const first = await conn.query<Row>(soql, { autoFetch: false }).run();
    expect(first).toMatchObject({ totalSize: 2150, done: false });
    expect(first.records).toHaveLength(2000);
    // The server answers a relative nextRecordsUrl; jsforce hands back its own absolute one.
    expect(first.nextRecordsUrl).toMatch(new RegExp(`^${fake.url}/services/data/v${VERSION}/query/01g\\w+-2000$`));
    expect(first.records[0]).toEqual({ attributes: { type: 'Contact', url: `/services/data/v${VERSION}/sobjects/Contact/${tied[150].Id}` }, Id: tied[150].Id, SystemModstamp: tied[150].SystemModstamp, LastName: 'Tied 150', Email: null, NoSuchField__c: null });

    const second = await conn.queryMore<Row>(first.nextRecordsUrl ?? '').run();
    expect(second).toMatchObject({ totalSize: 2150, done: true });
    expect(second.nextRecordsUrl).toBeUndefined();
    const ids = [...first.records, ...second.records].map((r) => r.Id);
    expect(ids).toEqual([...tied.slice(150), ...later].map((r) => r.Id));
    expect(fake.openCursors()).toBe(0);

    // The batch size header, LIMIT, and jsforce's own autoFetch.
    const small = await conn.query<Row>(soql, { autoFetch: false, headers: { 'Sforce-Query-Options': 'batchSize=500' } }).run();
    expect(small.records).toHaveLength(500);
    const limited = await conn.query<Row>(`${soql} LIMIT 10`).run();
    expect(limited).toMatchObject({ totalSize: 10, done: true });
    const all = await conn.query<Row>(`SELECT Id FROM Contact WHERE SystemModstamp >= ${T} ORDER BY Id DESC`, { autoFetch: true, maxFetch: 5000 }).run();
    expect(all.records.map((r) => r.Id)).toEqual([...tied, ...later].map((r) => r.Id).reverse());
    const count = await conn.query(`SELECT COUNT() FROM Contact WHERE LastName IN ('Early 1', 'early 2', 'Tied 3') OR Email = 'LATER7@example.com'`).run();
    expect(count.totalSize).toBe(4);

    const bad = await failure(conn.query('SELEC Id FROM Contact').run());
    expect(bad.errorCode).toBe('MALFORMED_QUERY');
    const dup = await failure(conn.query('SELECT Id, id FROM Contact').run());
    expect(dup.errorCode).toBe('MALFORMED_QUERY');
    expect(fake.calls.queryMore).toBeGreaterThanOrEqual(1);
  });

  it('creates and updates arrays through sObject collections, bumping SystemModstamp', async () => {
    const before = fake.requests.length;
    const created = await conn.sobject('Lead').create(
      [
        { LastName: 'Lovelace', Company: 'Analytical Engines', Email: 'ada@example.com' },
        { LastName: 'Nocompany' },
      ],
      { allOrNone: false },
    );
    expect(created[0]).toMatchObject({ success: true, errors: [] });
    expect(created[0].id).toMatch(/^00Q\w{15}$/);
    expect(created[1]).toMatchObject({ success: false, errors: [{ statusCode: 'REQUIRED_FIELD_MISSING', fields: ['Company'] }] });
    const id = created[0].id ?? '';
    const stored = fake.get('Lead', id);
    expect(stored).toMatchObject({ Id: id, LastName: 'Lovelace', Company: 'Analytical Engines' });

    await new Promise((resolve) => setTimeout(resolve, 5));
    const updated = await conn.sobject('Lead').update([{ Id: id, Status: 'Working - Contacted' }], { allOrNone: false });
    expect(updated).toEqual([{ id, success: true, errors: [] }]);
    const after = fake.get('Lead', id);
    expect(after?.Status).toBe('Working - Contacted');
    expect(parseInstant(after?.SystemModstamp ?? '')).toBeGreaterThan(parseInstant(stored?.SystemModstamp ?? ''));
    expect(after?.LastModifiedDate).toBe(after?.SystemModstamp);

    // A deleted record in an update, and allOrNone rolling the rest back.
    const [other] = fake.seed('Lead', [{ LastName: 'Other', Company: 'Other Co', Status: 'Open - Not Contacted' }]);
    fake.remove('Lead', id);
    const rolled = await conn.sobject('Lead').update(
      [
        { Id: id, Status: 'Closed' },
        { Id: other.Id, Status: 'Working - Contacted' },
      ],
      { allOrNone: true },
    );
    expect(rolled[0]).toMatchObject({ id, success: false, errors: [{ statusCode: 'ENTITY_IS_DELETED' }] });
    expect(rolled[1]).toMatchObject({ id: other.Id, success: false, errors: [{ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK' }] });
    expect(fake.get('Lead', other.Id)?.Status).toBe('Open - Not Contacted');

    const paths = fake.requests.slice(before).map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual([`POST /services/data/v${VERSION}/composite/sobjects`, `PATCH /services/data/v${VERSION}/composite/sobjects`, `PATCH /services/data/v${VERSION}/composite/sobjects`]);

    // One record at a time: POST sobjects/<T> and PATCH sobjects/<T>/<id>.
    const single = await conn.sobject('Task').create({ Subject: 'Call back' });
    expect(single).toMatchObject({ success: true });
    await conn.sobject('Task').update({ Id: single.id ?? '', Status: 'Completed' });
    expect(fake.get('Task', single.id ?? '')?.Status).toBe('Completed');
    const missing = await failure(conn.sobject('Task').update({ Id: '00T999999999999AAA', Status: 'x' }));
    expect(missing.errorCode).toBe('NOT_FOUND');
    const tooMany = await failure(conn.sobject('Task').create(Array.from({ length: 201 }, (_, i) => ({ Subject: `t${i}` }))));
    expect(tooMany.errorCode).toBe('EXCEEDED_ID_LIMIT');
  });

  it('reads the delete log, and refuses a start before earliestDateAvailable', async () => {
    const [a, b] = fake.seed('Contact', [{ LastName: 'Gone 1' }, { LastName: 'Gone 2' }]);
    fake.remove('Contact', a.Id, { deletedDate: new Date(Date.now() - 3_600_000) });
    fake.remove('Contact', b.Id);
    const start = new Date(Date.now() - 2 * 3_600_000);
    const end = new Date(Date.now() + 60_000);
    const answer = await conn.sobject('Contact').deleted(start, end);
    expect(answer.deletedRecords.map((d) => d.id)).toEqual([a.Id, b.Id]);
    expect(answer.deletedRecords[0].deletedDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
    expect(answer.earliestDateAvailable).toBe(fake.earliestDateAvailable);
    // jsforce sends whole seconds with a +00:00 offset.
    expect(fake.requests.at(-1)?.path).toMatch(/\/sobjects\/Contact\/deleted\?start=\d{4}-\d{2}-\d{2}T\d{2}%3A\d{2}%3A\d{2}%2B00%3A00&end=/);
    const narrow = await conn.sobject('Contact').deleted(new Date(Date.now() - 30 * 60_000), end);
    expect(narrow.deletedRecords.map((d) => d.id)).toEqual([b.Id]);

    fake.earliestDateAvailable = new Date(Date.now() - 86_400_000);
    const err = await failure(conn.sobject('Contact').deleted(new Date(Date.now() - 2 * 86_400_000), end));
    expect(err.errorCode).toBe('INVALID_REPLICATION_DATE');
  });

  it('renews an expired session by logging in again, transparently', async () => {
    const logins = fake.calls.login;
    const oldToken = conn.accessToken;
    fake.expireSessions();
    const page = await conn.query('SELECT Id FROM Contact LIMIT 1').run();
    expect(page.records).toHaveLength(1);
    expect(fake.calls.login).toBe(logins + 1);
    expect(fake.calls.unauthorized).toBeGreaterThanOrEqual(1);
    expect(conn.accessToken).not.toBe(oldToken);
  });

  it('refreshes an OAuth access token with the refresh token, and reports invalid_grant', async () => {
    const refreshToken = fake.issueRefreshToken();
    const oauth = new Connection({ version: VERSION, instanceUrl: fake.url, accessToken: 'stale-token', refreshToken, oauth2: { loginUrl: fake.url, clientId: 'client-id', clientSecret: 'client-secret' } });
    const refreshed: string[] = [];
    oauth.on('refresh', (accessToken: string) => refreshed.push(accessToken));
    const page = await oauth.query('SELECT Id FROM Contact LIMIT 2').run();
    expect(page.records).toHaveLength(2);
    expect(refreshed).toHaveLength(1);
    expect(fake.sessions.has(refreshed[0])).toBe(true);
    expect(oauth.userInfo).toMatchObject({ organizationId: fake.organizationId, id: fake.userId });

    const direct = await oauth.oauth2.refreshToken(refreshToken);
    expect(direct).toMatchObject({ instance_url: fake.url, token_type: 'Bearer', id: `${fake.url}/id/${fake.organizationId}/${fake.userId}` });
    expect(direct.issued_at).toMatch(/^\d+$/);

    const dead = new Connection({ version: VERSION, instanceUrl: fake.url, accessToken: 'stale', refreshToken: 'revoked', oauth2: { loginUrl: fake.url, clientId: 'client-id', clientSecret: 'client-secret' } });
    const err = await failure(dead.query('SELECT Id FROM Contact').run());
    expect(String(err.message)).toContain('expired access/refresh token');

    const token = fake.addSession();
    const plain = new Connection({ version: VERSION, instanceUrl: fake.url, accessToken: token });
    const identity = await plain.limits();
    expect(identity.DailyApiRequests.Max).toBe(fake.apiUsage.max);
  });

  it('keeps Sforce-Limit-Info in conn.limitInfo, and answers limits', async () => {
    const limits = await conn.limits();
    expect(limits.DailyApiRequests).toEqual({ Max: fake.apiUsage.max, Remaining: fake.apiUsage.max - fake.apiUsage.used });
    expect(conn.limitInfo).toEqual({ apiUsage: { used: fake.apiUsage.used, limit: fake.apiUsage.max } });
    expect(fake.calls.limits).toBeGreaterThanOrEqual(1);
  });

  it('surfaces an injected 429 as REQUEST_LIMIT_EXCEEDED (jsforce retries only GETs)', async () => {
    const failed = fake.calls.failed;
    fake.failNext(1, { status: 429, headers: { 'Retry-After': '2' }, body: [{ message: 'Too many requests', errorCode: 'REQUEST_LIMIT_EXCEEDED' }] });
    const err = await failure(conn.sobject('Contact').create([{ LastName: 'Throttled' }]));
    expect(err.errorCode).toBe('REQUEST_LIMIT_EXCEEDED');
    expect(err.message).toBe('Too many requests');
    expect(fake.calls.failed).toBe(failed + 1);

    // A GET is retried by jsforce's transport after 500 ms, and then succeeds.
    fake.failNext(1, { status: 429, match: '/query', headers: { 'Retry-After': '1' } });
    const page = await conn.query('SELECT Id FROM Contact LIMIT 1').run();
    expect(page.records).toHaveLength(1);
    expect(fake.calls.failed).toBe(failed + 2);
  });

  it('pages 20,000 records through queryMore quickly', async () => {
    const stamp = '2026-11-20T00:00:00.000Z';
    fake.seed('Lead', Array.from({ length: 20_000 }, (_, i) => ({ LastName: `Bulk ${i}`, Company: 'Bulk Co', Email: `bulk${i}@example.com` })), { modstamp: stamp });
    const started = Date.now();
    let page = await conn.query<Row>(`SELECT Id, SystemModstamp, LastName, Email FROM Lead WHERE SystemModstamp >= ${stamp} AND Company = 'bulk co' ORDER BY SystemModstamp ASC, Id ASC`, { autoFetch: false }).run();
    let seen = page.records.length;
    while (!page.done && page.nextRecordsUrl) {
      page = await conn.queryMore<Row>(page.nextRecordsUrl).run();
      seen += page.records.length;
    }
    const seconds = (Date.now() - started) / 1000;
    expect(seen).toBe(20_000);
    expect(seen / seconds).toBeGreaterThan(2_000);
  });
});

describe('fake HubSpot, driven by the real @hubspot/api-client', () => {
  let fake: FakeHubSpot;
  let client: Client;
  const op = (o: string) => o as FilterOperatorEnum;
  const HUBSPOT_DEFINED = 'HUBSPOT_DEFINED' as AssociationSpecAssociationCategoryEnum;

  beforeAll(async () => {
    fake = await startFakeHubSpot();
    client = new Client({ accessToken: fake.token, basePath: fake.url, numberOfApiCallRetries: 0 });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('searches with a GTE filter, a sort and paging, with only the asked properties', async () => {
    const t1 = '2026-11-01T10:00:00.000Z';
    const t2 = '2026-11-02T10:00:00.000Z';
    fake.seed('contacts', Array.from({ length: 100 }, (_, i) => ({ email: `old${i}@example.com`, firstname: 'Old', cohort: 'search' })), { modifiedAt: t1 });
    const recent = fake.seed('contacts', Array.from({ length: 150 }, (_, i) => ({ email: `new${i}@example.com`, firstname: 'New', cohort: 'search' })), { modifiedAt: t2 });
    fake.touch('contacts', recent[0].id, { firstname: 'Newest' }, { modifiedAt: '2026-11-03T10:00:00.000Z' });
    expect(fake.get('contacts', recent[0].id)?.properties).toMatchObject({ lastmodifieddate: '2026-11-03T10:00:00.000Z', hs_lastmodifieddate: '2026-11-03T10:00:00.000Z' });

    const request = (after?: string) => ({
      filterGroups: [
        {
          filters: [
            { propertyName: 'lastmodifieddate', operator: op('GTE'), value: String(Date.parse(t2)) },
            { propertyName: 'cohort', operator: op('EQ'), value: 'SEARCH' },
          ],
        },
      ],
      sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }] as unknown as string[],
      properties: ['email'],
      limit: 100,
      ...(after ? { after } : {}),
    });
    const first = await client.crm.contacts.searchApi.doSearch(request());
    expect(first.total).toBe(150);
    expect(first.results).toHaveLength(100);
    expect(first.paging?.next?.after).toBe('100');
    expect(Object.keys(first.results[0].properties).sort()).toEqual(['createdate', 'email', 'hs_lastmodifieddate', 'hs_object_id', 'lastmodifieddate']);
    expect(first.results[0].updatedAt).toBeInstanceOf(Date);
    const second = await client.crm.contacts.searchApi.doSearch(request('100'));
    expect(second.results).toHaveLength(50);
    expect(second.paging).toBeUndefined();
    const ids = [...first.results, ...second.results].map((r) => r.id);
    // Sorted by modification, ties by id: the touched one comes last.
    expect(ids).toEqual([...recent.slice(1), recent[0]].map((r) => r.id));

    // Groups are ORed; IN and numeric hs_object_id comparisons.
    const either = await client.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'email', operator: op('IN'), values: ['old1@example.com', 'OLD2@example.com'] }] }, { filters: [{ propertyName: 'hs_object_id', operator: op('GT'), value: recent[148].id }] }],
      sorts: ['hs_object_id'],
      properties: [],
      limit: 10,
    });
    expect(either.results.map((r) => r.properties.email)).toEqual(['old1@example.com', 'old2@example.com', 'new149@example.com']);
    const tooBig = await failure(client.crm.contacts.searchApi.doSearch({ ...request(), limit: 201 }));
    expect(tooBig.code).toBe(400);
  });

  it('refuses to page a search past its 10,000th result', async () => {
    fake.seed('contacts', Array.from({ length: 10_050 }, () => ({ cohort: 'big' })));
    const search = (after: string, limit: number) =>
      client.crm.contacts.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'cohort', operator: op('EQ'), value: 'big' }] }], sorts: ['hs_object_id'], properties: ['cohort'], limit, after });
    const last = await search('9800', 200);
    expect(last.total).toBe(10_050);
    expect(last.results).toHaveLength(200);
    expect(last.paging?.next?.after).toBe('10000');
    const err = await failure(search('10000', 200));
    expect(err.code).toBe(400);
    expect(err.body).toMatchObject({ category: 'VALIDATION_ERROR' });
    expect(String((err.body as { message?: string }).message)).toContain('10000');
  });

  it('creates and updates in batches, with associations, and refuses more than 100 inputs', async () => {
    const created = await client.crm.contacts.batchApi.create({ inputs: [{ properties: { email: 'grace@example.com', firstname: 'Grace' }, associations: [] }, { properties: { email: 'alan@example.com', firstname: 'Alan' }, associations: [] }] });
    expect(created.status).toBe('COMPLETE');
    expect(created.results.map((r) => r.properties.email)).toEqual(['grace@example.com', 'alan@example.com']);
    const [grace, alan] = created.results;
    const before = fake.get('contacts', grace.id)?.properties.hs_lastmodifieddate ?? '';

    await new Promise((resolve) => setTimeout(resolve, 5));
    const updated = await client.crm.contacts.batchApi.update({ inputs: [{ id: grace.id, properties: { firstname: 'Grace B.' } }] });
    expect(updated.results[0].properties.firstname).toBe('Grace B.');
    const stored = fake.get('contacts', grace.id);
    expect(stored?.properties.firstname).toBe('Grace B.');
    expect(Date.parse(stored?.properties.lastmodifieddate ?? '')).toBeGreaterThan(Date.parse(before));
    expect(stored?.properties.lastmodifieddate).toBe(stored?.updatedAt);

    const upserted = await client.crm.contacts.batchApi.upsert({ inputs: [{ idProperty: 'email', id: 'alan@example.com', properties: { lastname: 'Turing' } }, { idProperty: 'email', id: 'new@example.com', properties: { lastname: 'New' } }] });
    expect(upserted.results.map((r) => [r.properties.email, r._new])).toEqual([
      ['alan@example.com', false],
      ['new@example.com', true],
    ]);
    const read = await client.crm.contacts.batchApi.read({ inputs: [{ id: alan.id }], properties: ['lastname'], propertiesWithHistory: [] });
    expect(read.results[0].properties.lastname).toBe('Turing');

    const duplicate = await failure(client.crm.contacts.basicApi.create({ properties: { email: 'GRACE@example.com' }, associations: [] }));
    expect(duplicate.code).toBe(409);
    const tooMany = await failure(client.crm.contacts.batchApi.create({ inputs: Array.from({ length: 101 }, () => ({ properties: {}, associations: [] })) }));
    expect(tooMany.code).toBe(400);

    const deal = await client.crm.deals.basicApi.create({ properties: { dealname: 'Big one', dealstage: 'appointmentscheduled' }, associations: [{ to: { id: grace.id }, types: [{ associationCategory: HUBSPOT_DEFINED, associationTypeId: 3 }] }] });
    expect(deal.properties).toMatchObject({ dealname: 'Big one', hs_object_id: deal.id });
    expect(fake.associationsOf('deals', deal.id)).toEqual([{ toType: 'contacts', toId: grace.id, typeId: 3, category: 'HUBSPOT_DEFINED' }]);
    expect(fake.associationsOf('contacts', grace.id)).toEqual([{ toType: 'deals', toId: deal.id, typeId: 4, category: 'HUBSPOT_DEFINED' }]);
    const assoc = await client.crm.associations.v4.basicApi.getPage('deals', deal.id, 'contacts');
    expect(assoc.results.map((r) => String(r.toObjectId))).toEqual([grace.id]);
    const note = await client.crm.objects.notes.basicApi.create({ properties: { hs_note_body: 'Called', hs_timestamp: new Date().toISOString() }, associations: [] });
    expect(Object.keys(note.properties)).toEqual(expect.arrayContaining(['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id']));
  });

  it('lists archived records with archivedAt, and keeps them out of search', async () => {
    const [keep, drop] = fake.seed('deals', [{ dealname: 'Keep', cohort: 'archive' }, { dealname: 'Drop', cohort: 'archive' }]);
    await client.crm.deals.basicApi.archive(drop.id);
    const archived = await client.crm.deals.basicApi.getPage(100, undefined, ['dealname'], undefined, undefined, true);
    expect(archived.results.map((r) => r.id)).toEqual([drop.id]);
    expect(archived.results[0].archived).toBe(true);
    expect(archived.results[0].archivedAt).toBeInstanceOf(Date);
    const live = await client.crm.deals.basicApi.getPage(1, undefined, ['dealname']);
    expect(live.results).toHaveLength(1);
    expect(live.paging?.next?.after).toBeDefined();
    const rest = await client.crm.deals.basicApi.getPage(100, live.paging?.next?.after, ['dealname']);
    expect([...live.results, ...rest.results].map((r) => r.id)).toContain(keep.id);
    expect([...live.results, ...rest.results].map((r) => r.id)).not.toContain(drop.id);
    const found = await client.crm.deals.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'cohort', operator: op('EQ'), value: 'archive' }] }], sorts: [], properties: ['dealname'], limit: 10 });
    expect(found.results.map((r) => r.id)).toEqual([keep.id]);
    const gone = await failure(client.crm.deals.basicApi.getById(drop.id));
    expect(gone.code).toBe(404);
  });

  it('answers 401 for an unknown or expired token', async () => {
    const stranger = new Client({ accessToken: 'pat-na1-not-a-token', basePath: fake.url, numberOfApiCallRetries: 0 });
    const err = await failure(stranger.crm.contacts.basicApi.getPage(10));
    expect(err.code).toBe(401);
    expect(err.body).toMatchObject({ category: 'INVALID_AUTHENTICATION' });
    const expiring = fake.addToken();
    fake.expireToken(expiring);
    const expired = new Client({ accessToken: expiring, basePath: fake.url, numberOfApiCallRetries: 0 });
    const err2 = await failure(expired.crm.contacts.basicApi.getPage(10));
    expect(err2.body).toMatchObject({ category: 'EXPIRED_AUTHENTICATION' });
  });

  it('surfaces a 429 with its code and Retry-After header, and sends rate-limit headers and account info', async () => {
    fake.failNext(1, { status: 429, headers: { 'Retry-After': '1' }, body: { status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', policyName: 'SECONDLY' } });
    const err = await failure(client.crm.contacts.basicApi.getPage(10));
    expect(err.code).toBe(429);
    expect(err.headers).toMatchObject({ 'retry-after': '1' });
    expect(err.body).toMatchObject({ message: 'You have reached your secondly limit.' });

    const details = await client.apiRequest({ path: '/account-info/v3/details' });
    expect(await details.json()).toMatchObject({ portalId: 12345, timeZone: 'US/Eastern' });
    expect(details.headers.get('x-hubspot-ratelimit-daily')).toBe(String(fake.apiUsage.max));
    expect(Number(details.headers.get('x-hubspot-ratelimit-daily-remaining'))).toBe(fake.apiUsage.max - fake.apiUsage.used);
    const usage = await client.apiRequest({ path: '/account-info/v3/api-usage/daily/private-apps' });
    expect(await usage.json()).toMatchObject({ results: [{ name: 'private-apps-api-calls-daily', usageLimit: fake.apiUsage.max, currentUsage: fake.apiUsage.used, fetchStatus: 'SUCCESS' }] });
  });
});
