/**
 * How a worker process is started (`npm run worker`, `npm start`, the benches): Node with
 * a bounded old space. A sync of 100,000 CRM records leaves each page as garbage; with
 * V8's default limit the heap grows some 200 MB before a full collection takes it back,
 * with a bound it collects sooner at no cost in throughput (bench:crm-sync). The live
 * heap of a busy worker is ~100 MB; WORKER_MAX_HEAP_MB raises the bound for larger jobs.
 */
export const DEFAULT_WORKER_HEAP_MB = 384;

export function workerNodeArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  const mb = Number(env.WORKER_MAX_HEAP_MB ?? DEFAULT_WORKER_HEAP_MB);
  return [`--max-old-space-size=${Number.isInteger(mb) && mb >= 128 ? mb : DEFAULT_WORKER_HEAP_MB}`];
}
