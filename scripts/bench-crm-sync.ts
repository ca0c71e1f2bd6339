/**
 * `npm run bench:crm-sync`: a first full Salesforce sync of N contacts from the fake
 * Salesforce (test/fakes/salesforceServer.ts) through the real `jsforce`, on the embedded
 * default's servers, against a bare worker that logs in with the same client, pages the
 * same query and stores each page with one multi-row INSERT.
 *
 *   1. records per second, from asking for the sync to its run closing (the product) and
 *      from start to finish (bare); the goal is ≥ 2,000/s;
 *   2. the worker's memory: its peak resident set during the sync against its resident set
 *      idle just before (goal: within 1.2×), and against a sync of N/10 (flat, not growing
 *      with the org's size).
 *
 * Sizes (env): BENCH_CRM_RECORDS (100000), CRM_SYNC_PAGE_SIZE (2000).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { formatTable, withRatios, writeJson, type Row } from './bench/report.ts';
import { envInt, registerTenant, root, runBench, serviceEnv, startApi, startDatabase, startTemporal, startWorkerChild, stoppers, type Api } from './bench/stack.ts';
import { watchMemory } from './bench/proc.ts';
import { waitUntil } from './bench/load.ts';
import { startFakeSalesforce, type FakeSalesforce } from '../test/fakes/salesforceServer.ts';

const log = (line: string) => console.log(`[bench:crm-sync] ${line}`);
const sizes = { records: envInt('BENCH_CRM_RECORDS', 100_000), pageSize: envInt('CRM_SYNC_PAGE_SIZE', 2_000) };
const stops = stoppers(log);
const PASSWORD = 'bench-password';
const TOKEN = 'benchToken';

/** The org's contacts, changed over the last day (distinct timestamps, a few shared), each with a distinct email. */
function fill(sf: FakeSalesforce, n: number, label: string) {
  for (const [type, recs] of sf.objects) if (type === 'Contact') recs.clear();
  const start = Date.now() - 86_400_000;
  const batch = 1_000;
  for (let i = 0; i < n; i += batch) {
    const rows = Array.from({ length: Math.min(batch, n - i) }, (_, j) => ({ FirstName: label, LastName: `Contact ${i + j}`, Email: `${label.toLowerCase()}${i + j}@bench.example`, Phone: `+1555${String(i + j).padStart(7, '0')}`, Title: 'Buyer' }));
    sf.seed('Contact', rows, { modstamp: new Date(start + Math.floor((i / n) * 86_000_000)) });
  }
}

async function bare(api: Api, vars: Record<string, string>, db: pg.Pool, sf: FakeSalesforce, n: number, stamp: string) {
  fill(sf, n, 'Bare');
  const table = `bench_crm_${stamp}_${n}`;
  await db.query(`create table ${table} (id text primary key, name text, email text)`);
  const queue = `bench-crm-bare-${stamp}-${n}`;
  const worker = await startWorkerChild('bare worker', 'scripts/bench/bareWorker.ts', { ...vars, TEMPORAL_TASK_QUEUE: queue }, stops, log);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const memory = watchMemory(worker.pid);
  const started = performance.now();
  const stored = await api.temporal.workflow.execute('benchCrmWorkflow', {
    taskQueue: queue,
    workflowId: `bench-crm-${randomUUID()}`,
    args: [{ loginUrl: sf.url, username: sf.credentials.username, password: `${PASSWORD}${TOKEN}`, pageSize: sizes.pageSize, table }],
  });
  const seconds = (performance.now() - started) / 1000;
  const mem = memory.stop();
  await worker.stop();
  await db.query(`drop table ${table}`);
  if (stored !== n) throw new Error(`bare stored ${String(stored)} of ${n}`);
  return { perSecond: n / seconds, seconds, idleMb: mem.startMb, peakMb: mem.peakMb };
}

