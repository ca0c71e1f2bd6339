// Benchmark 1: how many triages per second the whole path sustains (HTTP POST, row and
// outbox insert, workflow start, classify, apply in one transaction), against the floor
// Temporal itself sets: a bare workflow with the same two activities, doing nothing.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Client } from '@temporalio/client';
import { startWorkflow } from '../../lib/workflowClient.ts';
import type { benchBareWorkflow } from './workflows.ts';
import { forEachConcurrent, latencyStats, runLoad, type LatencyStats } from './load.ts';
import { cpuMsOf } from './proc.ts';
import type { ChildWorker, Log } from './stack.ts';

export interface ThroughputResult {
  name: string;
  unit: string;
  n: number;
  concurrency: number;
  /** First start sent to last start answered (workflow start calls, or POSTs for triage). */
  startPhaseMs: number;
  /** Starts (or POSTs) answered per second. */
  startsPerSecond: number;
  /** Latency of one start (or POST) as its caller saw it. */
  startLatencyMs: LatencyStats;
  /** First start sent to the last item done (triage: the last `triaged_at`; bare: the last workflow closed). */
  elapsedMs: number;
  perSecond: number;
  /** First start sent to the last workflow closed, from Temporal's visibility records. */
  closedElapsedMs: number;
  closedPerSecond: number;
  /** Each workflow's start to close, from Temporal's visibility records. */
  workflowDurationMs: LatencyStats;
  /** Triage only: each message's POST (created_at) to triaged_at. */
  endToEndMs?: LatencyStats;
  /** CPU ms spent per workflow by each process during the run (Linux only). */
  cpuMsPerItem: { worker?: number; temporal?: number; bench: number };
}

interface CpuSample {
  worker?: number;
  temporal?: number;
  bench: number;
}

function sampleCpu(workerPid: number, temporalPid: number): CpuSample {
  const own = process.cpuUsage();
  return { worker: cpuMsOf(workerPid), temporal: cpuMsOf(temporalPid), bench: (own.user + own.system) / 1000 };
}

function cpuPerItem(before: CpuSample, after: CpuSample, n: number): ThroughputResult['cpuMsPerItem'] {
  const per = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : (b - a) / n);
  return { worker: per(before.worker, after.worker), temporal: per(before.temporal, after.temporal), bench: (after.bench - before.bench) / n };
}

/**
 * Polls until `check` says done, printing progress every 5 s. Fails early when the
 * worker process died (nothing would ever finish) and at the deadline, saying how far it got.
 */
async function waitFor(what: string, check: () => Promise<{ done: boolean; progress: string }>, opts: { timeoutMs: number; worker: ChildWorker; log: Log }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastReport = Date.now();
  for (;;) {
    const { done, progress } = await check();
    if (done) return;
    if (!opts.worker.alive()) throw new Error(`${what}: ${opts.worker.name} exited (${progress})\n${opts.worker.output()}`);
    if (Date.now() > deadline) throw new Error(`${what}: not done after ${opts.timeoutMs / 1000} s (${progress}); raise BENCH_TIMEOUT_SECONDS or lower the sizes`);
    if (Date.now() - lastReport >= 5_000) {
      lastReport = Date.now();
      opts.log(`  ${what}: ${progress}`);
    }
    await sleep(100);
  }
}

/** Waits until `n` workflows matching `query` completed, failing fast if any closed otherwise. */
async function waitForWorkflows(client: Client, what: string, query: string, n: number, opts: { timeoutMs: number; worker: ChildWorker; log: Log }) {
  await waitFor(
    what,
    async () => {
      const [completed, failed] = await Promise.all([
        client.workflow.count(`${query} AND ExecutionStatus = "Completed"`),
        client.workflow.count(`${query} AND ExecutionStatus != "Running" AND ExecutionStatus != "Completed"`),
      ]);
      if (failed.count > 0) throw new Error(`${what}: ${failed.count} workflows closed without completing (query: ${query})`);
      return { done: completed.count >= n, progress: `${completed.count}/${n} workflows completed` };
    },
    opts,
  );
}

/** Start and close times of the matching workflows; visibility records the server's own timestamps. */
async function workflowTimes(client: Client, query: string): Promise<{ durations: number[]; lastClose: number }> {
  const durations: number[] = [];
  let lastClose = 0;
  for await (const info of client.workflow.list({ query })) {
    if (!info.closeTime) continue;
    durations.push(info.closeTime.getTime() - info.startTime.getTime());
    lastClose = Math.max(lastClose, info.closeTime.getTime());
  }
  return { durations, lastClose };
}

export interface BareOptions {
  client: Client;
  taskQueue: string;
  /** Goes into the TenantId search attribute, so one phase's workflows can be counted apart from another's. */
  tag: string;
  n: number;
  concurrency: number;
  timeoutMs: number;
  worker: ChildWorker;
  temporalPid: number;
  log: Log;
}

/**
 * The baseline. Started through lib/workflowClient.ts `startWorkflow`, the very call the
 * API makes for triage (same search attributes, memo and ID policies), so the ratio
 * measures our code on top of Temporal rather than the cost of those options.
 */
