/**
 * `npm run bench:crm`: the CRM at the size the CRM issue names, one tenant with 100,000
 * leads, on the embedded default's PostgreSQL.
 *
 *   1. Import: a 100,000-row CSV through POST /crm/leads/import and its workflow; rows per
 *      second, and the worker's RSS as the rows go by (flat memory: the file is streamed
 *      from PostgreSQL in 1 MB chunks and written in batches). Baseline: the same worker
 *      process idle before the import.
 *   2. Reads on that tenant: lists, filters, search, sorting and analytics through the API
 *      against a bare Koa handler sending the very SQL the API sent (captured from the
 *      ORM, scripts/bench/apiLatency.ts), p50 and p99, one after the other on the same data.
 *
 * Sizes (env): BENCH_CRM_ROWS (100000), BENCH_CRM_REQUESTS (300), BENCH_CRM_CONCURRENCY (10); BENCH_CRM_ONLY picks reads by name.
 */
import { join } from 'node:path';
import { formatTable, withRatios, writeJson, type Row } from './bench/report.ts';
import { envInt, registerTenant, root, runBench, serviceEnv, startApi, startDatabase, startTemporal, startWorkerChild, stoppers } from './bench/stack.ts';
import { benchEndpoint, captureSql, startBaseline, type EndpointResult, type SqlWaves } from './bench/apiLatency.ts';
import { memoryOf, type MemorySample } from './bench/proc.ts';

const log = (line: string) => console.log(`[bench:crm] ${line}`);
const sizes = { rows: envInt('BENCH_CRM_ROWS', 100_000), requests: envInt('BENCH_CRM_REQUESTS', 300), concurrency: envInt('BENCH_CRM_CONCURRENCY', 10) };
const stops = stoppers(log);

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Dennis', 'Frances', 'Margaret', 'Linus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Thompson', 'Ritchie', 'Allen', 'Hamilton', 'Torvalds'];
const SOURCES = ['website', 'referral', 'email', 'event', 'social_media'];
const STATUSES = ['new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won', 'lost'];
const INDUSTRIES = ['technology', 'healthcare', 'finance', 'retail', 'manufacturing'];

function csvOf(rows: number): string {
  const lines = ['first_name,last_name,email,phone,company,industry,source,status,value'];
  for (let n = 1; n <= rows; n++) {
    lines.push([FIRST[n % 10], `${LAST[Math.floor(n / 10) % 10]} ${n}`, `person${n}@company${n % 2000}.example`, `+1202${String(n).padStart(7, '0')}`, `Company ${n % 2000}`, INDUSTRIES[n % 5], SOURCES[n % 5], STATUSES[n % 7], n % 3 ? String((n % 500) * 100 + 0.5) : ''].join(','));
  }
  return `${lines.join('\n')}\n`;
}

