/**
 * `npm run bench:reminders`: the reminder benchmark, every figure a ratio against bare
 * workflows measured in the same run, on the embedded default's servers (texts go to the
 * local sink, so the figure is the product's own cost, not Twilio's).
 *
 *   1. firing: N reminders due at the same moment vs N bare workflows sleeping on a timer
 *      until then and running one no-op activity (goal ≥ 0.7×);
 *   2. lateness of each send against its due time at a due rate of half the bare ceiling
 *      (goal p99 ≤ 1 s), beside the bare timers' at the same rate;
 *   3. scheduling: POST /reminders vs bare workflow starts (goal ≥ 0.7×).
 *
 * Sizes (env): BENCH_REMINDERS (200), BENCH_REMINDERS_PACED (200), BENCH_CONCURRENCY (20).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { formatTable, withRatios, writeJson, type Row } from './bench/report.ts';
import { envInt, registerTenant, root, runBench, serviceEnv, startApi, startDatabase, startTemporal, startWorkerChild, stoppers, type Api } from './bench/stack.ts';
import { collectSends, runBareTimers, scheduleReminders } from './bench/reminders.ts';
import { cpuMsOf } from './bench/proc.ts';

const log = (line: string) => console.log(`[bench:reminders] ${line}`);
const sizes = { reminders: envInt('BENCH_REMINDERS', 200), paced: envInt('BENCH_REMINDERS_PACED', 200), concurrency: envInt('BENCH_CONCURRENCY', 20) };
const timeoutMs = 600_000;
const stops = stoppers(log);
/** Time to schedule everything before the first is due. */
const leadMs = (n: number) => 5_000 + n * 40;

async function register(api: Api, label: string, stamp: string) {
  const tenant = await registerTenant(api, label, stamp);
  // Quiet hours would hold the texts whenever the bench runs at night.
  await fetch(`${api.baseUrl}/api/v1/tenant`, { method: 'PATCH', headers: { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ quiet_hours: null }) });
  return tenant;
}

