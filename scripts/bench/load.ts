// A closed-loop HTTP load generator and the percentile maths for its figures.
// The loops run in a worker thread: the API under test runs in this process, and a
// client sharing its event loop would queue behind the server's work and distort the
// latencies of both.
import { Worker } from 'node:worker_threads';
import { startCpuSplit, type CpuSplit } from './proc.ts';

export interface LoadSpec {
  /** Full URL; always on 127.0.0.1. */
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** Request body; every `{i}` becomes the request's index, so each body can be unique. */
  bodyTemplate?: string;
  /** Measured requests. */
  requests: number;
  /** Concurrent clients, each waiting for its answer before sending again. */
  concurrency: number;
  /** Requests sent first and left out of the figures. */
  warmup: number;
  /** Any other status counts as an error. */
  expectStatus: number;
}

/** What the thread sends back. */
export interface ThreadResult {
  latencies: Float64Array;
  /** Wall clock (epoch ms) when the first measured request went out. */
  startedAt: number;
  elapsedMs: number;
  errors: number;
  firstError: string | undefined;
  statusCounts: Record<string, number>;
}

export interface LatencyStats {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadResult extends ThreadResult {
  stats: LatencyStats;
  /** Completed requests per second over the measured run. */
  throughput: number;
}

const running = new Set<Worker>();

/** Runs one load in its own thread and resolves with its latencies and counts. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(new URL('./loadThread.ts', import.meta.url), { workerData: spec });
    running.add(thread);
    let settled = false;
    thread.once('message', (result: ThreadResult) => {
      settled = true;
      resolve({ ...result, stats: latencyStats(result.latencies), throughput: (result.latencies.length * 1000) / result.elapsedMs });
    });
    thread.once('error', (err) => {
      settled = true;
      reject(err);
    });
    thread.once('exit', (code) => {
      running.delete(thread);
      if (!settled) reject(new Error(`load thread exited (code ${code}) before it answered`));
    });
  });
}

/** Ends every load still running (Ctrl-C). */
export async function stopLoads(): Promise<void> {
  await Promise.all([...running].map((t) => t.terminate()));
}

/** Nearest-rank percentile of an ascending array: the smallest value with at least p% of values at or below it. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

export function latencyStats(values: ArrayLike<number>): LatencyStats {
  const sorted = sortedCopy(values);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/**
 * Points of the empirical CDF, [latency ms, fraction at or below], thinned to about
 * `points` (evenly in rank, plus the tail above p99 in full detail) for the plot.
 */
export function cdfPoints(values: ArrayLike<number>, points = 200): Array<[number, number]> {
  const sorted = sortedCopy(values);
  const n = sorted.length;
  if (n === 0) return [];
  const out: Array<[number, number]> = [];
  const step = Math.max(1, Math.floor(n / points));
  const tailFrom = Math.floor(n * 0.99);
  for (let i = 0; i < n; i++) {
    if (i % step === 0 || i >= tailFrom || i === n - 1) out.push([sorted[i], (i + 1) / n]);
  }
  return out;
}

/** Runs `work(i)` for i in [0, n) with at most `concurrency` at a time. */
export async function forEachConcurrent(n: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < n) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, loop));
}

/** Polls `done` every 100 ms until it holds, saying every 10 s what it still waits for. */
export async function waitUntil(what: string, done: () => boolean | Promise<boolean>, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastLog = Date.now();
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    if (Date.now() - lastLog > 10_000) {
      log(`   still waiting for ${what}`);
      lastLog = Date.now();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `work` once to warm up, then `n` times one after another: each call's milliseconds. */
export async function timedSerial(n: number, work: () => Promise<void>): Promise<number[]> {
  await work();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await work();
    ms.push(performance.now() - t0);
  }
  return ms;
}

/** Runs `count` jobs `concurrency` at a time; answers the wall time in seconds. */
export async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await job(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

/** `pool`, with what the jobs cost in CPU per job, by process (scripts/bench/proc.ts). */
export async function poolWithCpu(pids: { temporal: number; worker: number }, count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<{ seconds: number; cpu: CpuSplit | undefined }> {
  const cpu = startCpuSplit(pids);
  const seconds = await pool(count, concurrency, job);
  return { seconds, cpu: cpu(count) };
}

/** Items over the time they took, across rounds of `n` items each. */
export const pooledRate = (n: number, spansMs: number[]): number => (n * spansMs.length) / (spansMs.reduce((a, b) => a + b, 0) / 1000);

/**
 * Baseline and product take turns, `rounds` times each, after `warmupRounds` uncounted rounds
 * of each: measured as one cold block each, the side that went first met whatever the
 * machine was doing then. Answers the counted rounds of each side.
 */
export async function inTurns<T>(
  opts: { rounds: number; warmupRounds: number; what: string; log: (line: string) => void; told: (bare: T, product: T) => string },
  bare: () => Promise<T>,
  product: () => Promise<T>,
): Promise<{ bare: T[]; product: T[] }> {
  const counted = { bare: [] as T[], product: [] as T[] };
  for (let r = 1 - opts.warmupRounds; r <= opts.rounds; r++) {
    opts.log(`${r >= 1 ? `round ${r}/${opts.rounds}` : 'warm-up round (not counted)'}: ${opts.what}`);
    const b = await bare();
    const p = await product();
    if (r >= 1) {
      counted.bare.push(b);
      counted.product.push(p);
    }
    opts.log(`   ${opts.told(b, p)}`);
  }
  return counted;
}
