// The load generator's thread (see load.ts): N closed loops, each sending its next
// request as soon as the previous one is answered, over keep-alive sockets.
// node:http rather than fetch: fetch costs several times more CPU per request, and on
// 2 cores that CPU is taken from the server being measured.
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { LoadSpec, ThreadResult } from './load.ts';

const spec = workerData as LoadSpec;
const target = new URL(spec.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
const statusCounts: Record<string, number> = {};
let errors = 0;
let firstError: string | undefined;

function send(i: number): Promise<void> {
  const body = spec.bodyTemplate?.replaceAll('{i}', String(i));
  const headers: Record<string, string> = { ...spec.headers };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve) => {
    const fail = (why: string): void => {
      errors++;
      firstError ??= why;
      resolve();
    };
    const req = http.request(
      { agent, host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: spec.method, headers },
      (res) => {
        const status = res.statusCode ?? 0;
        statusCounts[status] = (statusCounts[status] ?? 0) + 1;
        const ok = status === spec.expectStatus;
        let text = '';
        // The body is read either way (a keep-alive socket is reused only once it is drained), kept only to explain a failure.
        res.on('data', (chunk: Buffer) => {
          if (!ok && text.length < 500) text += chunk.toString();
        });
        res.on('end', () => (ok ? resolve() : fail(`HTTP ${status}: ${text.slice(0, 500)}`)));
        res.on('error', (err) => fail(err.message));
      },
    );
    req.on('error', (err) => fail(err.message));
    req.end(body);
  });
}

/** Requests [from, to) over `concurrency` loops; latencies land at their index in `into`. */
async function run(from: number, to: number, into: Float64Array | undefined): Promise<void> {
  let next = from;
  const loop = async (): Promise<void> => {
    while (next < to) {
      const i = next++;
      const t = performance.now();
      await send(i);
      if (into) into[i - from] = performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: Math.min(spec.concurrency, to - from) }, loop));
}

// Warm-up requests first (JIT, connection pools, caches), left out of every figure.
await run(0, spec.warmup, undefined);
errors = 0;
firstError = undefined;
for (const key of Object.keys(statusCounts)) delete statusCounts[key];

const latencies = new Float64Array(spec.requests);
const startedAt = Date.now();
const t0 = performance.now();
await run(spec.warmup, spec.warmup + spec.requests, latencies);
const elapsedMs = performance.now() - t0;
agent.destroy();

const result: ThreadResult = { latencies, startedAt, elapsedMs, errors, firstError, statusCounts };
parentPort?.postMessage(result, [latencies.buffer]);
