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
 * Each phase also says where its CPU went, per reminder and per process (scripts/bench/proc.ts).
 *
 * Sizes (env): BENCH_REMINDERS (200), BENCH_REMINDERS_PACED (200), BENCH_CONCURRENCY (20).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { formatTable, withRatios, writeJson, type Row } from './bench/report.ts';
import { envInt, registerTenant, root, runBench, serviceEnv, startApi, startDatabase, startTemporal, startWorkerChild, stoppers, type Api } from './bench/stack.ts';
import { collectSends, runBareTimers, scheduleReminders } from './bench/reminders.ts';
import { startCpuSplit, type CpuSplit } from './bench/proc.ts';

const log = (line: string) => console.log(`[bench:reminders] ${line}`);
const sizes = { reminders: envInt('BENCH_REMINDERS', 200), paced: envInt('BENCH_REMINDERS_PACED', 200), concurrency: envInt('BENCH_CONCURRENCY', 20) };
const timeoutMs = 600_000;
const stops = stoppers(log);
/** Time to schedule everything before the first is due. */
const leadMs = (n: number) => 5_000 + n * 40;

/** Runs `start` at the wall-clock time `at` (a phase that begins when something falls due). */
function atTime<T>(at: number, start: () => T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(start()), Math.max(0, at - Date.now())));
}

/** A phase's CPU per reminder, all processes and the three that do the work, against the baseline's. */
function cpuRows(section: string, what: string, value: CpuSplit | undefined, baseline: CpuSplit | undefined): Row[] {
  if (!value || !baseline) return [];
  const row = (metric: string, k: keyof CpuSplit): Row => ({ section, metric, unit: 'ms', value: value[k], baseline: baseline[k], better: 'lower' });
  return [
    row(`CPU per reminder ${what}, all processes`, 'total'),
    row('  of which the Temporal server', 'temporal'),
    row('  of which the worker', 'worker'),
    row('  of which PostgreSQL', 'postgres'),
    row('  of which the API and its client (this process)', 'bench'),
  ];
}

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
  const barePids = { temporal: temporal.pid, worker: bareWorker.pid };
  const bareStartCpu = startCpuSplit(barePids);
  let bareStartSplit: CpuSplit | undefined;
  const bareFireCpu = atTime(bareAt, () => startCpuSplit(barePids));
  const bare = await runBareTimers({ ...bareCommon, n: sizes.reminders, dueAt: () => bareAt, onStarted: () => (bareStartSplit = bareStartCpu(sizes.reminders)) });
  const bareFireSplit = (await bareFireCpu)(sizes.reminders);
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
  const pids = { temporal: temporal.pid, worker: worker.pid };
  const scheduleCpu = startCpuSplit(pids);
  const burst = await scheduleReminders({ apiBaseUrl: api.baseUrl, token: tenant.token, n: sizes.reminders, concurrency: sizes.concurrency, dueAt: () => at });
  const scheduleSplit = scheduleCpu(sizes.reminders);
  log(`   scheduled ${burst.perSecond.toFixed(1)}/s`);
  const fireCpu = atTime(at, () => startCpuSplit(pids));
  const fired = await collectSends({ db: pool, tenantId: tenant.tenantId, ids: burst.ids, firstDue: at, timeoutMs, log });
  const fireSplit = (await fireCpu)(sizes.reminders);
  log(`   ${fired.perSecond.toFixed(1)} sent/s`);
  log(`2. ${sizes.paced} reminders due at ${rate.toFixed(1)}/s`);
  const pacedStart = Date.now() + leadMs(sizes.paced);
  const paced = await scheduleReminders({ apiBaseUrl: api.baseUrl, token: tenant.token, n: sizes.paced, concurrency: sizes.concurrency, dueAt: (i) => pacedStart + (i * 1000) / rate });
  const pacedSends = await collectSends({ db: pool, tenantId: tenant.tenantId, ids: paced.ids, firstDue: pacedStart, timeoutMs, log });

  const rows: Row[] = [
    { section: `1. firing (baseline: bare timer + one no-op activity, ${sizes.reminders} due together)`, metric: 'sends per second', unit: '/s', value: fired.perSecond, baseline: bare.fire.perSecond, better: 'higher' },
    ...cpuRows(`1. firing (baseline: bare timer + one no-op activity, ${sizes.reminders} due together)`, 'fired', fireSplit, bareFireSplit),
    { section: `2. lateness at ${rate.toFixed(1)} due/s (baseline: bare timers at the same rate)`, metric: 'p50', unit: 'ms', value: pacedSends.latenessMs.p50, baseline: barePaced.fire.latenessMs.p50, better: 'lower' },
    { section: `2. lateness at ${rate.toFixed(1)} due/s (baseline: bare timers at the same rate)`, metric: 'p99', unit: 'ms', value: pacedSends.latenessMs.p99, baseline: barePaced.fire.latenessMs.p99, better: 'lower' },
    { section: `2. lateness at ${rate.toFixed(1)} due/s (baseline: bare timers at the same rate)`, metric: 'max', unit: 'ms', value: pacedSends.latenessMs.max, baseline: barePaced.fire.latenessMs.max, better: 'lower' },
    { section: `3. scheduling (baseline: bare workflow starts, ${sizes.concurrency} at a time)`, metric: 'scheduled per second', unit: '/s', value: (burst.perSecond + paced.perSecond) / 2, baseline: (bare.schedulePerSecond + barePaced.schedulePerSecond) / 2, better: 'higher' },
    ...cpuRows(`3. scheduling (baseline: bare workflow starts, ${sizes.concurrency} at a time)`, 'scheduled', scheduleSplit, bareStartSplit),
  ];
  const table = withRatios(rows);
  console.log(`\n${formatTable(table)}`);
  const files = writeJson(join(root, 'bench', 'results', 'reminders'), fileStamp, { sizes, loadAtStart, table, bare, barePaced, burst: { perSecond: burst.perSecond }, fired, cpu: { bareStart: bareStartSplit, bareFire: bareFireSplit, schedule: scheduleSplit, fire: fireSplit }, paced: { perSecond: paced.perSecond }, pacedSends });
  log(`wrote ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
}

await runBench(main, stops, log);
