/**
 * `npm run bench:search`: contact search at the size the CRM issue names, 100,000
 * contacts in one tenant, on the embedded default's PostgreSQL. For each query, one
 * client at a time:
 *
 *   - `GET /contacts?search=…` / `?organization=…` through the API,
 *   - the same SQL (the ORM's filter and count, written by hand) run bare with `pg`,
 *   - and the API again with the trigram indexes dropped (what it was before them).
 *
 * Then, through the API only, lead search (title or the contact's fields) over 100,000
 * leads and company search over 100,000 companies.
 *
 * Sizes (env): BENCH_SEARCH_CONTACTS (100000), BENCH_SEARCH_REQUESTS (200: at 40 a p99 was the slowest request).
 */
import { join } from 'node:path';
import pg from 'pg';
import { formatTable, withRatios, writeJson, type Row } from './bench/report.ts';
import { envInt, registerTenant, root, runBench, serviceEnv, startApi, startDatabase, startTemporal, startWorkerChild, stoppers } from './bench/stack.ts';
import { latencyStats, timedSerial } from './bench/load.ts';
import { contactSearchText } from '../entities/Contact.ts';

const log = (line: string) => console.log(`[bench:search] ${line}`);
const sizes = { contacts: envInt('BENCH_SEARCH_CONTACTS', 100_000), requests: envInt('BENCH_SEARCH_REQUESTS', 200) };
const stops = stoppers(log);

const TRGM = ['contact_search_trgm_index', 'contact_organization_trgm_index'];

const timed = async (n: number, work: () => Promise<void>) => latencyStats(await timedSerial(n, work));