export async function runBare(opts: BareOptions): Promise<ThroughputResult> {
  const { client, n, concurrency, tag } = opts;
  const startLatencies = new Float64Array(n);
  const before = sampleCpu(opts.worker.pid, opts.temporalPid);
  const t0 = Date.now();
  await forEachConcurrent(n, concurrency, async (i) => {
    const t = performance.now();
    await startWorkflow<typeof benchBareWorkflow>(
      { client, taskQueue: opts.taskQueue, tenantId: tag, requestId: randomUUID() },
      { workflowType: 'benchBareWorkflow', workflowId: `bench-${tag}-${i}`, args: [{ i }], entity: { type: 'bench', id: String(i) } },
    );
    startLatencies[i] = performance.now() - t;
  });
  const startPhaseMs = Date.now() - t0;
  const query = `TenantId = "${tag}" AND WorkflowType = "benchBareWorkflow"`;
  await waitForWorkflows(client, `bare ${tag}`, query, n, opts);
  const after = sampleCpu(opts.worker.pid, opts.temporalPid);
  const { durations, lastClose } = await workflowTimes(client, query);
  const elapsedMs = lastClose - t0;
  return {
    name: 'bare workflow (2 no-op activities)',
    unit: 'workflows/s',
    n,
    concurrency,
    startPhaseMs,
    startsPerSecond: (n * 1000) / startPhaseMs,
    startLatencyMs: latencyStats(startLatencies),
    elapsedMs,
    perSecond: (n * 1000) / elapsedMs,
    closedElapsedMs: elapsedMs,
    closedPerSecond: (n * 1000) / elapsedMs,
    workflowDurationMs: latencyStats(durations),
    cpuMsPerItem: cpuPerItem(before, after, n),
  };
}

export interface TriageOptions {
  apiBaseUrl: string;
  token: string;
  tenantId: string;
  n: number;
  concurrency: number;
  /** A pool on the bench's database, for the progress count. */
  db: pg.Pool;
  client: Client;
  timeoutMs: number;
  worker: ChildWorker;
  temporalPid: number;
  log: Log;
}

/** A sales inquiry the local classifier files as `triaged` (confidence 0.7), so no run waits for a review. */
const MESSAGE_BODY = JSON.stringify({
  channel: 'email',
  content: 'Hi, I am interested in pricing for 20 seats, jane+{i}@acme.com',
  customer_email: 'buyer{i}@example.com',
});

/**
 * The product path: N messages POSTed to the API (50 clients), then the database
 * polled until every one has `triaged_at`. Each message has its own sender, so each
 * triage creates a contact and a lead, as a new inquiry does.
 */
export async function runTriage(opts: TriageOptions): Promise<ThroughputResult> {
  const { n, concurrency, db, tenantId } = opts;
  const before = sampleCpu(opts.worker.pid, opts.temporalPid);
  const posted = await runLoad({
    url: `${opts.apiBaseUrl}/api/v1/inbox/messages`,
    method: 'POST',
    headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' },
    bodyTemplate: MESSAGE_BODY,
    requests: n,
    concurrency,
    warmup: 0,
    expectStatus: 201,
  });
  if (posted.errors) throw new Error(`triage: ${posted.errors} of ${n} POSTs failed; first: ${posted.firstError}`);
  const t0 = posted.startedAt;

  // The count the brief asks for: one SQL statement, per tenant.
  const triaged = async () => {
    const { rows } = await db.query<{ done: number; last: Date | null }>(
      'select count(*)::int as done, max(triaged_at) as last from messages where tenant_id = $1 and triaged_at is not null',
      [tenantId],
    );
    return rows[0];
  };
  await waitFor(
    'triage',
    async () => {
      const { done } = await triaged();
      return { done: done >= n, progress: `${done}/${n} messages triaged` };
    },
    opts,
  );
  const after = sampleCpu(opts.worker.pid, opts.temporalPid);
  const { last } = await triaged();
  const elapsedMs = (last?.getTime() ?? Date.now()) - t0;

  // The workflows close one workflow task after applyTriage commits.
  const query = `TenantId = "${tenantId}" AND WorkflowType = "triageMessageWorkflow"`;
  await waitForWorkflows(opts.client, 'triage workflows', query, n, opts);
  const { durations, lastClose } = await workflowTimes(opts.client, query);
  const { rows: e2e } = await db.query<{ ms: number }>(
    'select extract(epoch from (triaged_at - created_at)) * 1000 as ms from messages where tenant_id = $1 and triaged_at is not null',
    [tenantId],
  );
  return {
    name: 'triage end to end (API + worker)',
    unit: 'messages/s',
    n,
    concurrency,
    startPhaseMs: posted.elapsedMs,
    startsPerSecond: posted.throughput,
    startLatencyMs: posted.stats,
    elapsedMs,
    perSecond: (n * 1000) / elapsedMs,
    closedElapsedMs: lastClose - t0,
    closedPerSecond: (n * 1000) / (lastClose - t0),
    workflowDurationMs: latencyStats(durations),
    endToEndMs: latencyStats(e2e.map((r) => Number(r.ms))),
    cpuMsPerItem: cpuPerItem(before, after, n),
  };
}
