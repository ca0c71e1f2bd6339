/**
 * `npm run bench:voice`: AI calls through a full simulated conversation of 6 turns over the
 * REST API (create, start, 6 × respond, end), on the embedded default's servers and the
 * simulator dialer, against a bare workflow that takes 6 Updates (each answered after one
 * no-op activity), same concurrency, same run:
 *
 *   1. calls per second (goal ≥ 0.7×);
 *   2. one `respond` turn's latency, p50 / p99, on an answered call, against the bare
 *      Update round trip (goal p99 ≤ 1.5×; the conversation engine is local, so no LLM
 *      is in the way).
 *
 * Sizes (env): BENCH_VOICE_CALLS (100), BENCH_VOICE_CONCURRENCY (10).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { formatTable, withRatios, writeJson, type Row } from './bench/report.ts';
import { envInt, registerTenant, root, runBench, serviceEnv, startApi, startDatabase, startTemporal, startWorkerChild, stoppers, type Api } from './bench/stack.ts';
import { latencyStats, pool } from './bench/load.ts';

const log = (line: string) => console.log(`[bench:voice] ${line}`);
const sizes = { calls: envInt('BENCH_VOICE_CALLS', 100), concurrency: envInt('BENCH_VOICE_CONCURRENCY', 10), turns: 6 };
const stops = stoppers(log);
const TURNS = ['Hi, yes, I have a few minutes', 'We keep our leads in spreadsheets', 'We lose track of follow-ups', 'About ten people use it', 'Mostly email and phone', 'That would be helpful'];
const ALWAYS = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: '00:00', end: '24:00' }]]));

async function bare(api: Api, vars: Record<string, string>, stamp: string) {
  const queue = `bench-voice-bare-${stamp}`;
  const worker = await startWorkerChild('bare worker', 'scripts/bench/bareWorker.ts', { ...vars, TEMPORAL_TASK_QUEUE: queue }, stops, log);
  const turns: number[] = [];
  const seconds = await pool(sizes.calls, sizes.concurrency, async () => {
    const handle = await api.temporal.workflow.start('benchCallWorkflow', { taskQueue: queue, workflowId: `bench-call-${randomUUID()}`, args: [sizes.turns] });
    for (const text of TURNS) {
      const t0 = performance.now();
      await handle.executeUpdate('respond', { args: [text] });
      turns.push(performance.now() - t0);
    }
    await handle.result();
  });
  await worker.stop();
  return { perSecond: sizes.calls / seconds, turn: latencyStats(turns) };
}

async function product(api: Api, vars: Record<string, string>, stamp: string) {
  const worker = await startWorkerChild('worker', 'workers/main.ts', vars, stops, log);
  const tenant = await registerTenant(api, 'voice', stamp);
  const headers = { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' };
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${api.baseUrl}/api/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { data: Record<string, unknown> }).data;
  };
  const hours = await fetch(`${api.baseUrl}/api/v1/tenant`, { method: 'PATCH', headers, body: JSON.stringify({ working_hours: ALWAYS }) });
  if (!hours.ok) throw new Error(`working hours: HTTP ${hours.status}`);
  const turns: number[] = [];
  const seconds = await pool(sizes.calls, sizes.concurrency, async (i) => {
    const call = await post('/voice/calls', { phone_number: `+1555${String(1_000_000 + i).slice(-7)}`, purpose: 'Discovery call' });
    await post(`/voice/calls/${String(call.id)}/start`, {});
    // A turn is timed from an answered call: the dial before it is not a turn (the first
    // utterance would otherwise wait for it, and the bare workflow dials nothing).
    for (;;) {
      const res = await fetch(`${api.baseUrl}/api/v1/voice/calls/${String(call.id)}`, { headers });
      if (((await res.json()) as { data: { status: string } }).data.status === 'in_progress') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    let going = true;
    for (const text of TURNS) {
      const t0 = performance.now();
      const answer = await post(`/voice/calls/${String(call.id)}/respond`, { text });
      turns.push(performance.now() - t0);
      going = Boolean(answer.should_continue);
      if (!going) break;
    }
    if (going) await post(`/voice/calls/${String(call.id)}/end`, { reason: 'completed' });
  });
  await worker.stop();
  return { perSecond: sizes.calls / seconds, turn: latencyStats(turns), turns: turns.length };
}

async function main() {
  const stamp = `${Date.now()}_${process.pid}`;
  const fileStamp = new Date().toISOString().replace(/[:.]/g, '-');
  const loadAtStart = loadavg()[0];
  log(`sizes: ${JSON.stringify(sizes)}; load average ${loadAtStart.toFixed(1)}`);
  const [database, temporal] = await Promise.all([startDatabase(stamp, stops, log), startTemporal(`voice-${fileStamp}`, stops, log)]);
  const vars = serviceEnv({ databaseUrl: database.url, temporalAddress: temporal.address, taskQueue: `bench-voice-${stamp}` });
  const api = await startApi(vars, stops);

  log(`1. baseline: ${sizes.calls} bare workflows taking ${sizes.turns} Updates, ${sizes.concurrency} at a time`);
  const b = await bare(api, vars, stamp);
  log(`   ${b.perSecond.toFixed(1)} calls/s, turn p50 ${b.turn.p50.toFixed(1)} ms, p99 ${b.turn.p99.toFixed(1)} ms`);
  log(`2. the product: ${sizes.calls} calls of ${sizes.turns} turns through the API`);
  const p = await product(api, vars, stamp);
  log(`   ${p.perSecond.toFixed(1)} calls/s, turn p50 ${p.turn.p50.toFixed(1)} ms, p99 ${p.turn.p99.toFixed(1)} ms (${p.turns} turns)`);

  const s1 = `1. calls through a ${sizes.turns}-turn conversation, ${sizes.concurrency} at a time (baseline: a bare workflow taking ${sizes.turns} Updates)`;
  const s2 = `2. one respond turn (baseline: the bare Update round trip)`;
  const rows: Row[] = [
    { section: s1, metric: 'calls per second', unit: '/s', value: p.perSecond, baseline: b.perSecond, better: 'higher' },
    { section: s2, metric: 'p50', unit: 'ms', value: p.turn.p50, baseline: b.turn.p50, better: 'lower' },
    { section: s2, metric: 'p99', unit: 'ms', value: p.turn.p99, baseline: b.turn.p99, better: 'lower' },
  ];
  const table = withRatios(rows);
  console.log(`\n${formatTable(table)}`);
  const files = writeJson(join(root, 'bench', 'results', 'voice'), fileStamp, { sizes, loadAtStart, table, bare: b, product: p });
  log(`wrote ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
}

await runBench(main, stops, log);