async function main() {
  const stamp = `${Date.now()}_${process.pid}`;
  const fileStamp = new Date().toISOString().replace(/[:.]/g, '-');
  log(`sizes: ${JSON.stringify(sizes)}`);
  const [database, temporal] = await Promise.all([startDatabase(stamp, stops, log), startTemporal(`crm-${fileStamp}`, stops, log)]);
  const vars = serviceEnv({ databaseUrl: database.url, temporalAddress: temporal.address, taskQueue: `bench-crm-${stamp}` });
  const api = await startApi(vars, stops);
  // BENCH_WORKER_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=…' profiles the importing worker.
  const worker = await startWorkerChild('worker', 'workers/main.ts', { ...vars, ...(process.env.BENCH_WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS } : {}) }, stops, log);
  const tenant = await registerTenant(api, 'crm', stamp);
  const headers = { authorization: `Bearer ${tenant.token}` };

  // 1. Import.
  const csv = csvOf(sizes.rows);
  const idle = memoryOf(worker.pid);
  log(`1. importing ${sizes.rows} rows (${(csv.length / 1e6).toFixed(1)} MB); worker RSS idle ${idle?.rssMb.toFixed(0)} MB`);
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'bench.csv');
  const t0 = performance.now();
  const started = (await (await fetch(`${api.baseUrl}/api/v1/crm/leads/import`, { method: 'POST', headers, body: form })).json()) as { data: { id: string } };
  const samples: Array<{ rows: number; rss: MemorySample | undefined }> = [];
  let last = { status: 'queued', rows_done: 0, created: 0, rejected: 0 };
  while (last.status !== 'completed' && last.status !== 'failed') {
    await new Promise((r) => setTimeout(r, 2_000));
    last = ((await (await fetch(`${api.baseUrl}/api/v1/crm/lead-imports/${started.data.id}`, { headers })).json()) as { data: typeof last }).data;
    samples.push({ rows: last.rows_done, rss: memoryOf(worker.pid) });
    if (samples.length % 15 === 0) log(`   ${last.rows_done} rows, worker RSS ${samples.at(-1)?.rss?.rssMb.toFixed(0)} MB`);
  }
  const importSeconds = (performance.now() - t0) / 1000;
  if (last.status !== 'completed' || last.created !== sizes.rows) throw new Error(`import ended ${JSON.stringify(last)}`);
  const at = (fraction: number) => samples.find((s) => s.rows >= sizes.rows * fraction)?.rss?.rssMb;
  const peak = memoryOf(worker.pid)?.peakRssMb;
  log(`   ${sizes.rows} rows in ${importSeconds.toFixed(0)} s (${(sizes.rows / importSeconds).toFixed(0)} rows/s); RSS at 10% ${at(0.1)?.toFixed(0)} MB, at 90% ${at(0.9)?.toFixed(0)} MB, peak ${peak?.toFixed(0)} MB`);
  await worker.stop();
  if (process.env.BENCH_IMPORT_ONLY) return;
  await api.orm.em.getConnection().execute('analyze');

  // 2. Reads on 100,000 leads.
  // The fast reads (tens of ms) get five times the requests: at 300, a p99 is three requests
  // and moved 1.0-1.4x between runs; the slow ones (seconds) stay at BENCH_CRM_REQUESTS.
  const allPaths = [
    ['leads, first page', '/api/v1/crm/leads', 5],
    ['leads, a status', '/api/v1/crm/leads?status=qualified', 5],
    ['leads, min_score, sorted by score', '/api/v1/crm/leads?min_score=50&sort_by=score', 1],
    ['leads, sorted by value, page 50', '/api/v1/crm/leads?sort_by=value&page=50', 1],
    ['leads, search (a name)', '/api/v1/crm/leads?search=Hopper%2042', 5],
    ['contacts, first page', '/api/v1/contacts', 5],
    ['contacts, search (an email domain)', '/api/v1/contacts?search=company1234.', 5],
    ['companies, search', '/api/v1/crm/companies?search=Company%20123', 5],
    ['analytics overview, 30 days', '/api/v1/crm/leads/analytics/overview?days=30', 1],
    ['analytics dashboard, 30 days', '/api/v1/analytics/dashboard?days=30', 1],
  ] as const;
  // BENCH_CRM_ONLY=<part of a name>: only the reads it names (the import still runs: they read its rows).
  const paths = allPaths.filter(([name]) => !process.env.BENCH_CRM_ONLY || name.includes(process.env.BENCH_CRM_ONLY));
  const captured = new Map<string, SqlWaves>();
  for (const [, path] of paths) captured.set(path, await captureSql({ config: api.config, temporal: api.temporal, path, token: tenant.token }));
  const baseline = await startBaseline(database.url, api.config.database.poolMax, captured);
  stops.add('baseline', () => baseline.close());
  log(`2. reads on ${sizes.rows} leads: ${sizes.requests} requests each (${sizes.requests * 5} for the fast ones), ${sizes.concurrency} at a time`);
  const results: EndpointResult[] = [];
  for (const [name, path, scale] of paths) {
    const r = await benchEndpoint({ name, path, sql: captured.get(path)!, apiBaseUrl: api.baseUrl, baselineBaseUrl: baseline.baseUrl, token: tenant.token, requests: sizes.requests * scale, concurrency: sizes.concurrency, warmup: 20, log });
    log(`   ${name}: API p50 ${r.api.stats.p50.toFixed(1)} ms / bare ${r.baseline.stats.p50.toFixed(1)} ms; p99 ${r.api.stats.p99.toFixed(1)} / ${r.baseline.stats.p99.toFixed(1)} ms`);
    results.push(r);
  }

  const importSection = `1. import of ${sizes.rows} CSV rows (baseline: the worker idle before it)`;
  const rows: Row[] = [
    { section: importSection, metric: 'rows per second (no baseline)', unit: '/s', value: sizes.rows / importSeconds },
    { section: importSection, metric: 'worker RSS at 10% of the rows', unit: 'MB', value: at(0.1), baseline: idle?.rssMb, better: 'lower' },
    { section: importSection, metric: 'worker RSS at 90% of the rows', unit: 'MB', value: at(0.9), baseline: idle?.rssMb, better: 'lower' },
    { section: importSection, metric: 'worker peak RSS', unit: 'MB', value: peak, baseline: idle?.rssMb, better: 'lower' },
    ...results.flatMap((r) => {
      const section = `2. ${r.name}: GET ${r.path.replace('/api/v1', '')}, c=${sizes.concurrency} (baseline: bare Koa + pg, same SQL)`;
      return [
        { section, metric: 'latency p50', unit: 'ms', value: r.api.stats.p50, baseline: r.baseline.stats.p50, better: 'lower' as const },
        { section, metric: 'latency p99', unit: 'ms', value: r.api.stats.p99, baseline: r.baseline.stats.p99, better: 'lower' as const },
      ];
    }),
  ];
  const table = withRatios(rows);
  console.log(`\n${formatTable(table)}`);
  const files = writeJson(join(root, 'bench', 'results', 'crm'), fileStamp, { sizes, table, samples, sql: Object.fromEntries(captured) });
  log(`wrote ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
}

await runBench(main, stops, log);
