import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, type TestTenant } from '../support/factories.ts';
import { realtime } from '../support/realtime.ts';
import { fakeSpeechAudio, startFakeOpenAi, wordsOfFakeSpeech, type FakeOpenAi } from '../fakes/openaiServer.ts';
import { eventually } from '../support/factories.ts';

/**
 * An AI call whose lines come from an OpenAI-compatible model (the fake OpenAI server,
 * through the real `openai` client, structured output): each turn an activity; the local
 * engine answers a turn the model fails. With the key, speech too: what the person says as
 * audio is transcribed and the agent's line is spoken, over REST and over the WebSocket.
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
    // With a key, the line also comes back spoken (the fake's "audio" carries its words).
    expect(first.body.data).toEqual({ success: true, audio_data: expect.any(String), ...scripted });
    expect(wordsOfFakeSpeech(Buffer.from(first.body.data.audio_data, 'base64'))).toBe(scripted.ai_response);
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

const b64 = (words: string) => fakeSpeechAudio(words).toString('base64');

describe('a call in audio', () => {
  let id: string;
  beforeAll(async () => {
    const created = await stack.http.post(`${api}/voice/calls`, { token: t.token, body: { phone_number: '+15550008889', voice_settings: { voice_id: 'nova', language: 'en-GB', speed: 1.25 } } });
    id = created.body.data.id as string;
    await stack.http.post(`${api}/voice/calls/${id}/start`, { token: t.token });
  });

  it('transcribes audio_data, answers it, and speaks the answer in the call’s voice', async () => {
    const before = openai.audioRequests.length;
    const res = await stack.http.post(`${api}/voice/calls/${id}/respond`, { token: t.token, body: { audio_data: b64('How much does it cost? It sounds expensive') } });
    expect(res.status).toBe(200);
    expect(res.body.data.analysis).toMatchObject({ objections: ['price'], interest_signals: ['pricing_interest'] });
    expect(wordsOfFakeSpeech(Buffer.from(res.body.data.audio_data, 'base64'))).toBe(res.body.data.ai_response);
    expect(openai.audioRequests.slice(before)).toEqual([
      { path: '/v1/audio/transcriptions', model: 'whisper-1', filename: 'utterance.mp3', language: 'en' },
      { path: '/v1/audio/speech', model: 'tts-1', input: res.body.data.ai_response, voice: 'nova', speed: 1.25 },
    ]);
    const call = (await stack.http.get(`${api}/voice/calls/${id}`, { token: t.token })).body.data;
    await eventually(async () => {
      const c = (await stack.http.get(`${api}/voice/calls/${id}`, { token: t.token })).body.data;
      return c.transcript.some((x: { text: string }) => x.text === 'How much does it cost? It sounds expensive') ? true : undefined;
    }, { what: 'the transcribed words in the transcript' });
    expect(call.status).toBe('in_progress');
  });

  it('refuses audio that is not base64, or that the speech API cannot read, with field errors and nothing said to the call', async () => {
    const turns = (await stack.http.get(`${api}/voice/calls/${id}`, { token: t.token })).body.data.transcript.length;
    const notBase64 = await stack.http.post(`${api}/voice/calls/${id}/respond`, { token: t.token, body: { audio_data: 'not audio at all!' } });
    expect(notBase64.status).toBe(422);
    expect(notBase64.body.error.details.fields).toEqual([{ field: 'body.audio_data', message: 'must be base64-encoded audio' }]);
    const unreadable = await stack.http.post(`${api}/voice/calls/${id}/respond`, { token: t.token, body: { audio_data: Buffer.from('RIFF....WAVEnoise').toString('base64') } });
    expect(unreadable.status).toBe(422);
    expect(unreadable.body.error.details.fields[0]).toMatchObject({ field: 'body.audio_data', message: expect.stringContaining('could not be transcribed') });
    expect((await stack.http.get(`${api}/voice/calls/${id}`, { token: t.token })).body.data.transcript).toHaveLength(turns);
  });

  it('takes audio_chunk messages on the WebSocket, an utterance in pieces, and answers with the words heard and the line spoken', async () => {
    const { ws, next } = await realtime(stack.http.base, id, t.token);
    // One clip sent as two pieces, each encoded on its own (padding in the middle is fine).
    const clip = fakeSpeechAudio('Can we schedule a demo next Tuesday?');
    ws.send(JSON.stringify({ type: 'audio_chunk', data: clip.subarray(0, 7).toString('base64'), final: false }));
    ws.send(JSON.stringify({ type: 'audio_chunk', data: clip.subarray(7).toString('base64') }));
    expect(await next()).toEqual({ type: 'transcript', text: 'Can we schedule a demo next Tuesday?' });
    const answer = await next();
    expect(answer).toMatchObject({ type: 'ai_response', should_continue: true, analysis: { interest_signals: expect.arrayContaining(['demo_interest']) } });
    expect(wordsOfFakeSpeech(Buffer.from(answer.audio as string, 'base64'))).toBe(answer.text);
    ws.send(JSON.stringify({ type: 'audio_chunk', data: Buffer.from('static').toString('base64') }));
    expect(await next()).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR' });
    ws.close();
  });
});
