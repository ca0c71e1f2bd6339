/**
 * `npm run bench:automations`: automation runs of three actions (create a task, tag the
 * contact, note on its lead: each an idempotent activity writing through the ORM, with its
 * step record), started through the API's `execute`, against a bare workflow of three
 * no-op activities started by the client, same concurrency, same run:
 *
 *   1. runs per second, from the first start to the last finish (goal ≥ 0.7×).
 *
 * Sizes (env): BENCH_AUTOMATION_RUNS (300), BENCH_AUTOMATION_CONCURRENCY (20).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { formatTable, withRatios, writeJson, type Row } from './bench/report.ts';
import { envInt, registerTenant, root, runBench, serviceEnv, startApi, startDatabase, startTemporal, startWorkerChild, stoppers, type Api } from './bench/stack.ts';

const log = (line: string) => console.log(`[bench:automations] ${line}`);
const sizes = { runs: envInt('BENCH_AUTOMATION_RUNS', 300), concurrency: envInt('BENCH_AUTOMATION_CONCURRENCY', 20) };
const stops = stoppers(log);

/** Runs `count` jobs `concurrency` at a time; answers the wall time in seconds. */
async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await job(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

async function bare(api: Api, vars: Record<string, string>, stamp: string) {
  const queue = `bench-automation-bare-${stamp}`;
  const worker = await startWorkerChild('bare worker', 'scripts/bench/bareWorker.ts', { ...vars, TEMPORAL_TASK_QUEUE: queue }, stops, log);
  const seconds = await pool(sizes.runs, sizes.concurrency, async (i) => {
    await api.temporal.workflow.execute('benchThreeStepsWorkflow', { taskQueue: queue, workflowId: `bench-automation-${randomUUID()}`, args: [i] });
  });
  await worker.stop();
  return { perSecond: sizes.runs / seconds };
}

async function product(api: Api, vars: Record<string, string>, stamp: string) {
  const worker = await startWorkerChild('worker', 'workers/main.ts', vars, stops, log);
  const tenant = await registerTenant(api, 'automations', stamp);
  const headers = { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' };
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${api.baseUrl}/api/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { data: Record<string, unknown> }).data;
  };
  const lead = await post('/crm/leads', { title: 'Bench deal', source: 'web', contact: { name: 'Bench Person', email: `bench-${stamp}@example.com` } });
  const automation = await post('/automations', {
    name: 'Three actions',
    trigger_type: 'manual',
    actions: [
      { type: 'create_task', title: 'Call {{contact.name}}', contact_id: '{{contact.id}}' },
      { type: 'add_tag', contact_id: '{{contact.id}}', tag: 'bench' },
      { type: 'add_note', lead_id: '{{lead.id}}', text: 'Touched by run {{n}}' },
    ],
  });
  const contact = lead.contact as { id: string; name: string };
  const context = (n: number) => ({ context: { contact: { id: contact.id, name: contact.name }, lead: { id: lead.id }, n } });
  const seconds = await pool(sizes.runs, sizes.concurrency, async (i) => {
    const run = await post(`/automations/${String(automation.id)}/execute`, context(i));
    await api.temporal.workflow.getHandle(`automation-${String(run.id)}`).result();
  });
  const res = await fetch(`${api.baseUrl}/api/v1/automations/${String(automation.id)}/runs?status=completed&per_page=1`, { headers });
  const completed = ((await res.json()) as { pagination: { total: number } }).pagination.total;
  if (completed !== sizes.runs) throw new Error(`${completed} of ${sizes.runs} runs completed`);
  await worker.stop();
  return { perSecond: sizes.runs / seconds, completed };
}

async function main() {
  const stamp = `${Date.now()}_${process.pid}`;
  const fileStamp = new Date().toISOString().replace(/[:.]/g, '-');
  const loadAtStart = loadavg()[0];
  log(`sizes: ${JSON.stringify(sizes)}; load average ${loadAtStart.toFixed(1)}`);
  const [database, temporal] = await Promise.all([startDatabase(stamp, stops, log), startTemporal(`automations-${fileStamp}`, stops, log)]);
  const vars = serviceEnv({ databaseUrl: database.url, temporalAddress: temporal.address, taskQueue: `bench-automations-${stamp}` });
  const api = await startApi(vars, stops);

  log(`1. baseline: ${sizes.runs} bare workflows of 3 no-op activities, ${sizes.concurrency} at a time`);
  const b = await bare(api, vars, stamp);
  log(`   ${b.perSecond.toFixed(1)} runs/s`);
  log(`2. the product: ${sizes.runs} automation runs of 3 actions through the API`);
  const p = await product(api, vars, stamp);
  log(`   ${p.perSecond.toFixed(1)} runs/s (${p.completed} completed)`);

  const s1 = `1. runs of 3 actions, ${sizes.concurrency} at a time (baseline: a bare workflow of 3 no-op activities)`;
  const rows: Row[] = [{ section: s1, metric: 'runs per second', unit: '/s', value: p.perSecond, baseline: b.perSecond, better: 'higher' }];
  const table = withRatios(rows);
  console.log(`\n${formatTable(table)}`);
  const files = writeJson(join(root, 'bench', 'results', 'automations'), fileStamp, { sizes, loadAtStart, table, bare: b, product: p });
  log(`wrote ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
}

await runBench(main, stops, log);
