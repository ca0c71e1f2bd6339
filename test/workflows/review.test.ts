import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { aTriageResult, openAiEnv } from '../support/triage.ts';
import { captureHistory } from '../support/histories.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openaiServer.ts';

/** A person's review of a low-confidence triage, on time (an Update) and late (a review run). */
let fake: FakeOpenAi;
let stack: TestStack;
let t: TestTenant;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  stack = await startStack({
    env: {
      ...openAiEnv(fake),
      // Two seconds of waiting for a person, so the late path is reached within the test.
      TRIAGE_REVIEW_TIMEOUT_HOURS: String(2 / 3600),
      RATE_LIMIT_PER_MINUTE: '1000',
    },
  });
  t = await aTenant(stack.http);
});
afterAll(async () => {
  await stack.close();
  await fake.close();
});

async function unsureMessage(email: string) {
  fake.enqueue({ content: JSON.stringify(aTriageResult({ category: 'other', intent: 'unclear', confidence: 0.2 })) });
  const res = await stack.http.post('/api/v1/inbox/messages', { token: t.token, body: { channel: 'email', content: 'about the thing', customer_email: email } });
  expect(res.status).toBe(201);
  return res.body.data.id as string;
}

const run = async (id: string) => (await stack.http.get(`/api/v1/runs/${id}`, { token: t.token })).body.data;

describe('reviews', () => {
  it('applies a review that comes after the wait timed out: status by the same rule, and the lead', async () => {
    const id = await unsureMessage('late@client.example');
    const timedOut = await eventually(async () => {
      const r = await run(`triage-${id}`);
      return r?.status === 'completed' ? r : undefined;
    }, { what: 'the wait for review to time out' });
    expect(timedOut.result.review).toBe('timed_out');
    expect((await stack.http.get(`/api/v1/inbox/messages/${id}`, { token: t.token })).body.data).toMatchObject({ status: 'needs_review', lead_id: null });

    const put = await stack.http.put(`/api/v1/inbox/messages/${id}`, { token: t.token, body: { category: 'sales_inquiry' } });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({ status: 'triaged', category: 'sales_inquiry' });
    expect(put.body.data.lead_id).toBeTruthy();
    const review = await run(`review-${id}`);
    expect(review).toMatchObject({ type: 'reviewMessageWorkflow', status: 'completed', result: { leadCreated: true } });
    captureHistory(`review-${id}`, 'review-late');
  });

  it('refuses a review that sets a status no person may, and changes nothing', async () => {
    const id = await unsureMessage('invalid@client.example');
    await eventually(async () => ((await stack.http.get(`/api/v1/inbox/messages/${id}`, { token: t.token })).body.data.status === 'needs_review' ? true : undefined), {
      what: 'triage to ask for review',
    });
    const res = await stack.http.put(`/api/v1/inbox/messages/${id}`, { token: t.token, body: { status: 'new' } });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect((await stack.http.get(`/api/v1/inbox/messages/${id}`, { token: t.token })).body.data.status).toBe('needs_review');
  });
});
