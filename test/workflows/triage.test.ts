import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { aTriageResult, openAiEnv } from '../support/triage.ts';
import { captureHistory } from '../support/histories.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openaiServer.ts';
import { tenantEm } from '../../lib/db.ts';
import { ContactSchema } from '../../entities/Contact.ts';
import { LeadSchema } from '../../entities/Lead.ts';
import { EventSchema } from '../../entities/Event.ts';
import { CalendarEventSchema } from '../../entities/CalendarEvent.ts';
import { TaskSchema } from '../../entities/Task.ts';

let fake: FakeOpenAi;
let stack: TestStack;
let t: TestTenant;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  stack = await startStack({
    env: {
      ...openAiEnv(fake),
      OPENAI_TIMEOUT_MS: '5000',
      RATE_LIMIT_AUTH_PER_MINUTE: '1000',
      RATE_LIMIT_PER_MINUTE: '1000',
    },
  });
  t = await aTenant(stack.http);
});
afterAll(async () => {
  await stack.close();
  await fake.close();
});

async function postMessage(body: Record<string, unknown>, token = t.token) {
  const res = await stack.http.post('/api/v1/inbox/messages', { token, body });
  expect(res.status).toBe(201);
  return res.body.data;
}

/** The message once its triage run has closed. */
async function settled(messageId: string, token = t.token) {
  await eventually(
    async () => {
      const run = await stack.http.get(`/api/v1/runs/triage-${messageId}`, { token });
      return run.body.data && run.body.data.status !== 'running' ? run.body.data : undefined;
    },
    { what: `triage of ${messageId}`, timeoutMs: 45_000 },
  );
  return (await stack.http.get(`/api/v1/inbox/messages/${messageId}`, { token })).body.data;
}

