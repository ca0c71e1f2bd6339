import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { captureHistory } from '../support/histories.ts';
import { postAcrossADeadApi } from '../support/idempotency.ts';
import { realtime as openRealtime } from '../support/realtime.ts';

/**
 * Outbound AI calls on the embedded default's simulator (every call answered by a person):
 * seed 004's create → start → respond → end over REST, through the workflow `call-<id>`
 * and the local conversation engine; the calling window; do-not-call; tenant isolation.
 */
let stack: TestStack;
let t: TestTenant;
const api = '/api/v1';
const ALWAYS = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: '00:00', end: '24:00' }]]));

beforeAll(async () => {
  stack = await startStack({ env: { RATE_LIMIT_PER_MINUTE: '10000', RATE_LIMIT_AUTH_PER_MINUTE: '1000' } });
  t = await aTenant(stack.http);
  // Calls dial inside the tenant's calling hours: open all day, so the tests never wait.
  const res = await stack.http.patch(`${api}/tenant`, { token: t.token, body: { working_hours: ALWAYS } });
  expect(res.status).toBe(200);
}, 120_000);
afterAll(() => stack.close());

async function aLead(tenant: TestTenant, name: string, email: string): Promise<{ id: string; contactId: string }> {
  const res = await stack.http.post(`${api}/crm/leads`, { token: tenant.token, body: { title: `${name} — seats`, source: 'web', contact: { name, email, company: 'Acme Corp' } } });
  expect(res.status).toBe(201);
  return { id: res.body.data.id, contactId: res.body.data.contact.id };
}

const getCall = async (id: string, tenant = t) => (await stack.http.get(`${api}/voice/calls/${id}`, { token: tenant.token })).body.data;

describe('a voice call, seed 004 end to end', () => {
  let callId: string;
  let leadId: string;

  it('creates the call (seed 004’s body) and its run, waiting to be started', async () => {
    const lead = await aLead(t, 'John Doe', 'john@example.com');
    leadId = lead.id;
    const res = await stack.http.post(`${api}/voice/calls`, {
      token: t.token,
      body: { lead_id: lead.id, phone_number: '+1-555-123-4567', call_type: 'outbound', purpose: 'Discovery call to understand needs', voice_settings: { voice_id: 'bella', speed: 1.0, language: 'en-US', agent_name: 'Sarah' } },
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ status: 'scheduled', phone_number: '+15551234567', lead_id: lead.id, contact_id: lead.contactId, max_attempts: 3, run: { workflow_id: `call-${res.body.data.id}`, status: 'running' } });
    callId = res.body.data.id;
  });

  it('starts: the opening message and session info', async () => {
    const res = await stack.http.post(`${api}/voice/calls/${callId}/start`, { token: t.token, body: { voice_config: { provider: 'elevenlabs', voice_id: 'bella', language: 'en-US', speed: 1.0, stability: 0.75 } } });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      success: true,
      call_id: callId,
      opening_message: expect.stringMatching(/^Hi John, this is Sarah calling from .+\. I hope I'm catching you at a good time!$/),
      session_info: { state: 'greeting', context: { lead_name: 'John Doe', company: 'Acme Corp', purpose: 'Discovery call to understand needs' } },
    });
    expect((await stack.http.post(`${api}/voice/calls/${callId}/start`, { token: t.token })).status).toBe(409);
  });

  it('holds the conversation: each utterance answered with the next line and its analysis', async () => {
    const say = async (text: string) => {
      const res = await stack.http.post(`${api}/voice/calls/${callId}/respond`, { token: t.token, body: { text } });
      expect(res.status).toBe(200);
      return res.body.data;
    };
    const first = await say('Hi Sarah, yes I have a few minutes to chat');
    expect(first).toMatchObject({ success: true, audio_data: null, conversation_state: 'discovery', should_continue: true, analysis: { intent: 'general_inquiry', objections: [], interest_signals: ['verbal_interest'] } });
    expect(first.ai_response).toContain('Acme Corp');
    const second = await say('How much does it cost? It sounds expensive');
    expect(second).toMatchObject({ conversation_state: 'qualification', analysis: { objections: ['price'], interest_signals: ['pricing_interest'] } });
    expect(second.ai_response).toMatch(/^I understand budget matters/);
    const third = await say('Can we schedule a demo next Tuesday?');
    expect(third).toMatchObject({ conversation_state: 'closing', should_continue: true });
    // The transcript is written behind the answers: it catches up in a moment.
    const call = await eventually(async () => {
      const c = await getCall(callId);
      return c.transcript.length === 7 ? c : undefined;
    }, { what: 'the transcript' });
    expect(call).toMatchObject({ status: 'in_progress', conversation_state: 'closing', attempts: [{ n: 1, outcome: 'answered' }] });
    expect(call.transcript.map((x: { role: string }) => x.role)).toEqual(['agent', 'caller', 'agent', 'caller', 'agent', 'caller', 'agent']);
  });

  it('ends with seed 004’s summary and analytics, an activity on the lead and the call events', async () => {
    const res = await stack.http.post(`${api}/voice/calls/${callId}/end`, { token: t.token, body: { reason: 'completed' } });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      success: true,
      call_id: callId,
      status: 'completed',
      summary: { total_exchanges: 3, conversation_state: 'closing', objections_raised: ['price'], interest_signals: expect.arrayContaining(['verbal_interest', 'pricing_interest', 'demo_interest']), recommendation: expect.stringMatching(/priority/) },
      analytics: { total_turns: 7 },
    });
    await eventually(async () => ((await stack.http.get(`${api}/runs/call-${callId}`, { token: t.token })).body.data.status === 'completed' ? true : undefined), { what: 'the run to close' });
    captureHistory(`call-${callId}`, 'call-completed');
    expect(await getCall(callId)).toMatchObject({ status: 'completed', ended_at: expect.any(String), end_reason: 'completed', summary: { total_exchanges: 3 } });
    const timeline = await stack.http.get(`${api}/crm/leads/${leadId}/activities`, { token: t.token });
    expect(timeline.body.data).toEqual(expect.arrayContaining([expect.objectContaining({ activity_type: 'call_completed' })]));
    const events = await stack.orm.em.getConnection().execute<Array<{ type: string }>>("select type from events where tenant_id = ? and entity_id = ? order by created_at", [t.tenantId, callId]);
    // call.ended and call.completed are written in one transaction (one timestamp).
    expect(events.map((e) => e.type).sort()).toEqual(['call.completed', 'call.ended', 'call.started']);
    expect((await stack.http.post(`${api}/voice/calls/${callId}/respond`, { token: t.token, body: { text: 'Hello?' } })).status).toBe(409);
  });
});

