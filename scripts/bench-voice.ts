/**
 * `npm run bench:voice`: AI calls through a full simulated conversation of 6 turns over the
 * REST API (create, start, 6 × respond, end), on the embedded default's servers and the
 * simulator dialer, against a bare workflow that takes 6 Updates (each answered after one
 * no-op activity), same concurrency, same run:
 *
 *   1. calls per second (goal ≥ 0.7×), and the CPU each call cost, per process;
 *   2. one `respond` turn's latency, p50 / p99, on an answered call, against the bare
 *      Update round trip (goal p99 ≤ 1.5×; the conversation engine is local, so no LLM
 *      is in the way).
 *
 * Baseline and product take turns, BENCH_ROUNDS times each, after BENCH_WARMUP_ROUNDS
 * uncounted rounds of each (both workers run throughout), as bench:reminders does: run as
 * one cold block each, the side measured first met whatever the machine was doing then.
 *
 * Sizes (env): BENCH_VOICE_CALLS (100 a round), BENCH_VOICE_CONCURRENCY (10),
 * BENCH_ROUNDS (3), BENCH_WARMUP_ROUNDS (1).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { cpuRows, formatTable, withRatios, writeJson, type Row } from './bench/report.ts';
import { envInt, registerTenant, root, runBench, serviceEnv, startApi, startDatabase, startTemporal, startWorkerChild, stoppers, type Api } from './bench/stack.ts';
import { inTurns, latencyStats, pooledRate, poolWithCpu } from './bench/load.ts';
import { getJson, patchJson, postJson } from './bench/http.ts';
import { meanSplit, type CpuSplit } from './bench/proc.ts';

const log = (line: string) => console.log(`[bench:voice] ${line}`);
const sizes = { calls: envInt('BENCH_VOICE_CALLS', 100), concurrency: envInt('BENCH_VOICE_CONCURRENCY', 10), turns: 6, rounds: envInt('BENCH_ROUNDS', 3), warmupRounds: envInt('BENCH_WARMUP_ROUNDS', 1, 0) };
const stops = stoppers(log);
const TURNS = ['Hi, yes, I have a few minutes', 'We keep our leads in spreadsheets', 'We lose track of follow-ups', 'About ten people use it', 'Mostly email and phone', 'That would be helpful'];
const ALWAYS = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: '00:00', end: '24:00' }]]));

/** What a round's calls saw: each turn's latency and, on the product's side, the client's reads of a call while it was dialled and the time it waited. */
interface Tally {
  turns: number[];
  dialReads: number;
  dialWaitMs: number;
}

/** One round of a side: `calls` conversations, `concurrency` at a time, with what they saw and the CPU a call cost. */
async function round(pids: { temporal: number; worker: number }, call: (tally: Tally) => Promise<void>): Promise<Tally & { seconds: number; cpu: CpuSplit | undefined }> {
  const tally: Tally = { turns: [], dialReads: 0, dialWaitMs: 0 };
  return { ...(await poolWithCpu(pids, sizes.calls, sizes.concurrency, () => call(tally))), ...tally };
}

/** The baseline's conversation: a bare workflow taking one Update per turn. */
function bareCall(api: Api, queue: string) {
  return async ({ turns }: Tally) => {
    const handle = await api.temporal.workflow.start('benchCallWorkflow', { taskQueue: queue, workflowId: `bench-call-${randomUUID()}`, args: [sizes.turns] });
    for (const text of TURNS) {
      const t0 = performance.now();
      await handle.executeUpdate('respond', { args: [text] });
      turns.push(performance.now() - t0);
    }
    await handle.result();
  };
}

