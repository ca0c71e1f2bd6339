import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, type TestTenant } from '../support/factories.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openaiServer.ts';

/**
 * An AI call whose lines come from an OpenAI-compatible model (the fake OpenAI server,
 * through the real `openai` client, structured output): each turn an activity; the local
 * engine answers a turn the model fails.
 */
let stack: TestStack;
let openai: FakeOpenAi;
let t: TestTenant;
const api = '/api/v1';
const ALWAYS = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: '00:00', end: '24:00' }]]));

beforeAll(async () => {
  openai = await startFakeOpenAi();
  stack = await startStack({ env: { RATE_LIMIT_PER_MINUTE: '10000', RATE_LIMIT_AUTH_PER_MINUTE: '1000', OPENAI_API_KEY: 'sk-test-voice', OPENAI_BASE_URL: openai.url } });
  t = await aTenant(stack.http);
  await stack.http.patch(`${api}/tenant`, { token: t.token, body: { working_hours: ALWAYS } });
}, 120_000);
afterAll(async () => {
  await stack.close();
  await openai.close();
});

describe('a call with the model’s lines', () => {
  it('answers each utterance with the model’s line and analysis, and falls back to the local engine when the model fails', async () => {
    const created = await stack.http.post(`${api}/voice/calls`, { token: t.token, body: { phone_number: '+15550008888', purpose: 'Renewal', voice_settings: { agent_name: 'Sam' } } });
    const id = created.body.data.id as string;
    const started = await stack.http.post(`${api}/voice/calls/${id}/start`, { token: t.token });
    expect(started.body.data.opening_message).toMatch(/^Hi, this is Sam calling from /);

    const scripted = { ai_response: 'Glad to hear it! What matters most to you in a renewal?', conversation_state: 'discovery', should_continue: true, analysis: { sentiment: 0.6, intent: 'general_inquiry', objections: [], interest_signals: ['verbal_interest'] } };
    openai.enqueue({ content: JSON.stringify(scripted) });
    const first = await stack.http.post(`${api}/voice/calls/${id}/respond`, { token: t.token, body: { text: 'Sure, happy to talk' } });
    expect(first.body.data).toEqual({ success: true, audio_data: null, ...scripted });
    const asked = openai.requests.at(-1);
    expect(asked?.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'call_turn' } });
    expect(asked?.body.messages.map((m) => m.role)).toEqual(['system', 'assistant', 'user']);
    expect(String(asked?.body.messages[0].content)).toContain('You are Sam');

    // The model is down (both tries): the local engine answers, the call goes on.
    openai.enqueue({ status: 500 });
    openai.enqueue({ status: 500 });
    const second = await stack.http.post(`${api}/voice/calls/${id}/respond`, { token: t.token, body: { text: 'How much does it cost?' } });
    expect(second.body.data).toMatchObject({ should_continue: true, analysis: { intent: 'pricing_inquiry', interest_signals: ['pricing_interest'] } });

    const ended = await stack.http.post(`${api}/voice/calls/${id}/end`, { token: t.token, body: { reason: 'completed' } });
    expect(ended.body.data).toMatchObject({ status: 'completed', summary: { total_exchanges: 2 } });
    const call = (await stack.http.get(`${api}/voice/calls/${id}`, { token: t.token })).body.data;
    expect(call.transcript.map((x: { text: string }) => x.text)).toEqual([started.body.data.opening_message, 'Sure, happy to talk', scripted.ai_response, 'How much does it cost?', second.body.data.ai_response]);
  });
});