/** A WebSocket to a call's realtime endpoint, its messages queued as they come. */
const realtime = (callId: string, token: string) => openRealtime(stack.http.base, callId, token);

/** The status an upgrade was refused with. */
const refusedUpgrade = (url: string) =>
  new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
  });

describe('the realtime WebSocket (seed 004)', () => {
  it('takes text_input and answers ai_response, refuses audio without a speech API, and ends with the summary', async () => {
    const created = await stack.http.post(`${api}/voice/calls`, { token: t.token, body: { phone_number: '+15550005555', purpose: 'Follow-up' } });
    const id = created.body.data.id as string;
    await stack.http.post(`${api}/voice/calls/${id}/start`, { token: t.token });
    const { ws, next, send } = await realtime(id, t.token);
    send({ type: 'text_input', text: 'Hi, sure, I have a few minutes' });
    expect(await next()).toMatchObject({ type: 'ai_response', conversation_state: 'discovery', should_continue: true, audio: null, text: expect.any(String) });
    send({ type: 'audio_chunk', data: 'UklGRg==' });
    expect(await next()).toMatchObject({ type: 'error', code: 'AUDIO_UNSUPPORTED' });
    send({ type: 'text_input', text: 'We use spreadsheets and lose track of leads' });
    expect(await next()).toMatchObject({ type: 'ai_response', conversation_state: 'discovery' });
    send({ type: 'shout' });
    expect(await next()).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR' });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    send({ type: 'end', reason: 'completed' });
    expect(await next()).toMatchObject({ type: 'call_ended', status: 'completed', summary: { total_exchanges: 2 } });
    expect(await closed).toBe(1000);
    expect((await getCall(id)).transcript).toHaveLength(5);
  });

  it('checks the token on upgrade and hides another tenant’s call', async () => {
    const created = await stack.http.post(`${api}/voice/calls`, { token: t.token, body: { phone_number: '+15550006666' } });
    const url = `${stack.http.base.replace('http', 'ws')}${api}/voice/calls/${created.body.data.id}/realtime`;
    expect(await refusedUpgrade(url)).toBe(401);
    expect(await refusedUpgrade(`${url}?access_token=not-a-token`)).toBe(401);
    const other = await aTenant(stack.http);
    expect(await refusedUpgrade(`${url}?access_token=${other.token}`)).toBe(404);
    await stack.http.post(`${api}/voice/calls/${created.body.data.id}/end`, { token: t.token });
  });
});

