/**
 * Bad-input fuzzing of every route in the OpenAPI document: thousands of malformed
 * requests (wrong types, huge strings, deep JSON, bad UTF-8, bad dates, unknown fields,
 * SQL and template injection, broken tokens and headers), with and without a valid
 * token. The figure is the number of 5xx answers and of answers outside the error
 * envelope: both must be zero. Stored data must come through untouched.
 *
 *   FUZZ_REQUESTS=20000 FUZZ_SEED=7 npm test -- test/fuzz    (more, another seed)
 *   FUZZ_SEED=7 FUZZ_ONLY=1234,1301 npm test -- test/fuzz    (replay some cases)
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import twilio from 'twilio';
import { startStack, type TestStack } from '../support/app.ts';
import { aContact, aTenant, type TestTenant } from '../support/factories.ts';
import { TEST_JWT_SECRET } from '../support/testEnv.ts';
import { startFakeTwilio } from '../fakes/twilioServer.ts';
import { writeFileSync } from 'node:fs';
import { categoryOf, formatProblems, isTransportRejection, problemsWith, signatureOf, type Outcome, type Problem } from './checks.ts';
import type { JsonSchema } from './generators.ts';
import { badAuthorizations, buildRequest, operationsOf, replayKey, type FuzzRequest, type FuzzWorld, type Items, type OpenApiDoc, type Operation } from './requests.ts';
import { assignPlatformNumber } from '../../entities/platformNumbers.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611) >>> 0;
const TOTAL = Math.max(1, Number(process.env.FUZZ_REQUESTS ?? 3_000));
const CONCURRENCY = Math.max(1, Number(process.env.FUZZ_CONCURRENCY ?? 12));
const ONLY = (process.env.FUZZ_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
  .map(Number);
/** Count Node's own 431 for oversized request heads as failures too (they never reach the app). */
const STRICT_TRANSPORT = process.env.FUZZ_STRICT_TRANSPORT === '1';
/** A file to write every bad answer to, as JSON, for triage. */
const REPORT_FILE = process.env.FUZZ_REPORT;
const TWILIO_AUTH_TOKEN = 'fuzz-twilio-auth-token';
const TENANT_NUMBER = '+15005550001';

/**
 * Twilio's inbound-SMS form, which the document cannot describe (Twilio defines it, the
 * route checks its signature before reading it). With it, signed webhook requests get
 * past the signature to the code that parses and stores them.
 */
const UNDOCUMENTED_BODIES: Record<string, { contentType: string; schema: JsonSchema }> = {
  'POST /api/v1/sms/webhook': {
    contentType: 'application/x-www-form-urlencoded',
    schema: {
      type: 'object',
      properties: {
        MessageSid: { type: 'string', pattern: '^[A-Za-z0-9]{10,64}$' },
        AccountSid: { type: 'string' },
        From: { type: 'string', maxLength: 32 },
        To: { type: 'string', maxLength: 32, enum: [TENANT_NUMBER] },
        Body: { type: 'string', maxLength: 1600 },
        NumMedia: { type: 'string' },
      },
      required: ['MessageSid', 'From', 'To', 'Body'],
    },
  },
};

let stack: TestStack;
let fakeTwilio: Awaited<ReturnType<typeof startFakeTwilio>>;
let owner: TestTenant;
let other: TestTenant;
let sentinel: { id: string };
let foreignSentinel: { id: string };
const snapshot: Record<string, string> = {};

/** Every list (GET without path parameters answering `{data: [...]}`), as `token` sees it. */
async function listsOf(ops: Operation[], token: string): Promise<Record<string, Items>> {
  const out: Record<string, Items> = {};
  for (const op of ops) {
    if (op.method !== 'GET' || op.pathParams.length) continue;
    const res = await stack.http.get(`${op.path}${op.queryParams.some((p) => p.name === 'per_page') ? '?per_page=100' : ''}`, { token });
    if (res.status === 200 && Array.isArray(res.body?.data)) out[op.path] = res.body.data;
  }
  return out;
}

/** What must not change: the sentinel contacts, and everything the other tenant can list of its contacts. */
async function protectedState() {
  return {
    sentinel: (await stack.http.get(`/api/v1/contacts/${sentinel.id}`, { token: owner.token })).text,
    foreignSentinel: (await stack.http.get(`/api/v1/contacts/${foreignSentinel.id}`, { token: other.token })).text,
    foreignContacts: (await stack.http.get('/api/v1/contacts?per_page=100&sort_by=name&sort_order=asc', { token: other.token })).text,
  };
}

