/**
 * `npm run chaos`: with 560 workflows of mixed kinds in flight (tenant onboarding, inbox
 * triage, Twilio SMS triage, reminders falling due), SIGKILLs the worker (with a reminder's
 * text held at Twilio, unanswered), the API and the Temporal dev server and restarts each;
 * then checks that every workflow completed, every accepted request is in the database,
 * and no side effect happened twice: every reminder texted exactly once, as a fake Twilio
 * reached through the real client saw it. Exits 1 when a check fails.
 * Sizes: CHAOS_MESSAGES (default 440), CHAOS_SMS (50), CHAOS_REMINDERS (60), CHAOS_CONTACTS (40), CHAOS_TENANTS (10).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Connection, Client } from '@temporalio/client';
import { ensureTemporalCli, projectRoot } from './lib/temporalCli.ts';
import { startTemporalDevServer, type TemporalDevServer } from './lib/temporalDevServer.ts';
import { startEmbeddedPostgres } from './lib/embeddedPostgres.ts';
import { findFreePort } from './lib/proc.ts';
import { customSearchAttributes } from '../lib/searchAttributes.ts';
import { createOrm } from '../lib/db.ts';
import { assignPlatformNumber } from '../entities/platformNumbers.ts';
import { classifyWithRules } from '../providers/llm/localClassifier.ts';
import { startFakeOpenAi } from '../test/fakes/openaiServer.ts';
import { formBody, inboundSms, twilioSignature } from '../test/fakes/twilio.ts';
import { accountSid, startFakeTwilio } from '../test/fakes/twilioServer.ts';
import { startApi, startWorker, type Proc } from './chaos/processes.ts';
import { pool, postUntilAccepted, type Attempted } from './chaos/submit.ts';
import { runChecks } from './chaos/checks.ts';

const MESSAGES = Number(process.env.CHAOS_MESSAGES ?? 440);
const SMS = Number(process.env.CHAOS_SMS ?? 50);
const REMINDERS = Number(process.env.CHAOS_REMINDERS ?? 60);
/** Contacts made through POST /contacts, whose answer commits with the contact (api/routing.ts answerWithWork). */
const CONTACTS = Number(process.env.CHAOS_CONTACTS ?? 40);
/** Lead CSV uploads under an Idempotency-Key (api/startWork.ts madeOnce, `lead_imports.request_key`): each retry frames its form anew. */
const IMPORTS = Number(process.env.CHAOS_IMPORTS ?? 10);
/** Rows in each uploaded CSV. */
const IMPORT_ROWS = 3;
/** How long after its request each reminder is due: they fall due throughout the kills. */
const REMINDER_LEAD_MS = 5_000;
const TENANTS = Number(process.env.CHAOS_TENANTS ?? 10);
const TWILIO_SID = accountSid('chaos');
const TWILIO_TOKEN = 'chaos-twilio-auth-token';
const OUR_NUMBER = '+15005550006';

