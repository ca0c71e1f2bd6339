import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type TriageInput, type TriageResult, triageResultSchema } from '../../lib/triage.ts';
import { ProviderError, retryAfterFromHeaders } from '../../providers/errors.ts';
import { createTriageClassifier } from '../../providers/llm/index.ts';
import { createOpenAiClassifier } from '../../providers/llm/openaiClassifier.ts';
import { parseTriageUserMessage } from '../../providers/llm/triagePrompt.ts';
import { type FakeOpenAi, startFakeOpenAi } from '../fakes/openaiServer.ts';
import { aTriageResult } from '../support/triage.ts';
import { classifyWithRules } from '../../providers/llm/localClassifier.ts';

const API_KEY = 'sk-test-fake-key-1234567890';
const MODEL = 'gpt-4o-mini';

const message = (content: string, extra: Partial<TriageInput> = {}): TriageInput => ({
  channel: 'email',
  content,
  customer: { name: null, email: 'sender@example.com', phone: null },
  receivedAt: '2026-03-10T09:00:00Z',
  timezone: 'America/New_York',
  ...extra,
});

const SALES = "Hi, I'm Jane Doe from Acme Corp, interested in pricing for 20 seats, jane@acme.com, +1 415 555 0100";

const VALID_RESULT: TriageResult = {
  category: 'support',
  intent: 'report_problem',
  priority: 'high',
  sentiment: -0.4,
  language: 'en',
  summary: 'Checkout is down.',
  extracted_data: { contacts: [], events: [], tasks: [{ title: 'Fix checkout', due: null }] },
  confidence: 0.83,
};

/** Awaits `promise`, expecting a ProviderError, and returns it for closer inspection. */
async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a ProviderError, but the call succeeded');
}