async function main() {
  const stamp = `${Date.now()}_${process.pid}`;
  const fileStamp = new Date().toISOString().replace(/[:.]/g, '-');
  const loadAtStart = loadavg()[0];
  log(`sizes: ${JSON.stringify(sizes)}; load average ${loadAtStart.toFixed(1)}`);
  const [db, temporal] = await Promise.all([startDatabase(stamp, stops, log), startTemporal(`reminders-${fileStamp}`, stops, log)]);
  const vars = serviceEnv({ databaseUrl: db.url, temporalAddress: temporal.address, taskQueue: `bench-reminders-${stamp}` });
  const api = await startApi(vars, stops);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  stops.add('pool', () => pool.end());

  // ---- baseline first, with only its own worker running
  const bareQueue = `bench-timer-${stamp}`;
  const bareWorker = await startWorkerChild('bare worker', 'scripts/bench/bareWorker.ts', { ...vars, TEMPORAL_TASK_QUEUE: bareQueue }, stops, log);
  const bareCommon = { client: api.temporal, taskQueue: bareQueue, concurrency: sizes.concurrency, timeoutMs };
  await runBareTimers({ ...bareCommon, n: 20, dueAt: () => Date.now() + 500 });
  log(`1. baseline: ${sizes.reminders} bare timer workflows due together`);
  const bareAt = Date.now() + leadMs(sizes.reminders);
  const bareCpu0 = cpuMsOf(bareWorker.pid) ?? 0;
  const bare = await runBareTimers({ ...bareCommon, n: sizes.reminders, dueAt: () => bareAt });
  const bareCpuPer = ((cpuMsOf(bareWorker.pid) ?? 0) - bareCpu0) / sizes.reminders;
  log(`   ${bare.fire.perSecond.toFixed(1)} fired/s; started ${bare.schedulePerSecond.toFixed(1)}/s`);
  const rate = bare.fire.perSecond / 2;
  log(`2. baseline: ${sizes.paced} bare timers due at ${rate.toFixed(1)}/s (half the bare ceiling)`);
  const barePacedStart = Date.now() + leadMs(sizes.paced);
  const barePaced = await runBareTimers({ ...bareCommon, n: sizes.paced, dueAt: (i) => barePacedStart + (i * 1000) / rate });
  await bareWorker.stop();

  // ---- the product
  const worker = await startWorkerChild('worker', 'workers/main.ts', vars, stops, log);
  const tenant = await register(api, 'reminders', stamp);
  await scheduleReminders({ apiBaseUrl: api.baseUrl, token: tenant.token, n: 20, concurrency: sizes.concurrency, dueAt: () => Date.now() + 1000 });
  log(`1. ${sizes.reminders} reminders due together (scheduled through the API)`);
  const at = Date.now() + leadMs(sizes.reminders);
  const cpu0 = cpuMsOf(worker.pid) ?? 0;
  const burst = await scheduleReminders({ apiBaseUrl: api.baseUrl, token: tenant.token, n: sizes.reminders, concurrency: sizes.concurrency, dueAt: () => at });
  log(`   scheduled ${burst.perSecond.toFixed(1)}/s`);
  const fired = await collectSends({ db: pool, tenantId: tenant.tenantId, ids: burst.ids, firstDue: at, timeoutMs, log });
  log(`   ${fired.perSecond.toFixed(1)} sent/s`);
  const cpuPer = ((cpuMsOf(worker.pid) ?? 0) - cpu0) / sizes.reminders;
  log(`2. ${sizes.paced} reminders due at ${rate.toFixed(1)}/s`);
  const pacedStart = Date.now() + leadMs(sizes.paced);
  const paced = await scheduleReminders({ apiBaseUrl: api.baseUrl, token: tenant.token, n: sizes.paced, concurrency: sizes.concurrency, dueAt: (i) => pacedStart + (i * 1000) / rate });
  const pacedSends = await collectSends({ db: pool, tenantId: tenant.tenantId, ids: paced.ids, firstDue: pacedStart, timeoutMs, log });

  const rows: Row[] = [
    { section: `1. firing (baseline: bare timer + one no-op activity, ${sizes.reminders} due together)`, metric: 'sends per second', unit: '/s', value: fired.perSecond, baseline: bare.fire.perSecond, better: 'higher' },
    { section: `1. firing (baseline: bare timer + one no-op activity, ${sizes.reminders} due together)`, metric: 'worker CPU per reminder (scheduled and fired)', unit: 'ms', value: cpuPer, baseline: bareCpuPer, better: 'lower' },
    { section: `2. lateness at ${rate.toFixed(1)} due/s (baseline: bare timers at the same rate)`, metric: 'p50', unit: 'ms', value: pacedSends.latenessMs.p50, baseline: barePaced.fire.latenessMs.p50, better: 'lower' },
    { section: `2. lateness at ${rate.toFixed(1)} due/s (baseline: bare timers at the same rate)`, metric: 'p99', unit: 'ms', value: pacedSends.latenessMs.p99, baseline: barePaced.fire.latenessMs.p99, better: 'lower' },
    { section: `2. lateness at ${rate.toFixed(1)} due/s (baseline: bare timers at the same rate)`, metric: 'max', unit: 'ms', value: pacedSends.latenessMs.max, baseline: barePaced.fire.latenessMs.max, better: 'lower' },
    { section: `3. scheduling (baseline: bare workflow starts, ${sizes.concurrency} at a time)`, metric: 'scheduled per second', unit: '/s', value: (burst.perSecond + paced.perSecond) / 2, baseline: (bare.schedulePerSecond + barePaced.schedulePerSecond) / 2, better: 'higher' },
  ];
  const table = withRatios(rows);
  console.log(`\n${formatTable(table)}`);
  const files = writeJson(join(root, 'bench', 'results', 'reminders'), fileStamp, { sizes, loadAtStart, table, bare, barePaced, burst: { perSecond: burst.perSecond }, fired, paced: { perSecond: paced.perSecond }, pacedSends });
  log(`wrote ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
}

await runBench(main, stops, log);