/** The product's conversation through the API: create, start, wait for the answer, respond per turn, end. */
async function productCall(api: Api, stamp: string) {
  const tenant = await registerTenant(api, 'voice', stamp);
  const url = (path: string) => `${api.baseUrl}/api/v1${path}`;
  await patchJson(url('/tenant'), tenant.token, { working_hours: ALWAYS });
  let n = 0;
  return async (tally: Tally) => {
    const i = n++;
    const call = await postJson<{ id: string }>(url('/voice/calls'), tenant.token, { phone_number: `+1555${String(1_000_000 + i).slice(-7)}`, purpose: 'Discovery call' }, 201);
    await postJson(url(`/voice/calls/${call.id}/start`), tenant.token, {});
    // A turn is timed from an answered call: the dial before it is not a turn (the first
    // utterance would otherwise wait for it, and the bare workflow dials nothing).
    const dialed = performance.now();
    for (;;) {
      tally.dialReads += 1;
      if ((await getJson<{ status: string }>(url(`/voice/calls/${call.id}`), tenant.token)).status === 'in_progress') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    tally.dialWaitMs += performance.now() - dialed;
    let going = true;
    for (const text of TURNS) {
      const t0 = performance.now();
      const answer = await postJson<{ should_continue?: boolean }>(url(`/voice/calls/${call.id}/respond`), tenant.token, { text });
      tally.turns.push(performance.now() - t0);
      going = Boolean(answer.should_continue);
      if (!going) break;
    }
    if (going) await postJson(url(`/voice/calls/${call.id}/end`), tenant.token, { reason: 'completed' });
  };
}

async function main() {
  const stamp = `${Date.now()}_${process.pid}`;
  const fileStamp = new Date().toISOString().replace(/[:.]/g, '-');
  const loadAtStart = loadavg()[0];
  log(`sizes: ${JSON.stringify(sizes)}; load average ${loadAtStart.toFixed(1)}`);
  const [database, temporal] = await Promise.all([startDatabase(stamp, stops, log), startTemporal(`voice-${fileStamp}`, stops, log)]);
  const vars = serviceEnv({ databaseUrl: database.url, temporalAddress: temporal.address, taskQueue: `bench-voice-${stamp}` });
  const api = await startApi(vars, stops);

  // Both workers run throughout, each on its own task queue; the idle one only long-polls.
  const bareQueue = `bench-voice-bare-${stamp}`;
  const bareWorker = await startWorkerChild('bare worker', 'scripts/bench/bareWorker.ts', { ...vars, TEMPORAL_TASK_QUEUE: bareQueue }, stops, log);
  const worker = await startWorkerChild('worker', 'workers/main.ts', vars, stops, log);
  const sides = { bare: bareCall(api, bareQueue), product: await productCall(api, stamp) };
  const counted = await inTurns(
    {
      ...sizes,
      what: `${sizes.calls} bare workflows taking ${sizes.turns} Updates, then ${sizes.calls} calls of ${sizes.turns} turns through the API, ${sizes.concurrency} at a time`,
      log,
      told: (b, p) => `bare ${(sizes.calls / b.seconds).toFixed(1)} calls/s, turn p99 ${latencyStats(b.turns).p99.toFixed(1)} ms; calls ${(sizes.calls / p.seconds).toFixed(1)} calls/s, turn p99 ${latencyStats(p.turns).p99.toFixed(1)} ms (${p.turns.length} turns)`,
    },
    () => round({ temporal: temporal.pid, worker: bareWorker.pid }, sides.bare),
    () => round({ temporal: temporal.pid, worker: worker.pid }, sides.product),
  );
  await Promise.all([bareWorker.stop(), worker.stop()]);
  /** A side's rounds pooled: calls over the time they took, latency over every turn. */
  const pooled = (rounds: typeof counted.bare) => ({
    perSecond: pooledRate(sizes.calls, rounds.map((x) => x.seconds * 1000)),
    turn: latencyStats(rounds.flatMap((x) => x.turns)),
    turns: rounds.reduce((a, x) => a + x.turns.length, 0),
    cpu: meanSplit(rounds.map((x) => x.cpu)),
  });
  const b = pooled(counted.bare);
  const p = pooled(counted.product);

  const s1 = `1. calls through a ${sizes.turns}-turn conversation, ${sizes.concurrency} at a time, ${sizes.rounds} rounds (baseline: a bare workflow taking ${sizes.turns} Updates)`;
  const s2 = `2. one respond turn (baseline: the bare Update round trip)`;
  const rows: Row[] = [
    { section: s1, metric: 'calls per second', unit: '/s', value: p.perSecond, baseline: b.perSecond, better: 'higher' },
    ...cpuRows(s1, 'CPU per call', p.cpu, b.cpu),
    { section: s2, metric: 'p50', unit: 'ms', value: p.turn.p50, baseline: b.turn.p50, better: 'lower' },
    { section: s2, metric: 'p99', unit: 'ms', value: p.turn.p99, baseline: b.turn.p99, better: 'lower' },
  ];
  const table = withRatios(rows);
  console.log(`\n${formatTable(table)}`);
  // Per round, so a reader sees the spread the pooled figures hide.
  const rounds = counted.product.map((x, i) => ({ calls: { value: sizes.calls / x.seconds, baseline: sizes.calls / counted.bare[i].seconds }, turnP99: { value: latencyStats(x.turns).p99, baseline: latencyStats(counted.bare[i].turns).p99 } }));
  const counts = (k: 'dialReads' | 'dialWaitMs') => counted.product.reduce((a, x) => a + x[k], 0) / (sizes.calls * sizes.rounds);
  const dialWait = { readsPerCall: counts('dialReads'), msPerCall: counts('dialWaitMs') };
  log(`the client read each call ${dialWait.readsPerCall.toFixed(1)} times while it was dialled (${dialWait.msPerCall.toFixed(0)} ms)`);
  const files = writeJson(join(root, 'bench', 'results', 'voice'), fileStamp, { sizes, loadAtStart, table, rounds, dialWait, bare: b, product: p });
  log(`wrote ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
}

await runBench(main, stops, log);