async function send(req: FuzzRequest): Promise<Outcome> {
  const started = performance.now();
  try {
    const res = await fetch(`${stack.http.base}${req.path}`, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    const text = Buffer.from(await res.arrayBuffer()).toString('utf8');
    return { status: res.status, headers: res.headers, text, ms: performance.now() - started };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { status: 0, headers: null, text: '', networkError: `${e.name}: ${e.message}${e.cause ? ` (${e.cause.code ?? ''} ${e.cause.message ?? ''})` : ''}`, ms: performance.now() - started };
  }
}

beforeAll(async () => {
  fakeTwilio = await startFakeTwilio();
  stack = await startStack({
    worker: false,
    // A CRM that refuses connections at once: credential tests answer "unreachable" without
    // waiting. A Twilio that knows no account: a tenant's own account is refused (422).
    env: { RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_AUTH_PER_MINUTE: '1000000', TWILIO_AUTH_TOKEN, TWILIO_API_URL: fakeTwilio.url, HUBSPOT_API_URL: 'http://127.0.0.1:9', SALESFORCE_LOGIN_URL: 'http://127.0.0.1:9' },
  });
  owner = await aTenant(stack.http);
  other = await aTenant(stack.http);
  const odd = { notes: "Robert'); DROP TABLE contacts;-- {{7*7}} ${7*7}", organization: 'Ünïcødé 🙂 GmbH', custom_fields: { tier: 'gold', score: 42, vip: true } };
  sentinel = await aContact(stack.http, owner.token, { name: 'Sentinel Contact', ...odd });
  foreignSentinel = await aContact(stack.http, other.token, { name: 'Other Tenant Sentinel', ...odd });
  // Targets the fuzzer may aim at (and change): they make handlers run past the "not found".
  for (const name of ['Playground One', 'Playground Two']) await aContact(stack.http, owner.token, { name });
  await aContact(stack.http, other.token, { name: 'Other Tenant Second' });
  for (const t of [owner, other]) {
    const res = await stack.http.post('/api/v1/inbox/messages', { token: t.token, body: { channel: 'email', content: 'Hello, I would like a quote.', customer_email: 'buyer@example.com' } });
    if (res.status !== 201) throw new Error(`message create failed: ${res.status} ${res.text}`);
  }
  for (const t of [owner, other]) {
    const res = await stack.http.post('/api/v1/integrations', { token: t.token, body: { type: 'hubspot', config: { access_token: 'pat-fuzz-token' }, sync_interval_minutes: 0 } });
    if (res.status !== 201) throw new Error(`integration create failed: ${res.status} ${res.text}`);
  }
  // Given by a platform operator (npm run assign-number): the platform's numbers are not a tenant's to claim.
  await assignPlatformNumber(stack.orm, owner.tenantId, TENANT_NUMBER);
  Object.assign(snapshot, await protectedState());
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await fakeTwilio?.close();
});

describe('bad input on every route', () => {
  it(
    `answers ${ONLY.length || TOTAL} malformed requests without a 5xx, always in the error envelope, and leaves stored data intact`,
    async () => {
      const doc = (await stack.http.get<OpenApiDoc>('/api/v1/openapi.json')).body;
      const ops = operationsOf(doc, UNDOCUMENTED_BODIES);
      expect(ops.length).toBeGreaterThan(10);

      const leaver = await aTenant(stack.http);
      const leaverBadAuth = badAuthorizations(leaver.token, leaver.refreshToken, TEST_JWT_SECRET);
      const world: FuzzWorld = {
        seed: SEED,
        token: owner.token,
        tokenFor: (op) => (op.path.endsWith('/auth/logout') ? leaver.token : undefined),
        badAuth: badAuthorizations(owner.token, owner.refreshToken, TEST_JWT_SECRET),
        badAuthFor: (op) => (op.path.endsWith('/auth/logout') ? leaverBadAuth : undefined),
        own: await listsOf(ops, owner.token),
        foreign: await listsOf(ops, other.token),
        protectedIds: new Set([sentinel.id]),
        sign: (op, path, form): Record<string, string> => {
          if (!/X-Twilio-Signature/i.test(op.summary) || !form) return {};
          const params: Record<string, string | string[]> = {};
          for (const key of new Set(form.keys())) {
            const all = form.getAll(key);
            params[key] = all.length > 1 ? all : all[0];
          }
          return { 'x-twilio-signature': twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, `${stack.http.base}${path}`, params) };
        },
      };

      const indices = ONLY.length ? ONLY : Array.from({ length: TOTAL }, (_, i) => i);
      const byClass: Record<string, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, 'no answer': 0 };
      const byStatus: Record<string, number> = {};
      const byKind: Record<string, number> = {};
      const byRoute: Record<string, { sent: number; bad: number }> = {};
      const problems: Problem[] = [];
      let transportRejections = 0;
      let slowest = { ms: 0, what: '' };
      const started = Date.now();

      let sent = 0;
      const count = (req: FuzzRequest, out: Outcome) => {
        sent++;
        const cls = out.networkError ? 'no answer' : `${Math.floor(out.status / 100)}xx`;
        const status = out.networkError ? 'none' : String(out.status);
        byClass[cls] = (byClass[cls] ?? 0) + 1;
        byStatus[status] = (byStatus[status] ?? 0) + 1;
        byKind[req.kind] = (byKind[req.kind] ?? 0) + 1;
        (byRoute[req.operation] ??= { sent: 0, bad: 0 }).sent++;
        if (out.ms > slowest.ms) slowest = { ms: out.ms, what: `#${req.index} ${req.method} ${req.path.slice(0, 80)} (${req.kind})` };
      };
      const record = (req: FuzzRequest, out: Outcome, reasons: string[]) => {
        if (isTransportRejection(req, out)) {
          transportRejections++;
          if (!STRICT_TRANSPORT) return;
        }
        if (!reasons.length) return;
        byRoute[req.operation].bad++;
        problems.push({ request: req, outcome: out, reasons });
      };
      let next = 0;
      const harnessErrors: string[] = [];
      const workerLoop = async () => {
        while (next < indices.length) {
          const index = indices[next++];
          let req: FuzzRequest;
          try {
            req = buildRequest(world, ops[index % ops.length], index);
          } catch (err) {
            // A bug of the fuzzer, not of the API: reported after every request has been answered.
            harnessErrors.push(`#${index}: ${(err as Error).stack ?? String(err)}`);
            continue;
          }
          const out = await send(req);
          count(req, out);
          record(req, out, problemsWith(req, out, [TEST_JWT_SECRET, TWILIO_AUTH_TOKEN]));
          // A request with an Idempotency-Key of its own, sent again, must get the same answer (API.md).
          // /auth/* ignores Idempotency-Key by design (its answers carry tokens), so it has no replay to check.
          if (req.method === 'POST' && !req.path.includes('/auth/') && req.headers['idempotency-key'] === replayKey(SEED, index) && !out.networkError && out.status < 500) {
            const replay = { ...req, kind: 'replay', input: `same request again with its Idempotency-Key (first answer ${out.status}); first: ${req.input}` };
            const again = await send(replay);
            count(replay, again);
            const reasons = problemsWith(replay, again, [TEST_JWT_SECRET, TWILIO_AUTH_TOKEN]);
            if (!again.networkError && again.status !== out.status && again.status !== 429) reasons.push(`replay answered ${again.status}, the first answer was ${out.status}`);
            record(replay, again, reasons);
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, workerLoop));
      const seconds = (Date.now() - started) / 1000;

      // Answers per category (one answer may count in several).
      const figures: Record<string, number> = { '5xx': 0, 'outside the error envelope': 0, leaks: 0, 'Idempotency-Key replay mismatches': 0, 'auth or tenancy breaches': 0, 'missing X-Request-Id': 0, 'no answer': 0 };
      for (const p of problems) for (const c of new Set(p.reasons.map(categoryOf))) figures[c] = (figures[c] ?? 0) + 1;
      console.log(
        [
          `bad-input fuzz: ${sent} requests (${indices.length} cases + ${sent - indices.length} Idempotency-Key replays) in ${seconds.toFixed(1)} s over ${ops.length} operations (seed ${SEED}, concurrency ${CONCURRENCY})`,
          `  by status class: ${Object.entries(byClass).map(([k, v]) => `${k} ${v}`).join(', ')}`,
          `  by status: ${Object.entries(byStatus).sort().map(([k, v]) => `${k}×${v}`).join(' ')}`,
          `  by kind: ${Object.entries(byKind).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`,
          `  THE FIGURE: ${Object.entries(figures).map(([k, v]) => `${k} ${v}`).join(', ')} (all must be 0)`,
          `  routes with bad answers: ${Object.entries(byRoute).filter(([, v]) => v.bad).map(([k, v]) => `${k} ${v.bad}/${v.sent}`).join('; ') || 'none'}`,
          `  refused by Node's HTTP parser before the app (head over 16 KB, bare 431): ${transportRejections}${STRICT_TRANSPORT ? ' (counted as failures)' : ' (not counted; FUZZ_STRICT_TRANSPORT=1 counts them)'}`,
          `  slowest: ${slowest.ms.toFixed(0)} ms ${slowest.what}`,
        ].join('\n'),
      );
      if (harnessErrors.length) throw new Error(`the fuzzer itself failed on ${harnessErrors.length} cases:\n${harnessErrors.slice(0, 5).join('\n')}`);
      problems.sort((a, b) => a.request.index - b.request.index);
      if (REPORT_FILE) {
        const dump = problems.map((p) => ({
          signature: signatureOf(p),
          index: p.request.index,
          method: p.request.method,
          path: p.request.path.slice(0, 2_000),
          headers: Object.fromEntries(Object.entries(p.request.headers).map(([k, v]) => [k, v.slice(0, 300)])),
          body: typeof p.request.body === 'string' ? p.request.body.slice(0, 2_000) : p.request.body ? `bytes:${Buffer.from(p.request.body).toString('hex').slice(0, 2_000)}` : null,
          input: p.request.input,
          status: p.outcome.status,
          reasons: p.reasons,
          response: p.outcome.text.slice(0, 2_000),
        }));
        writeFileSync(REPORT_FILE, JSON.stringify(dump, null, 2));
      }
      if (problems.length) throw new Error(formatProblems(problems, SEED));
      expect(figures['5xx']).toBe(0);
      expect(figures['outside the error envelope']).toBe(0);
    },
    Math.max(120_000, TOTAL * 60),
  );

  it('left the stored data it had no business changing exactly as it was', async () => {
    // Runs after the fuzzing above (tests in a file run in order).
    expect(await protectedState()).toEqual(snapshot);
  });
});