describe('OpenAI triage classifier (against the fake server)', () => {
  let fake: FakeOpenAi;
  const classifier = (timeoutMs = 5_000) => createOpenAiClassifier({ apiKey: API_KEY, baseURL: fake.url, model: MODEL, timeoutMs });

  beforeAll(async () => {
    fake = await startFakeOpenAi();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });

  it('is named after the model', () => {
    expect(classifier().name).toBe('openai:gpt-4o-mini');
  });

  it('returns what the model answered, not what the local rules would say', async () => {
    const contact = { name: 'Jane Doe', email: 'jane@acme.com', phone: '+14155550100', company: 'Acme Corp' };
    // The rules read this text as a sales inquiry with no such intent: the answer below can only come from the model.
    fake.enqueue({ content: JSON.stringify(aTriageResult({ category: 'sales_inquiry', intent: 'twenty seats for the support team', extracted_data: { contacts: [contact], events: [], tasks: [] } })) });
    const result = await classifier().classify(message(SALES));
    expect(result).toMatchObject({ category: 'sales_inquiry', intent: 'twenty seats for the support team' });
    expect(result.extracted_data.contacts[0]).toEqual(contact);
    expect(triageResultSchema.safeParse(result).success).toBe(true);
  });

  it('keeps the model\'s appointment as it gave it', async () => {
    const event = { title: 'Meeting', start: '2026-03-11T15:00:00-04:00', end: null, location: null };
    fake.enqueue({ content: JSON.stringify(aTriageResult({ category: 'appointment', intent: 'book a meeting', extracted_data: { contacts: [], events: [event], tasks: [] } })) });
    const result = await classifier().classify(message('Can we book a meeting tomorrow at 3pm?'));
    expect(result.category).toBe('appointment');
    expect(result.extracted_data.events).toEqual([event]);
  });

  it.each([
    // Each text reads as the first category to the rules; the model says the second, and wins.
    ['spam', 'complaint', 'You are a WINNER! Claim your prize in our crypto giveaway, click here now'],
    ['complaint', 'billing', 'Your service is the worst. Unacceptable, and I am angry.'],
    ['support', 'sales_inquiry', 'The app is not working, I keep getting an error. Please help.'],
  ] as const)('takes the model\'s category over the rules\' (%s read as %s)', async (rules, model, content) => {
    expect(classifyWithRules(message(content)).category).toBe(rules);
    fake.enqueue({ content: JSON.stringify(aTriageResult({ category: model })) });
    expect((await classifier().classify(message(content))).category).toBe(model);
  });

  it('gets the fake model\'s own answer when nothing is scripted, not the rules\'', async () => {
    const result = await classifier().classify(message(SALES));
    expect(result.intent).toBe('fake model: general question');
    expect(result.category).toBe('support');
  });

  it('sends a strict structured-output request with the model, prompt and key', async () => {
    await classifier().classify(message(SALES));
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request.body.model).toBe(MODEL);

    const format = request.body.response_format;
    expect(format?.type).toBe('json_schema');
    if (format?.type !== 'json_schema') throw new Error('unreachable');
    expect(format.json_schema.name).toBe('triage_result');
    expect(format.json_schema.strict).toBe(true);
    const schema = format.json_schema.schema as { type: string; required: string[]; additionalProperties: boolean; properties: Record<string, unknown> };
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect([...schema.required].sort()).toEqual(Object.keys(schema.properties).sort());
    expect(schema.required).toEqual(expect.arrayContaining(['category', 'extracted_data', 'confidence']));
    const contact = (schema.properties.extracted_data as { properties: { contacts: { items: { required: string[]; properties: { name: unknown } } } } }).properties.contacts.items;
    expect(contact.required).toEqual(['name', 'email', 'phone', 'company']);
    expect(contact.properties.name).toEqual({ type: ['string', 'null'] });

    const [system, user] = request.body.messages;
    expect(system.role).toBe('system');
    expect(String(system.content)).toMatch(/receivedAt/);
    expect(user.role).toBe('user');
    // The message travels as JSON so the model (and this fake) can read it as data.
    expect(parseTriageUserMessage(String(user.content))).toEqual({
      channel: 'email',
      subject: null,
      content: SALES,
      customer: { name: null, email: 'sender@example.com', phone: null },
      receivedAt: '2026-03-10T09:00:00Z',
      timezone: 'America/New_York',
    });
  });

  it('returns a valid scripted answer as is', async () => {
    fake.enqueue({ content: JSON.stringify(VALID_RESULT) });
    expect(await classifier().classify(message('anything'))).toEqual(VALID_RESULT);
  });

  it('rejects non-JSON content as malformed_response', async () => {
    fake.enqueue({ content: 'not json' });
    const error = await providerError(classifier().classify(message(SALES)));
    expect(error).toMatchObject({ provider: 'openai', kind: 'malformed_response', retryable: true });
  });

  it('rejects JSON that violates the schema as malformed_response, naming the field', async () => {
    fake.enqueue({ content: JSON.stringify({ ...VALID_RESULT, category: 'gossip', confidence: 3 }) });
    const error = await providerError(classifier().classify(message(SALES)));
    expect(error.kind).toBe('malformed_response');
    expect(error.message).toMatch(/category/);
    expect(error.message).toMatch(/confidence/);
  });

  it('treats a truncated answer as malformed_response and a refusal as rejected', async () => {
    fake.enqueue({ content: '{"category":"sup', finishReason: 'length' });
    expect((await providerError(classifier().classify(message(SALES)))).kind).toBe('malformed_response');
    fake.enqueue({ refusal: "I can't help with that." });
    const refusal = await providerError(classifier().classify(message(SALES)));
    expect(refusal).toMatchObject({ kind: 'rejected', retryable: false });
  });

  it('maps 429 with retry-after to rate_limited with the delay, without retrying itself', async () => {
    fake.enqueue({ status: 429, headers: { 'retry-after': '1' } });
    const error = await providerError(classifier().classify(message(SALES)));
    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 1000, status: 429 });
    // maxRetries 0: the activity, not the SDK, decides when to try again.
    expect(fake.requests).toHaveLength(1);
  });

  it('prefers retry-after-ms when present', async () => {
    fake.enqueue({ status: 429, headers: { 'retry-after-ms': '250', 'retry-after': '7' } });
    expect((await providerError(classifier().classify(message(SALES)))).retryAfterMs).toBe(250);
  });

  it('treats quota exhaustion (429 insufficient_quota) as rejected, not worth retrying', async () => {
    fake.enqueue({ status: 429, body: { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } } });
    expect(await providerError(classifier().classify(message(SALES)))).toMatchObject({ kind: 'rejected', retryable: false });
  });

  it('maps 500 and 503 to unavailable', async () => {
    fake.enqueue({ status: 500 });
    expect(await providerError(classifier().classify(message(SALES)))).toMatchObject({ kind: 'unavailable', retryable: true, status: 500 });
    fake.enqueue({ status: 503 });
    expect((await providerError(classifier().classify(message(SALES)))).kind).toBe('unavailable');
    expect(fake.requests).toHaveLength(2);
  });

  it('maps 401 and 403 to auth (not retryable) without leaking the key', async () => {
    // Some OpenAI-compatible servers echo the key back in their error body.
    fake.enqueue({ status: 401, body: { error: { message: `Incorrect API key provided: ${API_KEY}`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } });
    const error = await providerError(classifier().classify(message(SALES)));
    expect(error).toMatchObject({ kind: 'auth', retryable: false, status: 401 });
    expect(error.message).not.toContain(API_KEY);
    expect(error.message).toContain('[redacted]');
    expect(JSON.stringify(error)).not.toContain(API_KEY);
    expect(error.cause).toBeUndefined();

    fake.enqueue({ status: 403 });
    expect((await providerError(classifier().classify(message(SALES)))).kind).toBe('auth');
  });

  it('maps other 4xx to rejected', async () => {
    fake.enqueue({ status: 400 });
    expect(await providerError(classifier().classify(message(SALES)))).toMatchObject({ kind: 'rejected', retryable: false, status: 400 });
  });

  it('maps a slow answer to timeout', async () => {
    fake.enqueue({ delayMs: 2_000, content: JSON.stringify(VALID_RESULT) });
    const started = Date.now();
    const error = await providerError(classifier(200).classify(message(SALES)));
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('maps a refused connection to unavailable', async () => {
    const port = await freePort();
    const offline = createOpenAiClassifier({ apiKey: API_KEY, baseURL: `http://127.0.0.1:${port}/v1`, model: MODEL, timeoutMs: 2_000 });
    const error = await providerError(offline.classify(message(SALES)));
    expect(error).toMatchObject({ kind: 'unavailable', retryable: true });
    expect(error.message).not.toContain(API_KEY);
  });

  it('rethrows the caller’s abort reason instead of a ProviderError', async () => {
    fake.enqueue({ delayMs: 2_000, content: JSON.stringify(VALID_RESULT) });
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 50);
    await expect(classifier().classify(message(SALES), { signal: controller.signal })).rejects.toBe(reason);
  });
});

describe('createTriageClassifier', () => {
  it('uses the local rules without an API key', () => {
    expect(createTriageClassifier({ model: MODEL, timeoutMs: 1_000 }).name).toBe('local-rules');
    expect(createTriageClassifier({ apiKey: '', model: MODEL, timeoutMs: 1_000 }).name).toBe('local-rules');
  });

  it('uses OpenAI when an API key is set', () => {
    expect(createTriageClassifier({ apiKey: API_KEY, baseURL: 'http://127.0.0.1:1/v1', model: 'gpt-4.1', timeoutMs: 1_000 }).name).toBe('openai:gpt-4.1');
  });
});

describe('retryAfterFromHeaders', () => {
  it('reads seconds, milliseconds and HTTP dates', () => {
    const now = Date.parse('2026-03-10T09:00:00Z');
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': '2.5' }), now)).toBe(2500);
    expect(retryAfterFromHeaders(new Headers({ 'retry-after-ms': '120' }), now)).toBe(120);
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': 'Tue, 10 Mar 2026 09:00:30 GMT' }), now)).toBe(30_000);
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterFromHeaders(new Headers(), now)).toBeUndefined();
  });
});

/** A port nothing listens on: bind an ephemeral one, then release it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