describe('a worker killed mid-call', () => {
  it('carries on with the same transcript and never dials again', async () => {
    const created = await stack.http.post(`${api}/voice/calls`, { token: t.token, body: { phone_number: '+15550007777' } });
    const id = created.body.data.id as string;
    await stack.http.post(`${api}/voice/calls/${id}/start`, { token: t.token });
    const first = await stack.http.post(`${api}/voice/calls/${id}/respond`, { token: t.token, body: { text: 'Yes, I have a minute' } });
    expect(first.body.data.conversation_state).toBe('discovery');
    await stack.worker?.kill();
    const worker = await stack.startWorker();
    const second = await stack.http.post(`${api}/voice/calls/${id}/respond`, { token: t.token, body: { text: 'How much does it cost?' } });
    expect(second.body.data).toMatchObject({ conversation_state: 'qualification', analysis: { interest_signals: ['pricing_interest'] } });
    const ended = await stack.http.post(`${api}/voice/calls/${id}/end`, { token: t.token, body: { reason: 'completed' } });
    expect(ended.body.data).toMatchObject({ status: 'completed', summary: { total_exchanges: 2 } });
    const call = await getCall(id);
    expect(call.attempts).toEqual([expect.objectContaining({ n: 1, outcome: 'answered' })]);
    expect(call.transcript.map((x: { role: string; text: string }) => `${x.role}: ${x.text}`).filter((l: string) => l.startsWith('caller'))).toEqual(['caller: Yes, I have a minute', 'caller: How much does it cost?']);
    expect(worker.child.pid).toBeGreaterThan(0);
  }, 120_000);
});

describe('a turn retried after the API died between the Update and its answer', () => {
  it('answers with the turn already taken instead of taking it twice', async () => {
    const created = await stack.http.post(`${api}/voice/calls`, { token: t.token, body: { phone_number: '+15550006666' } });
    const id = created.body.data.id as string;
    await stack.http.post(`${api}/voice/calls/${id}/start`, { token: t.token });
    const { first, again } = await postAcrossADeadApi(stack, `${api}/voice/calls/${id}/respond`, t.token, { text: 'Yes, I have a minute' });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body.data).toEqual(first.body.data);
    const ended = await stack.http.post(`${api}/voice/calls/${id}/end`, { token: t.token, body: { reason: 'completed' } });
    expect(ended.body.data.summary.total_exchanges).toBe(1);
    const call = await getCall(id);
    expect(call.transcript.filter((x: { role: string }) => x.role === 'caller').map((x: { text: string }) => x.text)).toEqual(['Yes, I have a minute']);
  });
});

describe('calling window and consent', () => {
  it('waits for its window, and a call ended before it dials is cancelled without dialling', async () => {
    const res = await stack.http.post(`${api}/voice/calls`, { token: t.token, body: { phone_number: '+15550001111', call_window: { not_before: new Date(Date.now() + 3_600_000).toISOString() } } });
    const id = res.body.data.id as string;
    await stack.http.post(`${api}/voice/calls/${id}/start`, { token: t.token });
    const progress = await eventually(async () => {
      const p = (await stack.http.get(`${api}/runs/call-${id}`, { token: t.token })).body.data.progress;
      return p?.dial_at ? p : undefined;
    }, { what: 'the planned dial' });
    expect(Date.parse(progress.dial_at)).toBeGreaterThan(Date.now() + 3_500_000);
    expect(progress.status).toBe('scheduled');
    const ended = await stack.http.post(`${api}/voice/calls/${id}/end`, { token: t.token, body: { reason: 'no longer needed' } });
    expect(ended.body.data).toMatchObject({ status: 'cancelled', summary: { total_exchanges: 0 } });
    await eventually(async () => ((await stack.http.get(`${api}/runs/call-${id}`, { token: t.token })).body.data.status === 'completed' ? true : undefined), { what: 'the run to close' });
    captureHistory(`call-${id}`, 'call-cancelled');
    expect((await getCall(id)).attempts).toEqual([]);
  });

  it('marks a person who asks not to be called, and never dials them again', async () => {
    const lead = await aLead(t, 'Dana Nope', 'dana@example.com');
    const first = await stack.http.post(`${api}/voice/calls`, { token: t.token, body: { lead_id: lead.id, phone_number: '+15550002222' } });
    await stack.http.post(`${api}/voice/calls/${first.body.data.id}/start`, { token: t.token });
    const answer = await stack.http.post(`${api}/voice/calls/${first.body.data.id}/respond`, { token: t.token, body: { text: 'Please stop calling me and remove my number' } });
    expect(answer.body.data).toMatchObject({ should_continue: false, analysis: { intent: 'do_not_call' } });
    await eventually(async () => ((await getCall(first.body.data.id)).status === 'completed' ? true : undefined), { what: 'the call to close' });
    expect((await getCall(first.body.data.id)).summary.recommendation).toMatch(/^Do not call/);
    const contact = await stack.http.get(`${api}/contacts/${lead.contactId}`, { token: t.token });
    expect(contact.body.data.do_not_call).toBe(true);

    const again = await stack.http.post(`${api}/voice/calls`, { token: t.token, body: { lead_id: lead.id, phone_number: '+15550002222' } });
    await stack.http.post(`${api}/voice/calls/${again.body.data.id}/start`, { token: t.token });
    const refused = await eventually(async () => {
      const c = await getCall(again.body.data.id);
      return c.status === 'declined' ? c : undefined;
    }, { what: 'the refusal' });
    expect(refused).toMatchObject({ attempts: [], end_reason: 'do_not_call' });
  });
});

