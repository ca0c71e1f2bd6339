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
 * Baseline and product take turns, BENCH_ROUNDS times each, and each side's figure pools
 * its rounds (sends over the time they took, lateness over every send). On 2 shared
 * cores one run's figures moved by a fifth from run to run; run as one block each, the
 * side measured first met whatever the machine was doing then. Each phase also says
 * where its CPU went, per reminder and per process (scripts/bench/proc.ts).
 *
 * Sizes (env): BENCH_REMINDERS (200), BENCH_REMINDERS_PACED (200), BENCH_CONCURRENCY (20),
 * BENCH_ROUNDS (3), BENCH_WARMUP_ROUNDS (1: full-size rounds of each side first, not counted).
 * BENCH_CPU_PROF=<dir> also writes each worker's V8 CPU profile there.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { cpuRows, formatTable, withRatios, writeJson, type Row } from './bench/report.ts';
import { envInt, registerTenant, root, runBench, serviceEnv, startApi, startDatabase, startTemporal, startWorkerChild, stoppers, type Api } from './bench/stack.ts';
import { collectSends, drainedPerSecond, pooledFire, runBareTimers, scheduleReminders, whenClosed, type FireResult } from './bench/reminders.ts';
import { meanSplit, startCpuSplit, type CpuSplit } from './bench/proc.ts';
import { pooledRate } from './bench/load.ts';
import { WARM_BEFORE_MS } from '../workflows/sendReminder.client.ts';

const log = (line: string) => console.log(`[bench:reminders] ${line}`);
const sizes = { reminders: envInt('BENCH_REMINDERS', 200), paced: envInt('BENCH_REMINDERS_PACED', 200), concurrency: envInt('BENCH_CONCURRENCY', 20), rounds: envInt('BENCH_ROUNDS', 3), warmupRounds: envInt('BENCH_WARMUP_ROUNDS', 1, 0) };
const timeoutMs = 600_000;
const stops = stoppers(log);
/** Time to schedule everything before the first is due. */
const leadMs = (n: number) => 5_000 + n * 40;

