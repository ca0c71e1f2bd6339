/**
 * `npm run bench:automations`: automation runs of three actions (create a task, tag the
 * contact, note on its lead: each an idempotent activity writing through the ORM, with its
 * step record), started through the API's `execute`, against a bare workflow of three
 * no-op activities started by the client, same concurrency, same run:
 *
 *   1. runs per second, from the first start to the last finish (goal ≥ 0.7×);
 *   2. a campaign's send rate over a segment of BENCH_CAMPAIGN_CONTACTS contacts against
 *      its configured throttle (goal: within 5 %), texts to the local sink.
 *
 * Sizes (env): BENCH_AUTOMATION_RUNS (300), BENCH_AUTOMATION_CONCURRENCY (20),
 * BENCH_CAMPAIGN_CONTACTS (10000), BENCH_CAMPAIGN_RATE (100 a second).
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { formatTable, withRatios, writeJson, type Row } from './bench/report.ts';
import { pool } from './bench/load.ts';
import { envInt, registerTenant, root, runBench, serviceEnv, startApi, startDatabase, startTemporal, startWorkerChild, stoppers, type Api } from './bench/stack.ts';

const log = (line: string) => console.log(`[bench:automations] ${line}`);
const sizes = {
  runs: envInt('BENCH_AUTOMATION_RUNS', 300),
  concurrency: envInt('BENCH_AUTOMATION_CONCURRENCY', 20),
  contacts: envInt('BENCH_CAMPAIGN_CONTACTS', 10_000),
  rate: envInt('BENCH_CAMPAIGN_RATE', 100),
};
const stops = stoppers(log);

async function bare(api: Api, vars: Record<string, string>, stamp: string) {
  const queue = `bench-automation-bare-${stamp}`;
  const worker = await startWorkerChild('bare worker', 'scripts/bench/bareWorker.ts', { ...vars, TEMPORAL_TASK_QUEUE: queue }, stops, log);
  const seconds = await pool(sizes.runs, sizes.concurrency, async (i) => {
    await api.temporal.workflow.execute('benchThreeStepsWorkflow', { taskQueue: queue, workflowId: `bench-automation-${randomUUID()}`, args: [i] });
  });
  await worker.stop();
  return { perSecond: sizes.runs / seconds };
}

async function product(api: Api, vars: Record<string, string>, stamp: string, database: { url: string }) {
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
  const campaign = await campaignRun(api, database, tenant, post, headers);
  await worker.stop();
  return { perSecond: sizes.runs / seconds, completed, campaign };
}

/** A campaign over `contacts` contacts at `rate`: the achieved send rate, from the first text to the last. */
async function campaignRun(api: Api, database: { url: string }, tenant: { tenantId: string }, post: (path: string, body: unknown) => Promise<Record<string, unknown>>, headers: Record<string, string>) {
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  await db.query(
    `insert into contact (id, created_at, updated_at, tenant_id, name, phone, tags, custom_fields)
     select gen_random_uuid(), now(), now(), $1, 'Customer ' || i, '+1415' || lpad(i::text, 7, '0'), '{campaign}', '{}'::jsonb from generate_series(1, $2::int) as i`,
    [tenant.tenantId, sizes.contacts],
  );
  const automation = await post('/automations', { name: 'Campaign', trigger_type: 'manual', actions: [{ type: 'send_sms', to_number: '{{contact.phone}}', message: 'Hi {{contact.name}}, our spring offer is on' }] });
  const started = await post(`/automations/${String(automation.id)}/campaign`, { segment: { tags: ['campaign'] }, sends_per_second: sizes.rate });
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

  log(`1. baseline: ${sizes.runs} bare workflows of 3 no-op activities, ${sizes.concurrency} at a time`);
  const b = await bare(api, vars, stamp);
  log(`   ${b.perSecond.toFixed(1)} runs/s`);
  log(`2. the product: ${sizes.runs} automation runs of 3 actions through the API`);
  const p = await product(api, vars, stamp, database);
  log(`   ${p.perSecond.toFixed(1)} runs/s (${p.completed} completed)`);
  log(`   campaign: ${p.campaign.sent} texts in ${p.campaign.seconds.toFixed(1)} s, ${p.campaign.perSecond.toFixed(2)}/s against a throttle of ${sizes.rate}/s`);

  const s1 = `1. runs of 3 actions, ${sizes.concurrency} at a time (baseline: a bare workflow of 3 no-op activities)`;
  const s2 = `2. a campaign over ${sizes.contacts} contacts (baseline: its throttle, ${sizes.rate} texts a second)`;
  const rows: Row[] = [
    { section: s1, metric: 'runs per second', unit: '/s', value: p.perSecond, baseline: b.perSecond, better: 'higher' },
    { section: s2, metric: 'texts per second', unit: '/s', value: p.campaign.perSecond, baseline: sizes.rate, better: 'higher' },
  ];
  const table = withRatios(rows);
  console.log(`\n${formatTable(table)}`);
  const files = writeJson(join(root, 'bench', 'results', 'automations'), fileStamp, { sizes, loadAtStart, table, bare: b, product: p });
  log(`wrote ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
}

await runBench(main, stops, log);