const root = projectRoot();
const dir = join(root, '.data', 'chaos');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const started = Date.now();
const say = (line: string) => console.log(`[chaos ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const stops: Array<() => Promise<void>> = [];

async function database(): Promise<string> {
  const server = process.env.DATABASE_URL ?? (await (async () => {
    const pgServer = await startEmbeddedPostgres({ dataDir: join(root, '.data', 'chaos-postgres'), log: say });
    stops.push(() => pgServer.stop());
    return pgServer.baseUrl;
  })());
  const name = `chaos_${Date.now()}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

async function main() {
  const cliPath = await ensureTemporalCli(say);
  const databaseUrl = await database();
  const orm = createOrm({ url: databaseUrl });
  await orm.migrator.up();
  await orm.close();

  const temporalPort = await findFreePort();
  const temporalOptions = {
    cliPath,
    port: temporalPort,
    headless: true,
    dbFile: join(dir, 'temporal.db'),
    searchAttributes: customSearchAttributes.map((k) => ({ name: k.name, type: 'Keyword' as const })),
    log: () => {},
  };
  let temporal: TemporalDevServer = await startTemporalDevServer(temporalOptions);
  stops.push(() => temporal.stop());
  // A model that answers like the rules: varied, realistic triage (contacts, leads) under load.
  const fake = await startFakeOpenAi({ model: classifyWithRules });
  stops.push(() => fake.close());
  // The platform's Twilio account: inbound texts come from it, reminders go out through it.
  const twilio = await startFakeTwilio();
  twilio.addAccount(TWILIO_SID, { authToken: TWILIO_TOKEN, numbers: [OUR_NUMBER] });
  stops.push(() => twilio.close());

  const apiPort = await findFreePort();
  const base = `http://127.0.0.1:${apiPort}`;
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: 'chaos',
    JWT_SECRET: 'chaos-secret-that-is-longer-than-32-characters',
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    OPENAI_API_KEY: 'sk-chaos',
    OPENAI_BASE_URL: fake.url,
    TWILIO_ACCOUNT_SID: TWILIO_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    TWILIO_PHONE_NUMBER: OUR_NUMBER,
    TWILIO_API_URL: twilio.url,
    PUBLIC_BASE_URL: base,
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    METRICS_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    PORT: String(apiPort),
    HOST: '127.0.0.1',
  };
  let worker: Proc = await startWorker(env, join(dir, 'worker.log'));
  let api: Proc = await startApi(env, join(dir, 'api.log'), base);
  stops.push(() => worker.kill('SIGTERM'));
  stops.push(() => api.kill('SIGTERM'));
  say(`stack up: PostgreSQL, Temporal ${temporal.address} (SQLite), worker, API ${base}, fake OpenAI, fake Twilio`);

  const deadline = Date.now() + 10 * 60_000;
  const json = (body: unknown, extra: Record<string, string> = {}) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...extra } });

  // Tenants (each one onboarding workflow).
  const tokens: string[] = [];
  const tenantIds: string[] = [];
  await pool([...Array(TENANTS).keys()], 5, async (i) => {
    const r = await postUntilAccepted(`${base}/api/v1/auth/register`, json({ email: `chaos-${i}@example.com`, password: 'chaos password', company_name: `Chaos ${i}` }, { 'Idempotency-Key': `tenant-${i}` }), deadline);
    if (!r.accepted) throw new Error(`register ${i} refused: ${r.status} ${JSON.stringify(r.body)}`);
    const { data } = r.body as { data: { access_token: string; user: { tenant_id: string } } };
    tokens[i] = data.access_token;
    tenantIds[i] = data.user.tenant_id;
  });
  // The inbound number is the platform account's, so a platform operator assigns it (npm run
  // assign-number): a tenant's own PATCH /tenant is refused it.
  const operatorOrm = createOrm({ url: databaseUrl });
  try {
    await assignPlatformNumber(operatorOrm, tenantIds[0], OUR_NUMBER);
  } finally {
    await operatorOrm.close();
  }
  say(`${TENANTS} tenants registered (${TENANTS} onboarding workflows)`);

  // The mixed load; the faults are injected as it goes.
  type Job = { kind: 'message' | 'sms' | 'reminder' | 'contact' | 'import'; i: number };
  const jobs: Job[] = [...Array(MESSAGES).keys()].map((i) => ({ kind: 'message' as const, i }));
  for (let i = 0; i < SMS; i++) jobs.splice(Math.floor((i * jobs.length) / SMS), 0, { kind: 'sms', i });
  for (let i = 0; i < REMINDERS; i++) jobs.splice(Math.floor((i * jobs.length) / REMINDERS), 0, { kind: 'reminder', i });
  for (let i = 0; i < CONTACTS; i++) jobs.splice(Math.floor((i * jobs.length) / CONTACTS), 0, { kind: 'contact', i });
  for (let i = 0; i < IMPORTS; i++) jobs.splice(Math.floor((i * jobs.length) / IMPORTS), 0, { kind: 'import', i });
  const reminderTo = (i: number) => `+1415666${String(i).padStart(4, '0')}`;
  let done = 0;
  /** Which jobs of each kind the API accepted. */
  const accepted: Record<Job['kind'], number[]> = { message: [], sms: [], reminder: [], contact: [], import: [] };
  let attempts = 0;
  const faults: Promise<void>[] = [];
  const at = (fraction: number) => Math.floor(jobs.length * fraction);
  // What was in flight at each kill: open workflows, and requests the clients had sent
  // and not yet had accepted. A kill with nothing in flight would prove nothing.
  const watch = new Client({ connection: await Connection.connect({ address: temporal.address }) });
  const inFlight: Record<string, { openWorkflows: number; openRequests: number; heldSend?: boolean }> = {};
  let openRequests = 0;
  const note = async (what: string) => {
    const openWorkflows = await watch.workflow.count("ExecutionStatus = 'Running'").then((c) => c.count).catch(() => -1);
    inFlight[what] = { openWorkflows, openRequests };
    say(`in flight at the ${what} kill: ${openWorkflows} open workflows, ${openRequests} requests not yet accepted`);
  };
  const injections = new Map<number, () => Promise<void>>([
    [at(0.3), async () => {
      // Mid-send: Twilio records the next text but holds its answer, and the worker dies
      // waiting for it. Its retry must find that text at Twilio, not send another.
      const before = twilio.messages.length;
      twilio.holdNext(10_000);
      const waitUntil = Date.now() + 8_000;
      while (twilio.messages.length === before && Date.now() < waitUntil) await sleep(20);
      // Only the first text to arrive is held; others may follow before the kill, answered.
      const held = twilio.messages.length > before;
      await note('worker');
      inFlight.worker.heldSend = held;
      say(`SIGKILL worker (pid ${worker.child.pid}) with work in flight${held ? ' and a text held at Twilio' : ''}`);
      await worker.kill();
      await sleep(2_000);
      worker = await startWorker(env, join(dir, 'worker.log'));
      say('worker restarted');
    }],
    [at(0.5), async () => {
      await note('API');
      say(`SIGKILL API (pid ${api.child.pid}); clients keep retrying`);
      await api.kill();
      await sleep(1_000);
      api = await startApi(env, join(dir, 'api.log'), base);
      say('API restarted');
    }],
    [at(0.7), async () => {
      await note('Temporal');
      say(`SIGKILL Temporal dev server (pid ${temporal.pid})`);
      process.kill(temporal.pid, 'SIGKILL');
      await sleep(2_000);
      temporal = await startTemporalDevServer(temporalOptions);
      say('Temporal dev server restarted on the same SQLite file');
    }],
  ]);

  // One request per kind of job, each retried until the API accepts it.
  const submit: Record<Job['kind'], (i: number, token: string) => Promise<Attempted>> = {
    message: (i, token) =>
      postUntilAccepted(
        `${base}/api/v1/inbox/messages`,
        json(
          {
            channel: 'email',
            content: `Hi, we are interested in pricing for ${10 + (i % 40)} seats. Could you send a quote? (#${i})`,
            // Repeated senders: contacts and leads must still be made once each.
            customer_email: `buyer-${i % 60}@client.example`,
            customer_name: `Buyer ${i % 60}`,
            // Half the clients send their own message id; the other half rely on their
            // Idempotency-Key alone (the path where Temporal being down used to store twice).
            ...(i % 2 === 0 ? { external_id: `chaos-message-${i}` } : {}),
          },
          { authorization: `Bearer ${token}`, 'Idempotency-Key': `message-${i}` },
        ),
        deadline,
      ),
    sms: (i) => {
      const params = inboundSms({ From: `+1415555${String(1000 + (i % 30)).padStart(4, '0')}`, To: OUR_NUMBER, Body: `Can I book an appointment tomorrow at ${1 + (i % 9)}pm?`, MessageSid: `SMchaos${String(i).padStart(26, '0')}`, AccountSid: TWILIO_SID });
      return postUntilAccepted(`${base}/api/v1/sms/webhook`, { body: formBody(params), headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilioSignature(TWILIO_TOKEN, `${base}/api/v1/sms/webhook`, params) } }, deadline);
    },
    reminder: (i, token) =>
      postUntilAccepted(
        `${base}/api/v1/reminders`,
        json(
          { to: reminderTo(i), message: `Your appointment is tomorrow (#${i})`, send_at: new Date(Date.now() + REMINDER_LEAD_MS).toISOString(), urgent: true },
          { authorization: `Bearer ${token}`, 'Idempotency-Key': `reminder-${i}` },
        ),
        deadline,
      ),
    // No email or phone: nothing but the request's own key keeps a retry from a second one.
    contact: (i, token) =>
      postUntilAccepted(`${base}/api/v1/contacts`, json({ name: `Chaos contact #${i}` }, { authorization: `Bearer ${token}`, 'Idempotency-Key': `contact-${i}` }), deadline),
    import: (i, token) => {
      const rows = Array.from({ length: IMPORT_ROWS }, (_, r) => `Imported ${i}-${r},chaos-import-${i}-${r}@import.example,website`);
      const form = new FormData();
      form.append('file', new Blob([['First Name,Email,Source', ...rows].join('\n')], { type: 'text/csv' }), `chaos-import-${i}.csv`);
      return postUntilAccepted(`${base}/api/v1/crm/leads/import`, { body: form, headers: { authorization: `Bearer ${token}`, 'Idempotency-Key': `import-${i}` } }, deadline);
    },
  };

  await pool(jobs, 20, async (job) => {
    openRequests++;
    const r = await submit[job.kind](job.i, tokens[job.i % TENANTS]);
    openRequests--;
    attempts += r.attempts;
    if (r.accepted) accepted[job.kind].push(job.i);
    const fault = injections.get(++done);
    if (fault) faults.push(fault());
  });
  await Promise.all(faults);
  const messages = accepted.message.length + accepted.sms.length;
  const reminders = accepted.reminder.length;
  const contacts = accepted.contact.length;
  const imports = accepted.import.length;
  say(
    `submitted: ${accepted.message.length}/${MESSAGES} messages, ${accepted.sms.length}/${SMS} SMS, ${reminders}/${REMINDERS} reminders, ${contacts}/${CONTACTS} contacts and ${imports}/${IMPORTS} lead imports accepted, ${attempts} HTTP attempts`,
  );

  // Wait for every workflow to close.
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  let running = -1;
  while (Date.now() < deadline) {
    running = (await client.workflow.count("ExecutionStatus = 'Running'")).count;
    const total = (await client.workflow.count('')).count;
    say(`workflows: ${total} started, ${running} still running`);
    if (running === 0 && total >= TENANTS + messages + reminders + imports) break;
    await sleep(5_000);
  }
  const failed = (await client.workflow.count("ExecutionStatus != 'Running' AND ExecutionStatus != 'Completed'")).count;
  await connection.close();

  await watch.connection.close();
  const checks = [
    // Shown as 1 when there was work in flight at that kill, 0 when there was none.
    { name: 'worker killed with workflows open', expected: 1, actual: Number((inFlight.worker?.openWorkflows ?? 0) > 0) },
    { name: 'API killed with requests in flight', expected: 1, actual: Number((inFlight.API?.openRequests ?? 0) > 0) },
    { name: 'Temporal killed with workflows open', expected: 1, actual: Number((inFlight.Temporal?.openWorkflows ?? 0) > 0) },
    { name: 'workflows still running', expected: 0, actual: running },
    { name: 'workflows closed other than completed', expected: 0, actual: failed },
    { name: 'a text held at Twilio at the worker kill', expected: 1, actual: Number(inFlight.worker?.heldSend ?? false) },
    { name: 'requests refused (never accepted)', expected: 0, actual: MESSAGES + SMS + REMINDERS + CONTACTS + IMPORTS - messages - reminders - contacts - imports },
    ...(await runChecks(databaseUrl, { tenants: TENANTS, messages, reminders, contacts, imports, importRows: IMPORT_ROWS })),
    // What Twilio itself saw, through the real client: one text per reminder, none twice.
    { name: 'reminders texted (Twilio)', expected: reminders, actual: accepted.reminder.filter((i) => twilio.sentTo(reminderTo(i)).length > 0).length },
    { name: 'reminders texted twice (Twilio)', expected: 0, actual: accepted.reminder.filter((i) => twilio.sentTo(reminderTo(i)).length > 1).length },
  ];
  console.log('\n  check                                           expected   actual');
  for (const c of checks) console.log(`  ${c.actual === c.expected ? 'ok  ' : 'FAIL'} ${c.name.padEnd(44)} ${String(c.expected).padStart(8)} ${String(c.actual).padStart(8)}`);
  console.log(`\n  LLM requests answered by the fake: ${fake.requests.length} for ${messages} messages (retries after kills included)`);
  const ok = checks.every((c) => c.actual === c.expected);
  say(ok ? 'all checks passed' : 'SOME CHECKS FAILED (logs in .data/chaos/)');
  return ok;
}

let ok = false;
try {
  ok = await main();
} catch (err) {
  say(`chaos run failed: ${err instanceof Error ? err.stack : String(err)}`);
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}
process.exit(ok ? 0 : 1);