/** Runs `start` at the wall-clock time `at` (a phase that begins when something falls due). */
function atTime<T>(at: number, start: () => T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(start()), Math.max(0, at - Date.now())));
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

  // Both workers run throughout, each on its own task queue; the idle one only long-polls.
  const bareQueue = `bench-timer-${stamp}`;
  const bareWorker = await startWorkerChild('bare worker', 'scripts/bench/bareWorker.ts', { ...vars, TEMPORAL_TASK_QUEUE: bareQueue }, stops, log);
  const worker = await startWorkerChild('worker', 'workers/main.ts', vars, stops, log);
  const tenant = await register(api, 'reminders', stamp);
  const bareCommon = { client: api.temporal, taskQueue: bareQueue, concurrency: sizes.concurrency, timeoutMs };
  const schedule = (n: number, dueAt: (i: number) => number) => scheduleReminders({ apiBaseUrl: api.baseUrl, token: tenant.token, n, concurrency: sizes.concurrency, dueAt });
  const barePids = { temporal: temporal.pid, worker: bareWorker.pid };
  const pids = { temporal: temporal.pid, worker: worker.pid };

  const bareBursts: Array<Awaited<ReturnType<typeof runBareTimers>>> = [];
  const bursts: Array<{ scheduleMs: number; fired: FireResult }> = [];
  const cpu = { bareStart: [] as Array<CpuSplit | undefined>, bareFire: [] as Array<CpuSplit | undefined>, schedule: [] as Array<CpuSplit | undefined>, fire: [] as Array<CpuSplit | undefined>, warm: [] as Array<CpuSplit | undefined> };
  // The same processes doing nothing for as long as the warm-up lasts (their pollers, the
  // relay's listener): what the warm-up window costs without any reminder in it.
  const idleCpu = startCpuSplit(pids);
  await new Promise((resolve) => setTimeout(resolve, WARM_BEFORE_MS));
  const idle = idleCpu(sizes.reminders);
  // Rounds below 1 warm both sides up and are not counted: a long-running worker is warm. A
  // cold one (its JIT, its pool's connections and their server processes) made the first of
  // three counted rounds the slowest in 15 runs of 19 on the product's side (at 0.87 of the
  // later rounds' rate, on average) and in 11 of 19 on the bare side's (0.97).
  for (let round = 1 - sizes.warmupRounds; round <= sizes.rounds; round++) {
    const counted = round >= 1;
    log(`1. ${counted ? `round ${round}/${sizes.rounds}` : 'warm-up round (not counted)'}: ${sizes.reminders} bare timer workflows due together, then ${sizes.reminders} reminders (scheduled through the API)`);
    const bareAt = Date.now() + leadMs(sizes.reminders);
    const bareStartCpu = startCpuSplit(barePids);
    const bareFireCpu = atTime(bareAt, () => startCpuSplit(barePids));
    const bareStarted: Array<CpuSplit | undefined> = [];
    const bare = await runBareTimers({ ...bareCommon, n: sizes.reminders, dueAt: () => bareAt, onStarted: () => bareStarted.push(bareStartCpu(sizes.reminders)) });
    const bareFired = (await bareFireCpu)(sizes.reminders);

    const at = Date.now() + leadMs(sizes.reminders);
    const scheduleCpu = startCpuSplit(pids);
    const burst = await schedule(sizes.reminders, () => at);
    const scheduled = scheduleCpu(sizes.reminders);
    const closed = whenClosed(api.temporal, burst.ids);
    // The warm-up (workflows/sendReminder.client.ts WARM_BEFORE_MS): each reminder's first
    // workflow task runs in the window before it is due; its CPU is reported with the fire's.
    const warmCpu = atTime(at - WARM_BEFORE_MS, () => startCpuSplit(pids));
    let warmed: CpuSplit | undefined;
    const fireCpu = atTime(at, async () => {
      warmed = (await warmCpu)(sizes.reminders);
      return startCpuSplit(pids);
    });
    const fired = await collectSends({ db: pool, tenantId: tenant.tenantId, ids: burst.ids, firstDue: at, timeoutMs, log, closed });
    const firedCpu = (await fireCpu)(sizes.reminders);
    if (counted) {
      bareBursts.push(bare);
      bursts.push({ scheduleMs: burst.elapsedMs, fired });
      cpu.bareStart.push(...bareStarted);
      cpu.bareFire.push(bareFired);
      cpu.schedule.push(scheduled);
      cpu.warm.push(warmed);
      cpu.fire.push(firedCpu);
    }
    log(`   bare: ${bare.fire.perSecond.toFixed(1)} fired/s (${drainedPerSecond(bare.fire)?.toFixed(1)} closed/s), started ${bare.schedulePerSecond.toFixed(1)}/s; reminders: ${fired.perSecond.toFixed(1)} sent/s (${drainedPerSecond(fired)?.toFixed(1)} closed/s), scheduled ${burst.perSecond.toFixed(1)}/s`);
  }
  const bareFire = pooledFire(bareBursts.map((b) => b.fire));
  const fired = pooledFire(bursts.map((b) => b.fired));

  const rate = bareFire.perSecond / 2;
  const barePacedRuns: FireResult[] = [];
  const pacedRuns: FireResult[] = [];
  const pacedScheduleMs: number[] = [];
  for (let round = 1; round <= sizes.rounds; round++) {
    log(`2. round ${round}/${sizes.rounds}: ${sizes.paced} bare timers, then ${sizes.paced} reminders, due at ${rate.toFixed(1)}/s (half the bare ceiling)`);
    const barePacedStart = Date.now() + leadMs(sizes.paced);
    barePacedRuns.push((await runBareTimers({ ...bareCommon, n: sizes.paced, dueAt: (i) => barePacedStart + (i * 1000) / rate })).fire);
    const pacedStart = Date.now() + leadMs(sizes.paced);
    const paced = await schedule(sizes.paced, (i) => pacedStart + (i * 1000) / rate);
    pacedScheduleMs.push(paced.elapsedMs);
    pacedRuns.push(await collectSends({ db: pool, tenantId: tenant.tenantId, ids: paced.ids, firstDue: pacedStart, timeoutMs, log, closed: whenClosed(api.temporal, paced.ids) }));
  }
  const barePaced = pooledFire(barePacedRuns);
  const pacedSends = pooledFire(pacedRuns);
  const scheduled = pooledRate(sizes.reminders, bursts.map((b) => b.scheduleMs));
  const bareScheduled = pooledRate(sizes.reminders, bareBursts.map((b) => b.scheduleMs));
  const split = { bareStart: meanSplit(cpu.bareStart), bareFire: meanSplit(cpu.bareFire), schedule: meanSplit(cpu.schedule), fire: meanSplit(cpu.fire), warm: meanSplit(cpu.warm), idle };
  const warmUp = (k: keyof CpuSplit) => (split.warm && split.idle ? split.warm[k] - split.idle[k] : undefined);
  const warmRow = (metric: string, k: keyof CpuSplit): Row => ({ section: firing, metric, unit: 'ms', value: warmUp(k) });

  const firing = `1. firing (baseline: bare timer + one no-op activity, ${sizes.reminders} due together, ${sizes.rounds} rounds)`;
  const lateness = `2. lateness at ${rate.toFixed(1)} due/s (baseline: bare timers at the same rate)`;
  const scheduling = `3. scheduling (baseline: bare workflow starts, ${sizes.concurrency} at a time)`;
  const rows: Row[] = [
    { section: firing, metric: 'sends per second', unit: '/s', value: fired.perSecond, baseline: bareFire.perSecond, better: 'higher' },
    { section: firing, metric: 'workflows closed per second (to the last close)', unit: '/s', value: drainedPerSecond(fired), baseline: drainedPerSecond(bareFire), better: 'higher' },
    ...cpuRows(firing, 'CPU per reminder fired', split.fire, split.bareFire),
    warmRow(`CPU per reminder in the ${WARM_BEFORE_MS / 1000} s before it is due (its first workflow task), less the same window idle`, 'total'),
    warmRow('  of which the Temporal server', 'temporal'),
    warmRow('  of which the worker', 'worker'),
    warmRow('  of which PostgreSQL', 'postgres'),
    {
      section: firing,
      metric: 'CPU per reminder fired, with its warm-up',
      unit: 'ms',
      value: split.fire && warmUp('total') !== undefined ? split.fire.total + (warmUp('total') as number) : undefined,
      baseline: split.bareFire?.total,
      better: 'lower',
    },
    { section: lateness, metric: 'p50', unit: 'ms', value: pacedSends.latenessMs.p50, baseline: barePaced.latenessMs.p50, better: 'lower' },
    { section: lateness, metric: 'p99', unit: 'ms', value: pacedSends.latenessMs.p99, baseline: barePaced.latenessMs.p99, better: 'lower' },
    { section: lateness, metric: 'max', unit: 'ms', value: pacedSends.latenessMs.max, baseline: barePaced.latenessMs.max, better: 'lower' },
    { section: scheduling, metric: 'scheduled per second', unit: '/s', value: scheduled, baseline: bareScheduled, better: 'higher' },
    ...cpuRows(scheduling, 'CPU per reminder scheduled', split.schedule, split.bareStart),
  ];
  const table = withRatios(rows);
  console.log(`\n${formatTable(table)}`);
  // Per round, so a reader sees the spread the pooled figures hide.
  const rounds = bursts.map((b, i) => ({
    firing: { value: b.fired.perSecond, baseline: bareBursts[i].fire.perSecond },
    closing: { value: drainedPerSecond(b.fired), baseline: drainedPerSecond(bareBursts[i].fire) },
    scheduling: { value: sizes.reminders / (b.scheduleMs / 1000), baseline: bareBursts[i].schedulePerSecond },
    pacedP99: { value: pacedRuns[i].latenessMs.p99, baseline: barePacedRuns[i].latenessMs.p99 },
    pacedSchedulePerSecond: sizes.paced / (pacedScheduleMs[i] / 1000),
  }));
  const stats = (f: FireResult) => ({ n: f.n, perSecond: f.perSecond, closedPerSecond: drainedPerSecond(f), latenessMs: f.latenessMs });
  const files = writeJson(join(root, 'bench', 'results', 'reminders'), fileStamp, { sizes, loadAtStart, table, rounds, fired: stats(fired), bare: stats(bareFire), pacedSends: stats(pacedSends), barePaced: stats(barePaced), cpu: split });
  log(`wrote ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
}

await runBench(main, stops, log);