async function main() {
  const stamp = `${Date.now()}_${process.pid}`;
  const fileStamp = new Date().toISOString().replace(/[:.]/g, '-');
  log(`sizes: ${JSON.stringify(sizes)}`);
  const [database, temporal] = await Promise.all([startDatabase(stamp, stops, log), startTemporal(`search-${fileStamp}`, stops, log)]);
  const vars = serviceEnv({ databaseUrl: database.url, temporalAddress: temporal.address, taskQueue: `bench-search-${stamp}` });
  const api = await startApi(vars, stops);
  const worker = await startWorkerChild('worker', 'workers/main.ts', vars, stops, log);
  const tenant = await registerTenant(api, 'search', stamp);
  await worker.stop();
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  stops.add('pool', () => db.end());

  log(`seeding ${sizes.contacts} contacts`);
  await db.query(
    `insert into contact (id, created_at, updated_at, tenant_id, name, email, phone, organization, tags, custom_fields, sms_opt_out)
     select gen_random_uuid(), now() - make_interval(secs => n), now(), $1,
            (array['Ada','Grace','Alan','Edsger','Barbara','Ken','Dennis','Frances','Margaret','Linus'])[1 + n % 10] || ' ' ||
            (array['Lovelace','Hopper','Turing','Dijkstra','Liskov','Thompson','Ritchie','Allen','Hamilton','Torvalds'])[1 + (n / 10) % 10] || ' ' || n,
            'person' || n || '@company' || (n % 5000) || '.example',
            '+1202' || lpad(n::text, 7, '0'),
            'Company ' || (n % 5000) || ' GmbH',
            '{}', '{}', false
     from generate_series(1, $2::int) as n`,
    [tenant.tenantId, sizes.contacts],
  );
  log(`seeding ${sizes.contacts} leads (one per contact) and ${sizes.contacts} companies`);
  await db.query(
    `insert into lead (id, created_at, updated_at, tenant_id, contact_id, title, source, status, currency)
     select gen_random_uuid(), c.created_at, now(), c.tenant_id, c.id, 'Deal ' || split_part(c.email, '@', 1), 'website', 'new', 'USD'
     from contact c where c.tenant_id = $1`,
    [tenant.tenantId],
  );
  await db.query(
    `insert into companies (id, created_at, updated_at, tenant_id, name, domain)
     select gen_random_uuid(), now() - make_interval(secs => n), now(), $1, 'Firm ' || n || ' Ltd', 'firm' || n || '.example'
     from generate_series(1, $2::int) as n`,
    [tenant.tenantId, sizes.contacts],
  );
  await db.query('analyze contact; analyze lead; analyze companies');

  const queries = [
    { label: 'search=Hopper 4242 (a name)', query: 'search=Hopper%204242', like: '%Hopper 4242%' },
    { label: 'search=company4242. (an email domain)', query: 'search=company4242.', like: '%company4242.%' },
    { label: 'organization=Company 4242 (one company)', query: 'organization=Company%204242', organization: '%Company 4242%' },
  ];
  // Leads (title, or the contact's fields) and companies (name or domain), through the API only.
  const others = [
    { label: 'leads: search=person4242 (a title and an email)', path: '/api/v1/crm/leads?search=person4242' },
    { label: 'leads: search=Hopper 4242 (a contact name)', path: '/api/v1/crm/leads?search=Hopper%204242' },
    { label: 'companies: search=firm4242. (a domain)', path: '/api/v1/crm/companies?search=firm4242.' },
  ];
  const headers = { authorization: `Bearer ${tenant.token}` };
  const viaApi = (q: string) => async () => {
    const res = await fetch(`${api.baseUrl}/api/v1/contacts?${q}`, { headers });
    if (res.status !== 200) throw new Error(`GET /contacts?${q}: HTTP ${res.status}`);
    await res.arrayBuffer();
  };
  const bare = (q: (typeof queries)[number]) => async () => {
    const where = q.like ? `tenant_id = $1 and ${contactSearchText()} ilike $2` : 'tenant_id = $1 and organization ilike $2';
    const params = [tenant.tenantId, q.like ?? q.organization];
    await db.query(`select count(*) from contact where ${where}`, params);
    await db.query(`select * from contact where ${where} order by created_at desc, id asc limit 20`, params);
  };

  const indexed = [];
  for (const q of queries) {
    const apiMs = await timed(sizes.requests, viaApi(q.query));
    const bareMs = await timed(sizes.requests, bare(q));
    const plan = (await db.query<{ 'QUERY PLAN': string }>(`explain select * from contact where tenant_id = $1 and ${q.like ? contactSearchText() : 'organization'} ilike $2`, [tenant.tenantId, q.like ?? q.organization])).rows.map((r) => r['QUERY PLAN']).join(' ');
    log(`${q.label}: API p50 ${apiMs.p50.toFixed(1)} ms, bare SQL p50 ${bareMs.p50.toFixed(1)} ms; ${/trgm/.test(plan) ? 'trigram index' : 'no trigram index'}`);
    indexed.push({ ...q, apiMs, bareMs, usesIndex: /trgm/.test(plan) });
  }
  const apiOnly = [];
  for (const o of others) {
    const ms = await timed(sizes.requests, async () => {
      const res = await fetch(`${api.baseUrl}${o.path}`, { headers });
      if (res.status !== 200) throw new Error(`GET ${o.path}: HTTP ${res.status}`);
      await res.arrayBuffer();
    });
    log(`${o.label}: API p50 ${ms.p50.toFixed(1)} ms, p99 ${ms.p99.toFixed(1)} ms`);
    apiOnly.push({ ...o, ms });
  }
  log('the same without the trigram indexes');
  for (const name of TRGM) await db.query(`drop index ${name}`);
  const unindexed: Array<{ label: string; apiMs: ReturnType<typeof latencyStats> }> = [];
  for (const q of queries) unindexed.push({ label: q.label, apiMs: await timed(Math.min(10, sizes.requests), viaApi(q.query)) });

  const rows: Row[] = indexed.flatMap((q, i) => [
    { section: `${q.label}, ${sizes.contacts} contacts in the tenant (baseline: the same SQL run bare)`, metric: 'p50', unit: 'ms', value: q.apiMs.p50, baseline: q.bareMs.p50, better: 'lower' as const },
    { section: `${q.label}, ${sizes.contacts} contacts in the tenant (baseline: the same SQL run bare)`, metric: 'p99', unit: 'ms', value: q.apiMs.p99, baseline: q.bareMs.p99, better: 'lower' as const },
    { section: `${q.label}, ${sizes.contacts} contacts in the tenant (baseline: the same SQL run bare)`, metric: 'p50 through the API without the trigram indexes', unit: 'ms', value: unindexed[i].apiMs.p50 },
  ]);
  for (const o of apiOnly) {
    rows.push({ section: `${o.label}, ${sizes.contacts} rows (no baseline: the goal is under 30 ms)`, metric: 'p50', unit: 'ms', value: o.ms.p50 });
    rows.push({ section: `${o.label}, ${sizes.contacts} rows (no baseline: the goal is under 30 ms)`, metric: 'p99', unit: 'ms', value: o.ms.p99 });
  }
  const table = withRatios(rows);
  console.log(`\n${formatTable(table)}`);
  const files = writeJson(join(root, 'bench', 'results', 'search'), fileStamp, { sizes, table, indexed, unindexed, apiOnly });
  log(`wrote ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
}

await runBench(main, stops, log);
