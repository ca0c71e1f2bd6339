/**
 * `npm run bench:webhooks`: the outgoing-webhook benchmark, every figure a ratio against
 * a baseline measured in the same run, on the embedded default's servers.
 *
 *   1. fan-out: N test events to 4 healthy local endpoints (then 5, one of them dead:
 *      every attempt refused) vs bare workflows each doing one HTTP POST, same count;
 *   2. first-attempt latency of the healthy endpoints with and without the dead one;
 *   3. triage throughput for a tenant with one subscribed endpoint vs one with none.
 *
 * Sizes (env): BENCH_WEBHOOK_EVENTS (100), BENCH_WEBHOOK_TRIAGE (200), BENCH_CONCURRENCY (20).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { formatTable, withRatios, writeJson, type Row } from './bench/report.ts';
import { envInt, registerTenant, root, runBench, serviceEnv, startApi, startDatabase, startTemporal, startWorkerChild, stoppers, type Api } from './bench/stack.ts';
import { runTriage } from './bench/throughput.ts';
import { deadUrl, runBarePosts, runFanOut, startReceiver } from './bench/webhooks.ts';

const log = (line: string) => console.log(`[bench:webhooks] ${line}`);
const sizes = {
  events: envInt('BENCH_WEBHOOK_EVENTS', 100),
  pacedEvents: envInt('BENCH_WEBHOOK_PACED_EVENTS', 200),
  triage: envInt('BENCH_WEBHOOK_TRIAGE', 200),
  concurrency: envInt('BENCH_CONCURRENCY', 20),
};
const timeoutMs = 600_000;
const stops = stoppers(log);


async function subscribe(api: Api, token: string, url: string, events = ['webhook.test']) {
  const res = await fetch(`${api.baseUrl}/api/v1/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url, events }),
  });
  if (res.status !== 201) throw new Error(`webhook register: HTTP ${res.status} ${await res.text()}`);
}

async function main() {
  const stamp = `${Date.now()}_${process.pid}`;
  const fileStamp = new Date().toISOString().replace(/[:.]/g, '-');
  const loadAtStart = loadavg()[0];
  log(`sizes: ${JSON.stringify(sizes)}; load average ${loadAtStart.toFixed(1)}`);
  const [db, temporal] = await Promise.all([startDatabase(stamp, stops, log), startTemporal(`webhooks-${fileStamp}`, stops, log)]);
  const vars = { ...serviceEnv({ databaseUrl: db.url, temporalAddress: temporal.address, taskQueue: `bench-webhooks-${stamp}` }), OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' };
  const api = await startApi(vars, stops);
  const receivers = await Promise.all([1, 2, 3, 4].map(() => startReceiver()));
  for (const r of receivers) stops.add('receiver', () => r.close());

  // ---- baseline first, with only its own worker running
  const bareQueue = `bench-post-${stamp}`;
  const bareWorker = await startWorkerChild('bare worker', 'scripts/bench/bareWorker.ts', { ...vars, TEMPORAL_TASK_QUEUE: bareQueue }, stops, log);
  const bareTotal = sizes.events * receivers.length;
  log(`1. baseline: ${bareTotal} bare workflows, one POST each`);
  await runBarePosts({ client: api.temporal, taskQueue: bareQueue, receiver: receivers[0], n: 50, concurrency: sizes.concurrency, timeoutMs, log });
  const bareRx = await startReceiver();
  stops.add('receiver', () => bareRx.close());
  const bare = await runBarePosts({ client: api.temporal, taskQueue: bareQueue, receiver: bareRx, n: bareTotal, concurrency: sizes.concurrency, timeoutMs, log });
  log(`   ${bare.perSecond.toFixed(1)} POSTs/s`);
  await bareWorker.stop();

  // ---- the product
  const worker = await startWorkerChild('worker', 'workers/main.ts', vars, stops, log);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  stops.add('pool', () => pool.end());
  const tenant = await registerTenant(api, 'fanout', stamp);
  for (const r of receivers) await subscribe(api, tenant.token, r.url);
  log(`1. fan-out: warm-up, then ${sizes.events} events to ${receivers.length} healthy endpoints`);
  await runFanOut({ apiBaseUrl: api.baseUrl, token: tenant.token, receivers, events: 20, concurrency: sizes.concurrency, timeoutMs, log });
  const healthy = await runFanOut({ apiBaseUrl: api.baseUrl, token: tenant.token, receivers, events: sizes.events, concurrency: sizes.concurrency, timeoutMs, log });
  log(`   ${healthy.perSecond.toFixed(1)} deliveries/s`);
  // Latency is measured below saturation: events at a rate whose deliveries (dead one
  // included) come to half the bare ceiling, so the figure is each delivery's own cost
  // and not the depth of a queue that any extra work would lengthen.
  const rate = bare.perSecond / 2 / (receivers.length + 1);
  log(`2. first-attempt latency at ${rate.toFixed(1)} events/s, 4 healthy endpoints`);
  const paced = await runFanOut({ apiBaseUrl: api.baseUrl, token: tenant.token, receivers, events: sizes.pacedEvents, concurrency: sizes.concurrency, rate, timeoutMs, log });
  await subscribe(api, tenant.token, await deadUrl());
  log(`2. the same with a fifth, dead endpoint`);
  const withDead = await runFanOut({ apiBaseUrl: api.baseUrl, token: tenant.token, receivers, events: sizes.pacedEvents, concurrency: sizes.concurrency, rate, timeoutMs, log });
  log(`1. burst again with the dead endpoint`);
  const burstDead = await runFanOut({ apiBaseUrl: api.baseUrl, token: tenant.token, receivers, events: sizes.events, concurrency: sizes.concurrency, timeoutMs, log });
  log(`   ${burstDead.perSecond.toFixed(1)} healthy deliveries/s`);

  // ---- triage with and without a subscriber
  const triageCommon = { apiBaseUrl: api.baseUrl, db: pool, client: api.temporal, worker, concurrency: sizes.concurrency, timeoutMs, temporalPid: temporal.pid, log };
  const none = await registerTenant(api, 'nosub', stamp);
  const one = await registerTenant(api, 'onesub', stamp);
  await subscribe(api, one.token, receivers[0].url, ['*']);
  log(`3. triage, ${sizes.triage} messages, no subscriber`);
  const triageNone = await runTriage({ ...triageCommon, ...none, n: sizes.triage });
  log(`3. triage, ${sizes.triage} messages, one endpoint subscribed to every event`);
  const triageOne = await runTriage({ ...triageCommon, ...one, n: sizes.triage });
  await worker.stop();
  // The baseline: the same worker without the outbox relay, as triage ran before the outbox.
  const noRelay = await startWorkerChild('worker without relay', 'workers/main.ts', { ...vars, OUTBOX_RELAY: 'false' }, stops, log);
  const before = await registerTenant(api, 'norelay', stamp);
  log(`3. triage, ${sizes.triage} messages, worker without the outbox relay`);
  const triageNoRelay = await runTriage({ ...triageCommon, worker: noRelay, ...before, n: sizes.triage });
  await noRelay.stop();

  const rows: Row[] = [
    { section: `1. fan-out (baseline: bare workflow + one POST, ${bareTotal})`, metric: 'deliveries per second, 4 healthy endpoints', unit: '/s', value: healthy.perSecond, baseline: bare.perSecond, better: 'higher' },
    { section: `1. fan-out (baseline: bare workflow + one POST, ${bareTotal})`, metric: 'healthy deliveries per second, + 1 dead endpoint', unit: '/s', value: burstDead.perSecond, baseline: bare.perSecond, better: 'higher' },
    { section: '2. first-attempt latency of healthy endpoints at half the ceiling (baseline: without the dead one)', metric: 'p50 with a dead endpoint', unit: 'ms', value: withDead.firstAttemptMs.p50, baseline: paced.firstAttemptMs.p50, better: 'lower' },
    { section: '2. first-attempt latency of healthy endpoints at half the ceiling (baseline: without the dead one)', metric: 'p99 with a dead endpoint', unit: 'ms', value: withDead.firstAttemptMs.p99, baseline: paced.firstAttemptMs.p99, better: 'lower' },
    { section: '2. first-attempt latency (no baseline: a burst, queueing included)', metric: 'burst p99, 4 healthy endpoints', unit: 'ms', value: healthy.firstAttemptMs.p99 },
    { section: '2. first-attempt latency (no baseline: a burst, queueing included)', metric: 'burst p99, + 1 dead endpoint', unit: 'ms', value: burstDead.firstAttemptMs.p99 },
    { section: '3. triage (baseline: the worker without the outbox relay)', metric: 'messages triaged per second, relay on, no subscriber', unit: '/s', value: triageNone.perSecond, baseline: triageNoRelay.perSecond, better: 'higher' },
    { section: '3. triage (baseline: the worker without the outbox relay)', metric: 'messages triaged per second, one endpoint subscribed to *', unit: '/s', value: triageOne.perSecond, baseline: triageNoRelay.perSecond, better: 'higher' },
  ];
  const table = withRatios(rows);
  console.log(`\n${formatTable(table)}`);
  const files = writeJson(join(root, 'bench', 'results', 'webhooks'), fileStamp, { sizes, loadAtStart, table, bare, healthy, paced, withDead, burstDead, triageNone, triageOne, triageNoRelay });
  log(`wrote ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
}

await runBench(main, stops, log);