describe('a request retried after the API died between its commit and its answer', () => {
  it('makes one call, and answers with it', async () => {
    const { first, again } = await postAcrossADeadApi(stack, `${api}/voice/calls`, t.token, { phone_number: '+15550008888', purpose: 'Once' });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body.data).toMatchObject({ id: first.body.data.id, run: { workflow_id: `call-${first.body.data.id}` } });
    const calls = (await stack.http.get(`${api}/voice/calls?per_page=100`, { token: t.token })).body.data.filter((c: { phone_number: string }) => c.phone_number === '+15550008888');
    expect(calls).toHaveLength(1);
  });
});

describe('the API around calls', () => {
  it('refuses bad input in the error envelope and answers audio without a speech API clearly', async () => {
    const bad = await stack.http.post(`${api}/voice/calls`, { token: t.token, body: { phone_number: 'call me', max_attempts: 0 } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['body.max_attempts', 'body.phone_number']);
    const call = await stack.http.post(`${api}/voice/calls`, { token: t.token, body: { phone_number: '+15550003333' } });
    expect((await stack.http.post(`${api}/voice/calls/${call.body.data.id}/respond`, { token: t.token, body: { text: 'Hello' } })).status).toBe(409);
    const audio = await stack.http.post(`${api}/voice/calls/${call.body.data.id}/respond`, { token: t.token, body: { audio_data: 'UklGRg==' } });
    expect(audio.status).toBe(422);
    expect(audio.body.error.details.fields[0].message).toMatch(/speech API/);
    await stack.http.post(`${api}/voice/calls/${call.body.data.id}/end`, { token: t.token });
  });

  it('lists a tenant’s own calls with filters, and gives another tenant a 404 on every route', async () => {
    const listed = await stack.http.get(`${api}/voice/calls?status=completed`, { token: t.token });
    expect(listed.body.data.length).toBeGreaterThanOrEqual(2);
    expect(listed.body.data.every((c: { status: string }) => c.status === 'completed')).toBe(true);
    const id = listed.body.data[0].id as string;
    const other = await aTenant(stack.http);
    for (const [method, path] of [
      ['get', `/voice/calls/${id}`],
      ['post', `/voice/calls/${id}/start`],
      ['post', `/voice/calls/${id}/respond`],
      ['post', `/voice/calls/${id}/end`],
    ] as const) {
      const res = await stack.http[method](`${api}${path}`, { token: other.token, ...(path.endsWith('respond') ? { body: { text: 'hi' } } : {}) });
      expect([path, res.status]).toEqual([path, 404]);
    }
    expect((await stack.http.get(`${api}/voice/calls`, { token: other.token })).body.data).toEqual([]);
    const foreign = await stack.http.post(`${api}/voice/calls`, { token: other.token, body: { lead_id: (await aLead(t, 'Not Theirs', 'x@example.com')).id, phone_number: '+15550004444' } });
    expect(foreign.status).toBe(404);
  });
});
