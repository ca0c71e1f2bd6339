/**
 * `npm run bench:automations`: automation runs of three actions (create a task, tag the
 * contact, note on its lead: each an idempotent activity writing through the ORM, with its
 * step record), started through the API's `execute`, against a bare workflow of three
 * no-op activities started by the client, same concurrency, same run:
 *
 *   1. runs per second, from the first start to the last finish (goal ≥ 0.7×), and the CPU
 *      each run cost, per process;
 *   2. a campaign's send rate over a segment of BENCH_CAMPAIGN_CONTACTS contacts against
 *      its configured throttle (goal: within 5 %), texts to the local sink.
 *
 * Baseline and product take turns, BENCH_ROUNDS times each, after BENCH_WARMUP_ROUNDS
 * uncounted rounds of each (both workers run throughout): measured as one block each,
 * cold, the side that went first met whatever the machine was doing then, and one run's
 * ratio moved from 0.63× to 0.96× between runs of the same code (README).
 *
 * Sizes (env): BENCH_AUTOMATION_RUNS (300 a round), BENCH_AUTOMATION_CONCURRENCY (20),
 * BENCH_ROUNDS (3), BENCH_WARMUP_ROUNDS (1), BENCH_CAMPAIGN_CONTACTS (10000),
 * BENCH_CAMPAIGN_RATE (100 a second).
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { cpuRows, formatTable, withRatios, writeJson, type Row } from './bench/report.ts';
import { inTurns, pooledRate, poolWithCpu } from './bench/load.ts';
import { postJson } from './bench/http.ts';
import { meanSplit } from './bench/proc.ts';
import { envInt, registerTenant, root, runBench, serviceEnv, startApi, startDatabase, startTemporal, startWorkerChild, stoppers, type Api } from './bench/stack.ts';

const log = (line: string) => console.log(`[bench:automations] ${line}`);
const sizes = {
  runs: envInt('BENCH_AUTOMATION_RUNS', 300),
  concurrency: envInt('BENCH_AUTOMATION_CONCURRENCY', 20),
  rounds: envInt('BENCH_ROUNDS', 3),
  warmupRounds: envInt('BENCH_WARMUP_ROUNDS', 1, 0),
  contacts: envInt('BENCH_CAMPAIGN_CONTACTS', 10_000),
  rate: envInt('BENCH_CAMPAIGN_RATE', 100),
};
const stops = stoppers(log);

/** The product's side: a tenant with a lead and an automation of three actions, run through `execute` and waited on to its end. */
async function productSide(api: Api, stamp: string) {
  const tenant = await registerTenant(api, 'automations', stamp);
  const post = (path: string, body: unknown, expect = 201) => postJson(`${api.baseUrl}/api/v1${path}`, tenant.token, body, expect);
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
  const run = async (n: number) => {
    const started = await postJson<{ id: string }>(`${api.baseUrl}/api/v1/automations/${String(automation.id)}/execute`, tenant.token, { context: { contact: { id: contact.id, name: contact.name }, lead: { id: lead.id }, n } }, 202);
    await api.temporal.workflow.getHandle(`automation-${started.id}`).result();
  };
  /** Runs that completed, as the API lists them. */
  const completed = async () => {
    const res = await fetch(`${api.baseUrl}/api/v1/automations/${String(automation.id)}/runs?status=completed&per_page=1`, { headers: { authorization: `Bearer ${tenant.token}` } });
    return ((await res.json()) as { pagination: { total: number } }).pagination.total;
  };
  return { tenant, post, run, completed };
}

/** A campaign over `contacts` contacts at `rate`: the achieved send rate, from the first text to the last. */
async function campaignRun(api: Api, database: { url: string }, tenant: { tenantId: string; token: string }, post: (path: string, body: unknown, expect?: number) => Promise<Record<string, unknown>>) {
  const headers = { authorization: `Bearer ${tenant.token}` };
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  await db.query(
    `insert into contact (id, created_at, updated_at, tenant_id, name, phone, tags, custom_fields)
     select gen_random_uuid(), now(), now(), $1, 'Customer ' || i, '+1415' || lpad(i::text, 7, '0'), '{campaign}', '{}'::jsonb from generate_series(1, $2::int) as i`,
    [tenant.tenantId, sizes.contacts],
  );
  const automation = await post('/automations', { name: 'Campaign', trigger_type: 'manual', actions: [{ type: 'send_sms', to_number: '{{contact.phone}}', message: 'Hi {{contact.name}}, our spring offer is on' }] });
  const started = await post(`/automations/${String(automation.id)}/campaign`, { segment: { tags: ['campaign'] }, sends_per_second: sizes.rate }, 202);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const res = await fetch(`${api.baseUrl}/api/v1/automations/${String(automation.id)}/campaigns/${String(started.id)}`, { headers });
    const c = ((await res.json()) as { data: { finished_at: string | null; sent: number; status: string } }).data;
    if (c.finished_at) {
      if (c.status !== 'completed' || c.sent !== sizes.contacts) throw new Error(`campaign ${c.status} with ${c.sent} of ${sizes.contacts} sent`);
      break;
    }
  }
  const { rows } = await db.query<{ n: string; first: Date; last: Date }>("select count(*) as n, min(created_at) as first, max(created_at) as last from outbound_messages where tenant_id = $1 and cause->>'campaign_id' = $2", [tenant.tenantId, started.id]);
  await db.end();
  const sent = Number(rows[0].n);
  const seconds = (rows[0].last.getTime() - rows[0].first.getTime()) / 1000;
  return { sent, seconds, perSecond: (sent - 1) / seconds };
}

