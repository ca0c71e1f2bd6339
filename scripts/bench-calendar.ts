/**
 * `npm run bench:calendar`: a full Google Calendar sync of N events from the fake Google
 * server (test/fakes/googleServer.ts) through the real `googleapis` client, on the
 * embedded default's servers, against a bare worker that pages through the same calendar
 * with plain fetch and stores each page with one multi-row INSERT.
 *
 *   1. events per second, from connecting to the first pass done (the product) and from
 *      start to finish (bare);
 *   2. the worker's memory while it syncs: its resident set grows by what one page
 *      holds, not by the calendar's size (a sync of N/10 events beside it shows that).
 *
 * Sizes (env): BENCH_CALENDAR_EVENTS (10000), CALENDAR_SYNC_PAGE_SIZE (250).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { formatTable, withRatios, writeJson, type Row } from './bench/report.ts';
import { envInt, registerTenant, root, runBench, serviceEnv, startApi, startDatabase, startTemporal, startWorkerChild, stoppers, type Api } from './bench/stack.ts';
import { watchMemory } from './bench/proc.ts';
import { waitUntil } from './bench/load.ts';
import { startFakeGoogle, type FakeGoogle } from '../test/fakes/googleServer.ts';

const log = (line: string) => console.log(`[bench:calendar] ${line}`);
const sizes = { events: envInt('BENCH_CALENDAR_EVENTS', 10_000), pageSize: envInt('CALENDAR_SYNC_PAGE_SIZE', 250) };
const stops = stoppers(log);

const googleEnv = (google: FakeGoogle) => ({
  GOOGLE_CLIENT_ID: 'bench.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'bench-secret',
  GOOGLE_API_URL: google.apiUrl,
  GOOGLE_OAUTH_URL: google.oauthUrl,
  CALENDAR_SYNC_INTERVAL: '1h',
  CALENDAR_SYNC_PAGE_SIZE: String(sizes.pageSize),
});

function fill(google: FakeGoogle, n: number, label: string) {
  const base = Date.parse('2031-01-01T09:00:00Z');
  for (let i = 0; i < n; i++) google.addEvent({ summary: `${label} ${i}`, at: new Date(base + i * 3_600_000).toISOString(), minutes: 30 });
}

async function accessToken(google: FakeGoogle): Promise<string> {
  const res = await fetch(`${google.oauthUrl}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code: google.issueCode() }) });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function bare(api: Api, vars: Record<string, string>, db: pg.Pool, google: FakeGoogle, n: number, stamp: string) {
  google.clearEvents();
  fill(google, n, 'Bare');
  {
    const table = `bench_calendar_${stamp}_${n}`;
    await db.query(`create table ${table} (id text primary key, title text, starts_at timestamptz)`);
    const queue = `bench-calendar-bare-${stamp}-${n}`;
    const worker = await startWorkerChild('bare worker', 'scripts/bench/bareWorker.ts', { ...vars, TEMPORAL_TASK_QUEUE: queue }, stops, log);
    const memory = watchMemory(worker.pid);
    const started = performance.now();
    const stored = await api.temporal.workflow.execute('benchCalendarWorkflow', { taskQueue: queue, workflowId: `bench-calendar-${randomUUID()}`, args: [{ apiUrl: google.apiUrl, accessToken: await accessToken(google), pageSize: sizes.pageSize, table }] });
    const seconds = (performance.now() - started) / 1000;
    const mem = memory.stop();
    await worker.stop();
    await db.query(`drop table ${table}`);
    if (stored !== n) throw new Error(`bare stored ${String(stored)} of ${n}`);
    return { perSecond: n / seconds, seconds, ...mem };
  }
}

async function product(api: Api, vars: Record<string, string>, db: pg.Pool, google: FakeGoogle, n: number, stamp: string) {
  google.clearEvents();
  fill(google, n, 'Synced');
  {
    const worker = await startWorkerChild('worker', 'workers/main.ts', { ...vars, ...googleEnv(google) }, stops, log);
    const tenant = await registerTenant(api, `calendar-${n}`, stamp);
    const auth = { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' };
    const start = await (await fetch(`${api.baseUrl}/api/v1/calendar/auth/google`, { method: 'POST', headers: auth, body: JSON.stringify({ redirect_uri: 'https://bench.example/cb' }) })).json() as { data?: { auth_url: string } };
    if (!start.data) throw new Error(`auth: ${JSON.stringify(start)}`);
    const state = new URL(start.data.auth_url).searchParams.get('state');
    const memory = watchMemory(worker.pid);
    const started = performance.now();
    const res = await fetch(`${api.baseUrl}/api/v1/calendar/auth/callback`, { method: 'POST', headers: auth, body: JSON.stringify({ provider: 'google', auth_code: google.issueCode(), state }) });
    if (res.status !== 201) throw new Error(`callback: HTTP ${res.status} ${await res.text()}`);
    const { data } = (await res.json()) as { data: { id: string } };
    await waitUntil(
      `${n} events synced`,
      async () => Boolean((await db.query<{ synced_at: Date | null }>('select last_synced_at as synced_at from calendar_connections where id = $1', [data.id])).rows[0]?.synced_at),
      1_800_000,
      log,
    );
    const seconds = (performance.now() - started) / 1000;
    const mem = memory.stop();
    const stored = Number((await db.query<{ n: string }>('select count(*) as n from calendar_event where connection_id = $1', [data.id])).rows[0].n);
    await worker.stop();
    if (stored !== n) throw new Error(`the product stored ${stored} of ${n}`);
    return { perSecond: n / seconds, seconds, ...mem };
  }
}

async function main() {
  const stamp = `${Date.now()}_${process.pid}`;
  const fileStamp = new Date().toISOString().replace(/[:.]/g, '-');
  const loadAtStart = loadavg()[0];
  log(`sizes: ${JSON.stringify(sizes)}; load average ${loadAtStart.toFixed(1)}`);
  const [database, temporal] = await Promise.all([startDatabase(stamp, stops, log), startTemporal(`calendar-${fileStamp}`, stops, log)]);
  const vars = serviceEnv({ databaseUrl: database.url, temporalAddress: temporal.address, taskQueue: `bench-calendar-${stamp}` });
  const google = await startFakeGoogle();
  stops.add('fake Google', () => google.close());
  const api = await startApi({ ...vars, ...googleEnv(google) }, stops);
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  stops.add('pool', () => db.end());
  const small = Math.max(1, Math.round(sizes.events / 10));

  log(`1. baseline: bare fetch + one INSERT a page, ${sizes.events} events`);
  const bareBig = await bare(api, vars, db, google, sizes.events, stamp);
  log(`   ${bareBig.perSecond.toFixed(0)} events/s, RSS +${bareBig.growthMb.toFixed(0)} MB`);
  log(`2. the product: connect, first full sync of ${sizes.events} events`);
  const big = await product(api, vars, db, google, sizes.events, stamp);
  log(`   ${big.perSecond.toFixed(0)} events/s, RSS +${big.growthMb.toFixed(0)} MB`);
  log(`3. the product again with ${small} events (memory should not scale with size)`);
  const few = await product(api, vars, db, google, small, `${stamp}s`);
  log(`   ${few.perSecond.toFixed(0)} events/s, RSS +${few.growthMb.toFixed(0)} MB`);

  const rows: Row[] = [
    { section: `1. full sync of ${sizes.events} events, ${sizes.pageSize} a page (baseline: bare fetch + one INSERT a page)`, metric: 'events per second', unit: '/s', value: big.perSecond, baseline: bareBig.perSecond, better: 'higher' },
    { section: `1. full sync of ${sizes.events} events, ${sizes.pageSize} a page (baseline: bare fetch + one INSERT a page)`, metric: 'worker RSS growth during the sync', unit: 'MB', value: big.growthMb, baseline: bareBig.growthMb, better: 'lower' },
    { section: `2. flat memory: ${sizes.events} events against ${small} (baseline: the product with ${small})`, metric: 'worker RSS growth during the sync', unit: 'MB', value: big.growthMb, baseline: few.growthMb, better: 'lower' },
    { section: `2. flat memory: ${sizes.events} events against ${small} (baseline: the product with ${small})`, metric: 'worker peak RSS during the sync', unit: 'MB', value: big.peakMb, baseline: few.peakMb, better: 'lower' },
  ];
  const table = withRatios(rows);
  console.log(`\n${formatTable(table)}`);
  const files = writeJson(join(root, 'bench', 'results', 'calendar'), fileStamp, { sizes, loadAtStart, table, bare: bareBig, product: big, productSmall: few });
  log(`wrote ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
}

await runBench(main, stops, log);