describe('message triage with an OpenAI-compatible model', () => {
  it('answers at once with the message and its run, then creates one contact and one lead; re-running creates no duplicates', async () => {
    fake.enqueue({ content: JSON.stringify(aTriageResult({ extracted_data: { contacts: [{ name: 'Jane Doe', email: null, phone: null, company: 'Acme Corp' }], events: [], tasks: [{ title: 'Send pricing for 20 seats', due: null }] } })) });
    const created = await postMessage({
      channel: 'email',
      subject: 'Pricing',
      content: "Hi, I'm Jane Doe from Acme Corp, interested in pricing for 20 seats. Please send pricing.",
      customer_name: 'Jane Doe',
      customer_email: 'Jane@Acme.com',
    });
    expect(created.status).toBe('new');
    expect(created.run).toMatchObject({ workflow_id: `triage-${created.id}`, status: 'running' });

    const m = await settled(created.id);
    expect(m).toMatchObject({ status: 'triaged', category: 'sales_inquiry', intent: 'pricing request', ai_confidence: 0.92, classifier: 'openai:gpt-test-mini', processed: true });
    expect(m.contact_id).toBeTruthy();
    expect(m.lead_id).toBeTruthy();

    // The model was asked for structured output, with our key.
    const request = fake.requests.at(-1)!;
    expect(request.body.model).toBe('gpt-test-mini');
    expect(request.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { strict: true } });
    expect(request.headers.authorization).toBe('Bearer sk-test-not-a-real-key');

    const em = tenantEm(stack.orm, t.tenantId);
    const contacts = await em.find(ContactSchema, { email: 'jane@acme.com' });
    expect(contacts).toHaveLength(1);
    expect(contacts[0]).toMatchObject({ name: 'Jane Doe', organization: 'Acme Corp' });
    const leads = await em.find(LeadSchema, { contact: contacts[0].id });
    expect(leads).toHaveLength(1);
    expect(leads[0]).toMatchObject({ source: 'email', status: 'new', stageId: 'new' });
    expect(await em.count(TaskSchema, { sourceMessageId: created.id })).toBe(1);

    const again = await stack.http.post(`/api/v1/inbox/messages/${created.id}/process`, { token: t.token });
    expect(again.status).toBe(202);
    expect(again.body.data.run.run_id).not.toBe(created.run.run_id);
    await settled(created.id);
    captureHistory(`triage-${created.id}`, 'triage-sales-inquiry-rerun');
    const em2 = tenantEm(stack.orm, t.tenantId);
    expect(await em2.count(ContactSchema, { email: 'jane@acme.com' })).toBe(1);
    expect(await em2.count(LeadSchema, { contact: contacts[0].id })).toBe(1);
    expect(await em2.count(TaskSchema, { sourceMessageId: created.id })).toBe(1);
    const types = (await em2.find(EventSchema, { entityId: { $in: [created.id, contacts[0].id, leads[0].id] } })).map((e) => e.type).sort();
    expect(types).toEqual(['contact.created', 'lead.created', 'lead.score_changed', 'message.received', 'message.triaged', 'message.triaged']);
  });

  it('turns an appointment request into a proposed event at the right time in the tenant zone', async () => {
    await stack.http.patch('/api/v1/tenant', { token: t.token, body: { timezone: 'America/New_York' } });
    // The model reads the time in the tenant's zone; the product stores it as an instant.
    const event = { title: 'Meeting', start: '2026-03-11T15:00:00-04:00', end: null, location: null };
    fake.enqueue({ content: JSON.stringify(aTriageResult({ category: 'appointment', intent: 'book a meeting', extracted_data: { contacts: [], events: [event], tasks: [] } })) });
    const created = await postMessage({
      channel: 'sms',
      content: 'Can we book a meeting tomorrow at 3pm?',
      customer_phone: '+1 415 555 0123',
      received_at: '2026-03-10T09:00:00Z',
    });
    const m = await settled(created.id);
    expect(m.category).toBe('appointment');
    const events = await tenantEm(stack.orm, t.tenantId).find(CalendarEventSchema, { sourceMessageId: created.id });
    expect(events).toHaveLength(1);
    expect(events[0].startsAt.toISOString()).toBe('2026-03-11T19:00:00.000Z');
    expect(events[0].status).toBe('proposed');
    expect(m.extracted_data.events[0].start).toBe('2026-03-11T15:00:00-04:00');
  });

  it('marks spam as spam and creates no lead', async () => {
    fake.enqueue({ content: JSON.stringify(aTriageResult({ category: 'spam', intent: 'unsolicited offer', confidence: 0.97 })) });
    const created = await postMessage({ channel: 'email', content: 'WINNER! Click here to claim your crypto giveaway', customer_email: 'promo@spam.example' });
    const m = await settled(created.id);
    expect(m.status).toBe('spam');
    expect(m.lead_id).toBeNull();
  });

  it('retries a malformed answer, and a 429 after its Retry-After', async () => {
    const before = fake.requests.length;
    fake.enqueue({ content: '{"category": "sales_inq' });
    // 4 s: longer than the retry policy's own next interval (2 s after the first retry),
    // so the wait below shows the header was honoured, not the preset.
    fake.enqueue({ status: 429, headers: { 'retry-after': '4' } });
    fake.enqueue({ content: JSON.stringify(aTriageResult({ intent: 'demo request' })) });
    const created = await postMessage({ channel: 'web_widget', content: 'I would like a demo', customer_email: 'demo@buyer.example' });
    const m = await settled(created.id);
    expect(fake.requests.length - before).toBe(3);
    const [, limited, after] = fake.requests.slice(before);
    expect(after.at - limited.at).toBeGreaterThanOrEqual(3_900);
    expect(m).toMatchObject({ status: 'triaged', intent: 'demo request', classifier: 'openai:gpt-test-mini' });
  });

  it('falls back to the local classifier when the model keeps answering nonsense', async () => {
    for (let i = 0; i < 4; i++) fake.enqueue({ content: 'I am not JSON at all' });
    const requestId = `req-fallback-${Date.now()}`;
    const res = await stack.http.post('/api/v1/inbox/messages', {
      token: t.token,
      headers: { 'X-Request-Id': requestId },
      body: { channel: 'email', content: 'My invoice was charged twice, please refund', customer_email: 'billing@client.example' },
    });
    const created = res.body.data;
    const m = await settled(created.id);
    // The request id travels from the API call into the activity's own log line.
    const fallbackLog = stack.worker!.output().split('\n').find((l) => l.includes('using the fallback') && l.includes(created.id));
    expect(fallbackLog).toBeDefined();
    expect(JSON.parse(fallbackLog!)).toMatchObject({ requestId, workflowId: `triage-${created.id}`, activityType: 'classifyMessage' });
    expect(m.classifier).toBe('local-rules');
    expect(m.category).toBe('billing');
    const run = await stack.http.get(`/api/v1/runs/triage-${created.id}`, { token: t.token });
    captureHistory(`triage-${created.id}`, 'triage-malformed-fallback');
    expect(run.body.data.result.fallbackReason).toBe('openai:gpt-test-mini: malformed_response');
  });

  it('waits for a person when unsure, then applies their correction', async () => {
    fake.enqueue({ content: JSON.stringify(aTriageResult({ category: 'other', intent: 'unclear', confidence: 0.3 })) });
    const created = await postMessage({ channel: 'email', content: 'hello, about the thing we discussed', customer_email: 'vague@client.example' });
    const waiting = await eventually(async () => {
      const run = await stack.http.get(`/api/v1/runs/triage-${created.id}`, { token: t.token });
      return run.body.data?.progress?.step === 'awaiting_review' ? run.body.data : undefined;
    }, { what: 'triage to wait for review' });
    expect(waiting.status).toBe('running');
    expect((await stack.http.get(`/api/v1/inbox/messages/${created.id}`, { token: t.token })).body.data.status).toBe('needs_review');

    const put = await stack.http.put(`/api/v1/inbox/messages/${created.id}`, { token: t.token, body: { category: 'sales_inquiry' } });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({ status: 'triaged', category: 'sales_inquiry' });
    const m = await settled(created.id);
    expect(m.lead_id).toBeTruthy();
    const run = await stack.http.get(`/api/v1/runs/triage-${created.id}`, { token: t.token });
    expect(run.body.data.result).toMatchObject({ review: 'applied', leadCreated: true });
    captureHistory(`triage-${created.id}`, 'triage-needs-review-corrected');
  });

  it('cancels a triage that waits for review', async () => {
    fake.enqueue({ content: JSON.stringify(aTriageResult({ category: 'other', confidence: 0.2 })) });
    const created = await postMessage({ channel: 'email', content: 'hmm', customer_email: 'cancel@client.example' });
    await eventually(async () => {
      const run = await stack.http.get(`/api/v1/runs/triage-${created.id}`, { token: t.token });
      return run.body.data?.progress?.step === 'awaiting_review' ? true : undefined;
    }, { what: 'triage to wait for review' });
    const cancel = await stack.http.post(`/api/v1/runs/triage-${created.id}/cancel`, { token: t.token });
    expect(cancel.status).toBe(202);
    const run = await settled(created.id).then(() => stack.http.get(`/api/v1/runs/triage-${created.id}`, { token: t.token }));
    expect(run.body.data.status).toBe('cancelled');
    const again = await stack.http.post(`/api/v1/runs/triage-${created.id}/cancel`, { token: t.token });
    expect(again.status).toBe(409);
  });
});

describe('a worker killed in the middle of a triage', () => {
  it('finishes the triage on a restarted worker with no duplicate rows', async () => {
    const killed = await aTenant(stack.http);
    // The model is slow: the worker is killed while the classify call is in flight.
    fake.enqueue({ delayMs: 4_000, content: JSON.stringify(aTriageResult()) });
    fake.enqueue({ content: JSON.stringify(aTriageResult()) });
    const before = fake.requests.length;
    const created = await postMessage({ channel: 'email', content: 'Interested in your premium plan', customer_email: 'crash@buyer.example' }, killed.token);
    await eventually(async () => (fake.requests.length > before ? true : undefined), { what: 'the classify call to start' });
    await stack.worker!.kill();
    await stack.startWorker();

    const m = await settled(created.id, killed.token);
    expect(m.status).toBe('triaged');
    const em = tenantEm(stack.orm, killed.tenantId);
    expect(await em.count(ContactSchema, { email: 'crash@buyer.example' })).toBe(1);
    expect(await em.count(LeadSchema, {})).toBe(1);
    expect(await em.count(EventSchema, { type: 'message.triaged', entityId: created.id })).toBe(1);
  });
});