async function main() {
  const stamp = `${Date.now()}_${process.pid}`;
  const fileStamp = new Date().toISOString().replace(/[:.]/g, '-');
  const loadAtStart = loadavg()[0];
  log(`sizes: ${JSON.stringify(sizes)}; load average ${loadAtStart.toFixed(1)}`);
  const [database, temporal] = await Promise.all([startDatabase(stamp, stops, log), startTemporal(`automations-${fileStamp}`, stops, log)]);
  const vars = { ...serviceEnv({ databaseUrl: database.url, temporalAddress: temporal.address, taskQueue: `bench-automations-${stamp}` }), CAMPAIGN_SENDS_PER_SECOND: String(sizes.rate) };
  const api = await startApi(vars, stops);
  // Both workers run throughout, each on its own task queue; the idle one only long-polls.
  const bareQueue = `bench-automation-bare-${stamp}`;
  const bareWorker = await startWorkerChild('bare worker', 'scripts/bench/bareWorker.ts', { ...vars, TEMPORAL_TASK_QUEUE: bareQueue }, stops, log);
  const worker = await startWorkerChild('worker', 'workers/main.ts', vars, stops, log);
  const product = await productSide(api, stamp);
  const bareRun = async (i: number) => {
    await api.temporal.workflow.execute('benchThreeStepsWorkflow', { taskQueue: bareQueue, workflowId: `bench-automation-${randomUUID()}`, args: [i] });
  };

  const { bare, product: runs } = await inTurns(
    {
      ...sizes,
      what: `${sizes.runs} bare workflows of 3 no-op activities, then ${sizes.runs} automation runs of 3 actions through the API, ${sizes.concurrency} at a time`,
      log,
      told: (b, p) => `bare ${(sizes.runs / b.seconds).toFixed(1)} runs/s, automations ${(sizes.runs / p.seconds).toFixed(1)} runs/s`,
    },
    () => poolWithCpu({ temporal: temporal.pid, worker: bareWorker.pid }, sizes.runs, sizes.concurrency, bareRun),
    () => poolWithCpu({ temporal: temporal.pid, worker: worker.pid }, sizes.runs, sizes.concurrency, product.run),
  );
  const completed = await product.completed();
  const expected = sizes.runs * (sizes.rounds + sizes.warmupRounds);
  if (completed !== expected) throw new Error(`${completed} of ${expected} runs completed`);
  await bareWorker.stop();

  log(`2. a campaign over ${sizes.contacts} contacts at ${sizes.rate} texts a second`);
  const campaign = await campaignRun(api, database, product.tenant, product.post);
  await worker.stop();
  log(`   ${campaign.sent} texts in ${campaign.seconds.toFixed(1)} s, ${campaign.perSecond.toFixed(2)}/s against a throttle of ${sizes.rate}/s`);

  const perSecond = (rounds: typeof runs) => pooledRate(sizes.runs, rounds.map((x) => x.seconds * 1000));
  const cpu = { bare: meanSplit(bare.map((x) => x.cpu)), product: meanSplit(runs.map((x) => x.cpu)) };
  const s1 = `1. runs of 3 actions, ${sizes.concurrency} at a time, ${sizes.rounds} rounds (baseline: a bare workflow of 3 no-op activities)`;
  const s2 = `2. a campaign over ${sizes.contacts} contacts (baseline: its throttle, ${sizes.rate} texts a second)`;
  const rows: Row[] = [
    { section: s1, metric: 'runs per second', unit: '/s', value: perSecond(runs), baseline: perSecond(bare), better: 'higher' },
    ...cpuRows(s1, 'CPU per run', cpu.product, cpu.bare),
    { section: s2, metric: 'texts per second', unit: '/s', value: campaign.perSecond, baseline: sizes.rate, better: 'higher' },
  ];
  const table = withRatios(rows);
  console.log(`\n${formatTable(table)}`);
  // Per round, so a reader sees the spread the pooled figure hides.
  const rounds = runs.map((p, i) => ({ value: sizes.runs / p.seconds, baseline: sizes.runs / bare[i].seconds }));
  const files = writeJson(join(root, 'bench', 'results', 'automations'), fileStamp, { sizes, loadAtStart, table, rounds, completed, campaign, cpu });
  log(`wrote ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
}

await runBench(main, stops, log);
