/**
 * `npm run bench`: one command that starts what it measures (PostgreSQL, the Temporal
 * dev server as the embedded default runs it, the API in this process, the real worker
 * as a child process), runs the benchmarks, prints a table, writes
 * bench/results/<timestamp>.json, bench/results/latest.json and bench/results/latency.svg,
 * and stops everything it started (also on Ctrl-C).
 *
 * Every figure comes with a baseline measured in the same run, because absolute numbers
 * on a shared 2-core machine say little; the ratio is what carries over:
 *   1. triage end to end (POST → triaged) vs a bare workflow with the same two activities as no-ops;
 *   2. GET list endpoints vs a bare Koa handler sending the same SQL through pg.Pool;
 *   3. memory and CPU per workflow of the triage worker vs the bare worker.
 *
 * Sizes (env): BENCH_WORKFLOWS, BENCH_API_REQUESTS, BENCH_CONCURRENCY, BENCH_CONTACTS,
 * BENCH_WARMUP_WORKFLOWS, BENCH_WARMUP_REQUESTS, BENCH_TIMEOUT_SECONDS; BENCH_VERBOSE=1
 * shows the servers' and workers' own output. DATABASE_URL: use that PostgreSQL server
 * (a fresh database on it, dropped at the end) instead of the embedded one.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { routes } from '../api/app.ts';
import { benchEndpoint, captureSql, startBaseline, statementText, type EndpointResult, type SqlWaves } from './bench/apiLatency.ts';
import { runLoad, stopLoads } from './bench/load.ts';
import { memoryOf, type MemorySample } from './bench/proc.ts';
import { formatTable, PALETTE, renderSvg, withRatios, writeJson, type CdfSeries, type Row } from './bench/report.ts';
import { envInt, root, serviceEnv, startApi, startDatabase, startTemporal, startWorkerChild, stoppers, type Api } from './bench/stack.ts';
import { runBare, runTriage, type ThroughputResult } from './bench/throughput.ts';

const log = (line: string) => console.log(`[bench] ${line}`);

// Defaults sized to finish the whole run in a few minutes on 2 cores (see ARCHITECTURE.md, "Capacity").
const sizes = {
  workflows: envInt('BENCH_WORKFLOWS', 500),
  apiRequests: envInt('BENCH_API_REQUESTS', 3000),
  concurrency: envInt('BENCH_CONCURRENCY', 50),
  contacts: envInt('BENCH_CONTACTS', 500),
  warmupWorkflows: envInt('BENCH_WARMUP_WORKFLOWS', 20),
  warmupRequests: envInt('BENCH_WARMUP_REQUESTS', 200),
  timeoutSeconds: envInt('BENCH_TIMEOUT_SECONDS', 600),
};
const timeoutMs = sizes.timeoutSeconds * 1000;
const resultsDir = join(root, 'bench', 'results');

const stops = stoppers(log);
let exitCode: number | undefined;
let stopping: Promise<void> | undefined;
/** Stops everything once; a second caller (the main flow failing because a signal stopped its servers) waits for the same stop. */
async function shutdown(code: number): Promise<never> {
  exitCode ??= code;
  stopping ??= (async () => {
    log('stopping everything the bench started');
    // Some stops wait on unref'd timers only; this keeps the process alive until they are done.
    const keepAlive = setInterval(() => undefined, 1_000);
    await stopLoads();
    await stops.stopAll();
    clearInterval(keepAlive);
  })();
  await stopping;
  process.exit(exitCode);
}
const onSignal = (signal: NodeJS.Signals) => {
  if (stopping) {
    log(`${signal} again: exiting without waiting`);
    process.exit(130);
  }
  log(`${signal}: interrupted`);
  void shutdown(signal === 'SIGINT' ? 130 : 143);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// While stopping, clients whose server has just gone fail from their retry timers (gRPC
// "Channel has been shut down"); that must not end the process before the cleanup has run.
const onStray = (err: unknown) => {
  if (stopping) return;
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  void shutdown(1);
};
process.on('uncaughtException', onStray);
process.on('unhandledRejection', onStray);

interface Tenant {
  tenantId: string;
  token: string;
}

/** A tenant registered through the API like a real sign-up; `onboarded()` waits for its onboarding (the default pipeline leads go into). */
async function registerTenantLater(api: Api, label: string, stamp: string): Promise<{ onboarded(): Promise<Tenant> }> {
  const res = await fetch(`${api.baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `bench-${label}-${stamp}@example.com`, password: 'bench password 1234', full_name: 'Bench Owner', company_name: `Bench ${label}` }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`register failed: HTTP ${res.status} ${text.slice(0, 300)}`);
  const { data } = JSON.parse(text) as { data: { access_token: string; user: { tenant_id: string }; run: { workflow_id: string } | null } };
  return {
    async onboarded() {
      if (data.run) await api.temporal.workflow.getHandle(data.run.workflow_id).result();
      return { tenantId: data.user.tenant_id, token: data.access_token };
    },
  };
}

const ratioText = (value: number, baseline: number) => `${(value / baseline).toFixed(2)}× baseline`;

function throughputRows(bare: ThroughputResult, triage: ThroughputResult): Row[] {
  const section = `1. throughput, N=${triage.n}, c=${triage.concurrency} (baseline: bare workflow)`;
  const rows: Row[] = [
    // Like for like first: both counted when their workflow closes.
    { section, metric: 'workflows closed per second (like for like)', unit: '/s', value: triage.closedPerSecond, baseline: bare.closedPerSecond, better: 'higher' },
    { section, metric: 'done per second (triage: triaged_at set; bare: closed)', unit: '/s', value: triage.perSecond, baseline: bare.perSecond, better: 'higher' },
    { section, metric: 'starts answered per second (POST vs start)', unit: '/s', value: triage.startsPerSecond, baseline: bare.startsPerSecond, better: 'higher' },
    { section, metric: 'start latency p50 (POST vs start)', unit: 'ms', value: triage.startLatencyMs.p50, baseline: bare.startLatencyMs.p50, better: 'lower' },
    { section, metric: 'start latency p99 (POST vs start)', unit: 'ms', value: triage.startLatencyMs.p99, baseline: bare.startLatencyMs.p99, better: 'lower' },
    { section, metric: 'workflow start→close p50', unit: 'ms', value: triage.workflowDurationMs.p50, baseline: bare.workflowDurationMs.p50, better: 'lower' },
    { section, metric: 'workflow start→close p99', unit: 'ms', value: triage.workflowDurationMs.p99, baseline: bare.workflowDurationMs.p99, better: 'lower' },
    { section, metric: 'message POST→triaged p50 (no baseline)', unit: 'ms', value: triage.endToEndMs?.p50 },
    { section, metric: 'message POST→triaged p99 (no baseline)', unit: 'ms', value: triage.endToEndMs?.p99 },
    { section, metric: 'worker CPU per workflow', unit: 'ms', value: triage.cpuMsPerItem.worker, baseline: bare.cpuMsPerItem.worker, better: 'lower' },
    { section, metric: 'Temporal server CPU per workflow', unit: 'ms', value: triage.cpuMsPerItem.temporal, baseline: bare.cpuMsPerItem.temporal, better: 'lower' },
    { section, metric: 'bench process CPU per workflow (API+client)', unit: 'ms', value: triage.cpuMsPerItem.bench, baseline: bare.cpuMsPerItem.bench, better: 'lower' },
  ];
  return rows;
}

function apiRows(results: EndpointResult[]): Row[] {
  return results.flatMap((r) => {
    const section = `2. GET ${r.path}, ${r.api.stats.count} req, c=${sizes.concurrency} (baseline: bare Koa + pg, same SQL)`;
    return [
      { section, metric: 'latency p50', unit: 'ms', value: r.api.stats.p50, baseline: r.baseline.stats.p50, better: 'lower' as const },
      { section, metric: 'latency p99', unit: 'ms', value: r.api.stats.p99, baseline: r.baseline.stats.p99, better: 'lower' as const },
      { section, metric: 'latency mean', unit: 'ms', value: r.api.stats.mean, baseline: r.baseline.stats.mean, better: 'lower' as const },
      { section, metric: 'throughput', unit: 'req/s', value: r.api.throughput, baseline: r.baseline.throughput, better: 'higher' as const },
    ];
  });
}

function memoryRows(m: { triageWorker?: MemorySample; bareWorker?: MemorySample; bench?: MemorySample; temporal?: MemorySample }): Row[] {
  const section = '3. memory (baseline: the bare worker process)';
  return [
    { section, metric: 'worker peak RSS', unit: 'MB', value: m.triageWorker?.peakRssMb, baseline: m.bareWorker?.peakRssMb, better: 'lower' },
    { section, metric: 'worker RSS after its benchmark', unit: 'MB', value: m.triageWorker?.rssMb, baseline: m.bareWorker?.rssMb, better: 'lower' },
    { section, metric: 'bench process RSS at end (API + client; no baseline)', unit: 'MB', value: m.bench?.rssMb },
    { section, metric: 'bench process peak RSS (no baseline)', unit: 'MB', value: m.bench?.peakRssMb },
    { section, metric: 'Temporal dev server RSS at end (no baseline)', unit: 'MB', value: m.temporal?.rssMb },
  ];
}

async function main(): Promise<void> {
  const wallStart = Date.now();
  const startedAt = new Date(wallStart);
  const fileStamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const stamp = `${wallStart}_${process.pid}`;
  log(`sizes: ${JSON.stringify(sizes)}`);
  // Anything else running on the machine shares its 2 cores with every figure below.
  const loadAtStart = loadavg()[0];
  if (loadAtStart > 1) log(`note: load average ${loadAtStart.toFixed(1)} before starting; other work on this machine will make the figures noisy`);

  // PostgreSQL and Temporal come up side by side; both registered their stops before either can fail the other.
  const [dbStart, temporalStart] = await Promise.allSettled([startDatabase(stamp, stops, log), startTemporal(fileStamp, stops, log)]);
  if (dbStart.status === 'rejected') throw dbStart.reason;
  if (temporalStart.status === 'rejected') throw temporalStart.reason;
  const db = dbStart.value;
  const temporal = temporalStart.value;

  const vars = serviceEnv({ databaseUrl: db.url, temporalAddress: temporal.address, taskQueue: `bench-triage-${stamp}` });
  const api = await startApi(vars, stops);
  log(`API (buildApp, in this process) on ${api.baseUrl}`);
  // Each side of a ratio runs alone: the product's worker is not started until the bare
  // run is over and its worker stopped, so neither polls while the other is measured.
  log('starting the bare worker (scripts/bench/bareWorker.ts); it bundles its workflows first');
  const bareQueue = `bench-bare-${stamp}`;
  const bareWorker = await startWorkerChild('bare worker', 'scripts/bench/bareWorker.ts', { ...vars, TEMPORAL_TASK_QUEUE: bareQueue }, stops, log);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  stops.add('bench pg pool', () => pool.end());

  // Registered now, onboarded (a workflow) once the product's worker runs.
  const tenantsRegistered = [await registerTenantLater(api, 'warmup', stamp), await registerTenantLater(api, 'main', stamp)];
  // ---- 1. throughput
  const throughputOpts = { concurrency: sizes.concurrency, timeoutMs, temporalPid: temporal.pid, log };
  log(`1. bare workflow: warm-up ${sizes.warmupWorkflows}, then ${sizes.workflows} started ${sizes.concurrency} at a time`);
  const bareCommon = { ...throughputOpts, client: api.temporal, taskQueue: bareQueue, worker: bareWorker };
  await runBare({ ...bareCommon, tag: `warmup-${stamp}`, n: sizes.warmupWorkflows });
  const bare = await runBare({ ...bareCommon, tag: `measure-${stamp}`, n: sizes.workflows });
  log(`   ${bare.perSecond.toFixed(1)} workflows/s (${(bare.elapsedMs / 1000).toFixed(1)} s)`);
  const bareWorkerMemory = memoryOf(bareWorker.pid);
  await bareWorker.stop(); // the triage run gets the machine to itself
  log('starting the triage worker (node workers/main.ts)');
  const triageWorker = await startWorkerChild('triage worker', 'workers/main.ts', vars, stops, log);
  const [warmTenant, tenant] = await Promise.all(tenantsRegistered.map((t) => t.onboarded()));
  log(`tenants registered; seeding ${sizes.contacts} contacts through POST /api/v1/contacts`);
  const seeded = await runLoad({
    url: `${api.baseUrl}/api/v1/contacts`,
    method: 'POST',
    headers: { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' },
    bodyTemplate: JSON.stringify({ name: 'Contact {i}', email: 'contact{i}@example.com', organization: 'Org {i}', tags: ['bench'] }),
    requests: sizes.contacts,
    concurrency: sizes.concurrency,
    warmup: 0,
    expectStatus: 201,
  });
  if (seeded.errors) throw new Error(`seeding contacts: ${seeded.errors} failed; first: ${seeded.firstError}`);


  log(`1. triage: warm-up ${sizes.warmupWorkflows} messages (another tenant), then ${sizes.workflows} POSTed ${sizes.concurrency} at a time`);
  const triageCommon = { ...throughputOpts, apiBaseUrl: api.baseUrl, db: pool, client: api.temporal, worker: triageWorker };
  await runTriage({ ...triageCommon, ...warmTenant, n: sizes.warmupWorkflows });
  const triage = await runTriage({ ...triageCommon, ...tenant, n: sizes.workflows });
  log(`   ${triage.closedPerSecond.toFixed(1)} workflows closed/s: ${ratioText(triage.closedPerSecond, bare.closedPerSecond)} (triaged_at set: ${triage.perSecond.toFixed(1)}/s)`);
  const triageWorkerMemory = memoryOf(triageWorker.pid);
  await triageWorker.stop(); // the latency runs get the machine to themselves

  // ---- 2. API latency
  // Fresh planner statistics and no checkpoint pending, so neither side of a ratio meets
  // the seeding's aftermath (autovacuum, a checkpoint) and the other does not.
  await pool.query('vacuum analyze');
  await pool.query('checkpoint').catch((err: Error) => log(`2. no checkpoint before the latency runs (${err.message})`));
  const endpoints: Array<{ name: string; path: string }> = [{ name: 'contacts', path: '/api/v1/contacts' }];
  const skipped: Array<{ path: string; reason: string }> = [];
  // Looked up at run time: another change is adding this route.
  if (routes.some((r) => r.method === 'get' && r.path === '/crm/leads')) endpoints.push({ name: 'leads', path: '/api/v1/crm/leads' });
  else skipped.push({ path: '/api/v1/crm/leads', reason: 'route not in api/app.ts routes' });
  for (const s of skipped) log(`2. skipping GET ${s.path}: ${s.reason}`);

  const captured = new Map<string, SqlWaves>();
  for (const e of endpoints) {
    const waves = await captureSql({ config: api.config, temporal: api.temporal, path: e.path, token: tenant.token });
    captured.set(e.path, waves);
    log(`2. GET ${e.path} sends ${waves.map((w) => (w.length > 1 ? `${w.length} statements in parallel` : '1 statement')).join(', then ')}:`);
    for (const sql of waves.flat().map(statementText)) log(`     ${sql.length > 160 ? `${sql.slice(0, 157)}...` : sql}`);
  }
  const baseline = await startBaseline(db.url, api.config.database.poolMax, captured);
  stops.add('baseline server', () => baseline.close());
  const apiResults: EndpointResult[] = [];
  for (const e of endpoints) {
    log(`2. GET ${e.path}: ${sizes.apiRequests} requests (after ${sizes.warmupRequests} warm-up), ${sizes.concurrency} clients`);
    apiResults.push(
      await benchEndpoint({
        ...e,
        sql: captured.get(e.path) ?? [],
        apiBaseUrl: api.baseUrl,
        baselineBaseUrl: baseline.baseUrl,
        token: tenant.token,
        requests: sizes.apiRequests,
        concurrency: sizes.concurrency,
        warmup: sizes.warmupRequests,
        log,
      }),
    );
  }

  // ---- 3. memory
  const memory = { triageWorker: triageWorkerMemory, bareWorker: bareWorkerMemory, bench: memoryOf(process.pid), temporal: memoryOf(temporal.pid) };

  // ---- report
  const rows = withRatios([...throughputRows(bare, triage), ...apiRows(apiResults), ...memoryRows(memory)]);
  const wallSeconds = (Date.now() - wallStart) / 1000;
  console.log('');
  console.log(formatTable(rows));
  if (skipped.length) console.log(`\nskipped: ${skipped.map((s) => `GET ${s.path} (${s.reason})`).join('; ')}`);
  console.log(`\nwall time: ${wallSeconds.toFixed(0)} s`);

  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: totalmem() / 2 ** 30,
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadavg()[0],
  };
  const report = {
    startedAt: startedAt.toISOString(),
    wallSeconds,
    machine,
    sizes,
    setup: {
      postgres: db.server,
      temporal: 'CLI dev server, SQLite file with journal_mode=wal and synchronous=normal, headless',
      api: 'buildApp in the bench process; load from a worker thread over keep-alive sockets on 127.0.0.1',
      worker: 'node workers/main.ts (local rule-based classifier); baseline: scripts/bench/bareWorker.ts, same worker settings',
    },
    table: rows,
    throughput: { bare, triage, ratio: triage.closedPerSecond / bare.closedPerSecond, ratioTriagedAt: triage.perSecond / bare.perSecond },
    api: { endpoints: apiResults, skipped },
    memory,
  };
  const files = writeJson(resultsDir, fileStamp, report);

  const cdf: CdfSeries[] = apiResults.flatMap((r, i) => [
    { label: `${r.name} baseline p50 ${r.baseline.stats.p50.toFixed(1)} / p99 ${r.baseline.stats.p99.toFixed(1)} ms`, points: r.baseline.cdf, color: PALETTE[i % PALETTE.length], dashed: true },
    { label: `${r.name} API p50 ${r.api.stats.p50.toFixed(1)} / p99 ${r.api.stats.p99.toFixed(1)} ms`, points: r.api.cdf, color: PALETTE[i % PALETTE.length], dashed: false },
  ]);
  const svg = renderSvg({
    title: 'AI Secretary bench',
    subtitle: `${startedAt.toISOString()} · ${machine.cpus} × ${machine.cpuModel} · Node ${machine.node} · N=${sizes.workflows} workflows, ${sizes.apiRequests} requests, c=${sizes.concurrency}`,
    cdf,
    bars: [
      {
        title: 'Throughput',
        unit: 'items/s',
        bars: [
          { label: 'bare workflow (baseline)', value: bare.perSecond, color: '#999' },
          { label: 'triage, POST → triaged', value: triage.perSecond, color: PALETTE[1], ratio: triage.perSecond / bare.perSecond },
          { label: 'triage, workflows closed', value: triage.closedPerSecond, color: PALETTE[4], ratio: triage.closedPerSecond / bare.perSecond },
        ],
      },
      {
        title: 'API throughput at c=50',
        unit: 'req/s',
        bars: apiResults.flatMap((r, i) => [
          { label: `${r.name} baseline`, value: r.baseline.throughput, color: '#999' },
          { label: `${r.name} API`, value: r.api.throughput, color: PALETTE[i % PALETTE.length], ratio: r.api.throughput / r.baseline.throughput },
        ]),
      },
    ],
  });
  const svgFile = join(resultsDir, 'latency.svg');
  writeFileSync(svgFile, svg);
  log(`wrote ${[...files, svgFile].map((f) => f.slice(root.length + 1)).join(', ')}`);
}

try {
  await main();
  await shutdown(0);
} catch (err) {
  // After a signal, the main flow fails because its servers went away: not worth a stack trace.
  if (!stopping) log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  await shutdown(1);
}