async function product(api: Api, vars: Record<string, string>, db: pg.Pool, sf: FakeSalesforce, n: number, stamp: string) {
  fill(sf, n, 'Synced');
  const worker = await startWorkerChild('worker', 'workers/main.ts', { ...vars, SALESFORCE_LOGIN_URL: sf.url, CRM_SYNC_PAGE_SIZE: String(sizes.pageSize) }, stops, log);
  const tenant = await registerTenant(api, `crm-${n}`, stamp);
  const auth = { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' };
  const made = await fetch(`${api.baseUrl}/api/v1/integrations`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ type: 'salesforce', config: { username: sf.credentials.username, password: PASSWORD, security_token: TOKEN }, sync_interval_minutes: 0 }),
  });
  if (made.status !== 201) throw new Error(`integration: HTTP ${made.status} ${await made.text()}`);
  const { data } = (await made.json()) as { data: { id: string } };
  // Idle: the worker started, its workflow bundle built, nothing running.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const memory = watchMemory(worker.pid);
  const started = performance.now();
  const res = await fetch(`${api.baseUrl}/api/v1/integrations/${data.id}/sync/contacts`, { method: 'POST', headers: auth });
  if (res.status !== 202) throw new Error(`sync: HTTP ${res.status} ${await res.text()}`);
  await waitUntil(
    `${n} records synced`,
    async () => {
      const row = (await db.query<{ status: string; error: string | null }>('select status, error from integration_sync_runs where integration_id = $1', [data.id])).rows[0];
      if (row?.status === 'failed') throw new Error(`the sync failed: ${row.error}`);
      return row?.status === 'completed';
    },
    1_800_000,
    log,
  );
  const seconds = (performance.now() - started) / 1000;
  const mem = memory.stop();
  const stored = Number((await db.query<{ n: string }>('select count(*) as n from contact where tenant_id = $1', [tenant.tenantId])).rows[0].n);
  await worker.stop();
  if (stored !== n) throw new Error(`the product stored ${stored} of ${n}`);
  return { perSecond: n / seconds, seconds, idleMb: mem.startMb, peakMb: mem.peakMb };
}

async function main() {
  const stamp = `${Date.now()}_${process.pid}`;
  const fileStamp = new Date().toISOString().replace(/[:.]/g, '-');
  const loadAtStart = loadavg()[0];
  log(`sizes: ${JSON.stringify(sizes)}; load average ${loadAtStart.toFixed(1)}`);
  const [database, temporal] = await Promise.all([startDatabase(stamp, stops, log), startTemporal(`crm-sync-${fileStamp}`, stops, log)]);
  const vars = serviceEnv({ databaseUrl: database.url, temporalAddress: temporal.address, taskQueue: `bench-crm-${stamp}` });
  const sf = await startFakeSalesforce();
  sf.credentials.password = PASSWORD;
  sf.credentials.securityToken = TOKEN;
  stops.add('fake Salesforce', () => sf.close());
  const api = await startApi({ ...vars, SALESFORCE_LOGIN_URL: sf.url }, stops);
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  stops.add('pool', () => db.end());
  const small = Math.max(1, Math.round(sizes.records / 10));

  log(`1. baseline: jsforce pages + one INSERT a page, ${sizes.records} records`);
  const bareBig = await bare(api, vars, db, sf, sizes.records, stamp);
  log(`   ${bareBig.perSecond.toFixed(0)} records/s, RSS ${bareBig.idleMb.toFixed(0)} → ${bareBig.peakMb.toFixed(0)} MB`);
  log(`2. the product: a first full sync of ${sizes.records} contacts`);
  const big = await product(api, vars, db, sf, sizes.records, stamp);
  log(`   ${big.perSecond.toFixed(0)} records/s, RSS ${big.idleMb.toFixed(0)} → ${big.peakMb.toFixed(0)} MB`);
  log(`3. the product again with ${small} contacts (memory should not scale with size)`);
  const few = await product(api, vars, db, sf, small, `${stamp}s`);
  log(`   ${few.perSecond.toFixed(0)} records/s, RSS ${few.idleMb.toFixed(0)} → ${few.peakMb.toFixed(0)} MB`);

  const s1 = `1. full sync of ${sizes.records} Salesforce contacts, ${sizes.pageSize} a page (baseline: jsforce + one INSERT a page)`;
  const s2 = `2. worker memory (baseline: the same worker idle just before)`;
  const s3 = `3. flat memory: ${sizes.records} records against ${small} (baseline: the product with ${small})`;
  const rows: Row[] = [
    { section: s1, metric: 'records per second', unit: '/s', value: big.perSecond, baseline: bareBig.perSecond, better: 'higher' },
    { section: s2, metric: 'worker peak RSS during the sync', unit: 'MB', value: big.peakMb, baseline: big.idleMb, better: 'lower' },
    { section: s3, metric: 'worker peak RSS during the sync', unit: 'MB', value: big.peakMb, baseline: few.peakMb, better: 'lower' },
  ];
  const table = withRatios(rows);
  console.log(`\n${formatTable(table)}`);
  const files = writeJson(join(root, 'bench', 'results', 'crm-sync'), fileStamp, { sizes, loadAtStart, table, bare: bareBig, product: big, productSmall: few });
  log(`wrote ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
}

await runBench(main, stops, log);
