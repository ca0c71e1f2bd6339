import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestStack } from '../support/app.ts';
import { startTwilioStack } from '../support/twilioStack.ts';
import { aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { captureHistory } from '../support/histories.ts';
import { accountSid, type FakeCall, type FakeTwilio } from '../fakes/twilioServer.ts';
import { formBody, twilioSignature } from '../fakes/twilio.ts';
import { tenantEm } from '../../lib/db.ts';
import { EventSchema } from '../../entities/Event.ts';

/**
 * Outbound AI calls placed on Twilio through the real `twilio` client, against the fake
 * Twilio: the fake rings, answers (a person or a machine, per the test's plan), fetches the
 * answer webhook's TwiML, speaks into the speech <Gather>, hangs up, and posts signed status
 * callbacks, all to the API as Twilio would. Retries wait 1 s; a quiet line is checked after 2 s.
 */
const PLATFORM_SID = accountSid('voice-platform');
const PLATFORM_TOKEN = 'voice-platform-token-0123456789ab';
const OUR_NUMBER = '+15005550010';
const ALWAYS = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: '00:00', end: '24:00' }]]));
const api = '/api/v1';

let stack: TestStack;
let twilio: FakeTwilio;
let close: () => Promise<void>;
let t: TestTenant;

beforeAll(async () => {
  ({ stack, twilio, close } = await startTwilioStack({
    accountSid: PLATFORM_SID,
    authToken: PLATFORM_TOKEN,
    number: OUR_NUMBER,
    callbacks: true,
    env: { VOICE_RETRY_SCHEDULE: '1s', VOICE_LINE_CHECK: '2s', RATE_LIMIT_PER_MINUTE: '10000' },
  }));
  t = await aTenant(stack.http);
  expect((await stack.http.patch(`${api}/tenant`, { token: t.token, body: { working_hours: ALWAYS } })).status).toBe(200);
}, 120_000);
afterAll(() => close());

const getCall = async (id: string, tenant = t) => (await stack.http.get(`${api}/voice/calls/${id}`, { token: tenant.token })).body.data;

async function placeCall(body: Record<string, unknown>, tenant = t): Promise<string> {
  const created = await stack.http.post(`${api}/voice/calls`, { token: tenant.token, body });
  expect(created.status).toBe(201);
  const id = created.body.data.id as string;
  expect((await stack.http.post(`${api}/voice/calls/${id}/start`, { token: tenant.token })).status).toBe(200);
  return id;
}

/** The nth call Twilio placed to a number, once it is listening for the person (or in the state asked for). */
const ringing = (to: string, n = 1, ready: (c: FakeCall) => boolean = (c) => c.gatherUrl !== null) =>
  eventually(async () => {
    const c = twilio.callsTo(to)[n - 1];
    return c && ready(c) ? c : undefined;
  }, { what: `call ${n} to ${to}` });

const settled = (id: string, tenant = t) =>
  eventually(async () => {
    const call = await getCall(id, tenant);
    return call.ended_at ? call : undefined;
  }, { what: `call ${id} to end` });

/** The call's status as the API shows it: the run records "in progress" once the answer's opening is on its way, so it can trail the answer webhook by a step. */
const statusBecomes = (id: string, status: string) =>
  eventually(async () => {
    const call = await getCall(id);
    return call.status === status ? call : undefined;
  }, { what: `call ${id} to be ${status}` });

const runOf = async (id: string) => (await stack.http.get(`${api}/runs/call-${id}`, { token: t.token })).body.data;

describe('a call on Twilio, answered by a person', () => {
  it('dials once with answering-machine detection, speaks and listens through <Gather>, and ends when the agent says goodbye', async () => {
    const lead = await stack.http.post(`${api}/crm/leads`, { token: t.token, body: { title: 'Jane — seats', source: 'web', contact: { name: 'Jane Roe', email: 'jane@example.com', company: 'Globex' } } });
    const id = await placeCall({ lead_id: lead.body.data.id, phone_number: '+14155550201', purpose: 'Discovery call', voice_settings: { agent_name: 'Sarah', language: 'en-GB' } });
    const line = await ringing('+14155550201');
    expect(line).toMatchObject({ from: OUR_NUMBER, machineDetection: 'Enable', answeredBy: 'human', statusCallbackEvents: ['initiated', 'ringing', 'answered', 'completed'] });
    expect(line.said[0]).toMatch(/^Hi Jane, this is Sarah calling from .+\. I hope I'm catching you at a good time!$/);
    expect(line.url).toContain(`/api/v1/voice/twilio/answer?call=${id}&attempt=1`);

    expect((await statusBecomes(id, 'in_progress')).status).toBe('in_progress');
    const first = await twilio.speak(line.sid, 'Hi Sarah, yes I have a few minutes to chat');
    expect(first.join(' ')).toContain('Globex');
    const second = await twilio.speak(line.sid, 'How much does it cost? It sounds expensive');
    expect(second[0]).toMatch(/^I understand budget matters/);
    const last = await twilio.speak(line.sid, 'Not interested, thanks');
    expect(last).toEqual(['No problem at all, thank you for your time. Have a great day!']);
    // The goodbye ends with <Hangup/>: Twilio ends the call itself.
    expect(line.endedBy).toBe('twiml');

    const call = await settled(id);
    expect(call).toMatchObject({ status: 'completed', attempts: [expect.objectContaining({ n: 1, outcome: 'answered', provider_call_id: line.sid })] });
    expect(call.transcript.filter((x: { role: string }) => x.role === 'caller').map((x: { text: string }) => x.text)).toEqual([
      'Hi Sarah, yes I have a few minutes to chat',
      'How much does it cost? It sounds expensive',
      'Not interested, thanks',
    ]);
    expect(call.transcript[0].text).toBe(line.said[0]);
    expect(twilio.callsTo('+14155550201')).toHaveLength(1);
    const events = (await tenantEm(stack.orm, t.tenantId).find(EventSchema, { entityId: id })).map((e) => e.type).sort();
    expect(events).toEqual(['call.completed', 'call.ended', 'call.started']);
    // Every webhook Twilio sent was accepted.
    expect(line.webhooks.every((w) => w.status === 200)).toBe(true);
    expect(twilio.callbacks.filter((c) => c.params.CallSid === line.sid).every((c) => c.status === 204)).toBe(true);
    await eventually(async () => ((await runOf(id)).status === 'completed' ? true : undefined), { what: 'the run to close' });
    captureHistory(`call-${id}`, 'call-twilio-completed');
  }, 60_000);

  it('asks again when it hears nothing, and says goodbye after two silences', async () => {
    const id = await placeCall({ phone_number: '+14155550202' });
    const line = await ringing('+14155550202');
    expect(await twilio.silence(line.sid)).toEqual(['Sorry, I didn’t catch that. Could you say it again?']);
    expect(await twilio.silence(line.sid)).toEqual(['I’ll let you go for now. Goodbye!']);
    expect(line.endedBy).toBe('twiml');
    // The person never spoke: the line's completion ends the call.
    expect(await settled(id)).toMatchObject({ status: 'completed', end_reason: 'caller_hung_up' });
  }, 60_000);

  it('hangs up through Twilio when the call is ended from the API', async () => {
    const id = await placeCall({ phone_number: '+14155550203' });
    const line = await ringing('+14155550203');
    await twilio.speak(line.sid, 'Yes, go ahead');
    const ended = await stack.http.post(`${api}/voice/calls/${id}/end`, { token: t.token, body: { reason: 'agent_takeover' } });
    expect(ended.body.data).toMatchObject({ status: 'completed', summary: { total_exchanges: 1 } });
    expect(line).toMatchObject({ endedBy: 'api', status: 'completed' });
  }, 60_000);

  it('hangs up through Twilio when its run is cancelled', async () => {
    const id = await placeCall({ phone_number: '+14155550204' });
    const line = await ringing('+14155550204');
    expect((await stack.http.post(`${api}/runs/call-${id}/cancel`, { token: t.token })).status).toBe(202);
    await eventually(async () => (line.endedBy ? true : undefined), { what: 'the hang-up' });
    expect(line).toMatchObject({ endedBy: 'api', status: 'completed' });
    expect(await settled(id)).toMatchObject({ status: 'cancelled' });
    await eventually(async () => ((await runOf(id)).status === 'cancelled' ? true : undefined), { what: 'the run to end cancelled' });
  }, 60_000);

  it('cancels a call still ringing when it is ended', async () => {
    twilio.setCallPlan((c) => ({ answer: c.to === '+14155550205' ? 'never' : 'human' }));
    const id = await placeCall({ phone_number: '+14155550205' });
    const line = await ringing('+14155550205', 1, (c) => c.status === 'ringing');
    const ended = await stack.http.post(`${api}/voice/calls/${id}/end`, { token: t.token, body: { reason: 'changed my mind' } });
    expect(ended.body.data.status).toBe('cancelled');
    expect(line).toMatchObject({ endedBy: 'api', status: 'canceled' });
    expect((await getCall(id)).attempts).toEqual([expect.objectContaining({ outcome: 'cancelled', provider_call_id: line.sid })]);
  }, 60_000);
});

describe('outcomes over Twilio', () => {
  it('tries again after busy and talks on the second attempt', async () => {
    twilio.setCallPlan((c, nth) => ({ answer: c.to === '+14155550211' && nth === 1 ? 'busy' : 'human' }));
    const id = await placeCall({ phone_number: '+14155550211' });
    const second = await ringing('+14155550211', 2);
    expect(twilio.callsTo('+14155550211')[0].status).toBe('busy');
    await twilio.speak(second.sid, 'Yes I have a minute');
    await twilio.calleeHangsUp(second.sid);
    const call = await settled(id);
    expect(call.status).toBe('completed');
    expect(call.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['busy', 'answered']);
    expect(twilio.callsTo('+14155550211')).toHaveLength(2);
    captureHistory(`call-${id}`, 'call-twilio-busy-then-answered');
  }, 60_000);

  it('gives up after no answer has used the attempt budget', async () => {
    twilio.setCallPlan((c) => ({ answer: c.to === '+14155550212' ? 'no-answer' : 'human' }));
    const id = await placeCall({ phone_number: '+14155550212', max_attempts: 2 });
    const call = await settled(id);
    expect(call).toMatchObject({ status: 'no_answer', attempts: [expect.objectContaining({ outcome: 'no_answer' }), expect.objectContaining({ outcome: 'no_answer' })] });
    expect(twilio.callsTo('+14155550212')).toHaveLength(2);
    const events = (await tenantEm(stack.orm, t.tenantId).find(EventSchema, { entityId: id })).map((e) => e.type).sort();
    expect(events).toEqual(['call.ended', 'call.failed']);
  }, 60_000);

  it('leaves the voicemail message once on an answering machine, after the beep', async () => {
    twilio.setCallPlan((c) => ({ answer: c.to === '+14155550213' ? 'machine' : 'human' }));
    const message = 'Hi, this is Sarah from Acme returning your enquiry. Call us back at 555 0100.';
    const id = await placeCall({ phone_number: '+14155550213', max_attempts: 3, voice_settings: { voicemail_message: message } });
    const call = await settled(id);
    const lines = twilio.callsTo('+14155550213');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ machineDetection: 'DetectMessageEnd', answeredBy: 'machine_end_beep', said: [message], endedBy: 'twiml' });
    expect(call).toMatchObject({ status: 'voicemail', attempts: [expect.objectContaining({ outcome: 'voicemail' })] });
    captureHistory(`call-${id}`, 'call-twilio-voicemail');
  }, 60_000);

  it('hangs up on a machine when there is no message to leave, and tries again', async () => {
    twilio.setCallPlan((c) => ({ answer: c.to === '+14155550214' ? 'machine' : 'human' }));
    const id = await placeCall({ phone_number: '+14155550214', max_attempts: 2 });
    const call = await settled(id);
    const lines = twilio.callsTo('+14155550214');
    expect(lines.map((l) => [l.answeredBy, l.said.length, l.endedBy])).toEqual([
      ['machine_start', 0, 'twiml'],
      ['machine_start', 0, 'twiml'],
    ]);
    expect(call.status).toBe('voicemail');
  }, 60_000);

  it('records a number Twilio refuses as a failed call, saying why', async () => {
    twilio.markInvalid('+14155550215');
    const id = await placeCall({ phone_number: '+14155550215' });
    const call = await settled(id);
    expect(call.status).toBe('failed');
    expect(call.attempts[0]).toMatchObject({ outcome: 'failed', error: expect.stringContaining('21211') });
    expect(call.end_reason).toContain('21211');
    expect(twilio.callsTo('+14155550215')).toHaveLength(0);
  }, 60_000);
});

describe('lost callbacks', () => {
  it('never dials twice when the answer to the dial was lost: it asks Twilio what it placed', async () => {
    twilio.dropNext(1);
    const id = await placeCall({ phone_number: '+14155550220' });
    const line = await ringing('+14155550220');
    await twilio.speak(line.sid, 'Yes, go ahead');
    await twilio.calleeHangsUp(line.sid);
    const call = await settled(id);
    expect(call).toMatchObject({ status: 'completed', attempts: [expect.objectContaining({ n: 1, outcome: 'answered', provider_call_id: line.sid })] });
    expect(twilio.callsTo('+14155550220')).toHaveLength(1);
  }, 60_000);

  it('asks Twilio about a ringing call that has gone quiet', async () => {
    twilio.setCallPlan((c) => ({ answer: c.to === '+14155550221' ? 'no-answer' : 'human' }));
    twilio.dropCallStatus(true);
    try {
      const id = await placeCall({ phone_number: '+14155550221', max_attempts: 1 });
      const call = await settled(id);
      expect(call).toMatchObject({ status: 'no_answer', attempts: [expect.objectContaining({ outcome: 'no_answer' })] });
      expect(twilio.callbacks.filter((c) => c.params.To === '+14155550221').every((c) => c.status === -1)).toBe(true);
    } finally {
      twilio.dropCallStatus(false);
    }
  }, 60_000);

  it('notices a person who hung up when the completed callback never came', async () => {
    twilio.dropCallStatus(true);
    try {
      const id = await placeCall({ phone_number: '+14155550222' });
      const line = await ringing('+14155550222');
      await twilio.speak(line.sid, 'Yes, go ahead');
      await twilio.calleeHangsUp(line.sid);
      expect(await settled(id)).toMatchObject({ status: 'completed', end_reason: 'caller_hung_up' });
    } finally {
      twilio.dropCallStatus(false);
    }
  }, 60_000);
});

describe('a worker killed mid-call', () => {
  it('carries on with the same transcript on the same line, and never dials again', async () => {
    const id = await placeCall({ phone_number: '+14155550231' });
    const line = await ringing('+14155550231');
    await twilio.speak(line.sid, 'Yes, I have a minute');
    await stack.worker?.kill();
    await stack.startWorker();
    const reply = await twilio.speak(line.sid, 'How much does it cost?');
    expect(reply).toHaveLength(1);
    await twilio.calleeHangsUp(line.sid);
    const call = await settled(id);
    expect(call.transcript.filter((x: { role: string }) => x.role === 'caller').map((x: { text: string }) => x.text)).toEqual(['Yes, I have a minute', 'How much does it cost?']);
    expect(call.transcript.at(-1)).toMatchObject({ role: 'agent', text: reply[0], state: 'qualification' });
    expect(twilio.callsTo('+14155550231')).toHaveLength(1);
  }, 120_000);
});

describe("a tenant's own Twilio account", () => {
  it('places the call from its own number and account, and its webhooks are checked with its own token', async () => {
    const ownSid = accountSid('voice-own');
    const ownToken = 'voice-own-account-token-012345678';
    const ownNumber = '+15005550311';
    twilio.addAccount(ownSid, { authToken: ownToken, numbers: [ownNumber] });
    const b = await aTenant(stack.http);
    expect((await stack.http.patch(`${api}/tenant`, { token: b.token, body: { working_hours: ALWAYS } })).status).toBe(200);
    expect((await stack.http.put(`${api}/tenant/twilio`, { token: b.token, body: { account_sid: ownSid, auth_token: ownToken } })).status).toBe(200);
    expect((await stack.http.patch(`${api}/tenant`, { token: b.token, body: { phone_numbers: [ownNumber] } })).status).toBe(200);
    const id = await placeCall({ phone_number: '+14155550301' }, b);
    const line = await ringing('+14155550301');
    expect(line).toMatchObject({ accountSid: ownSid, from: ownNumber });
    await twilio.speak(line.sid, 'Yes, go ahead');
    // The platform's account may not speak for this tenant's call.
    const statusUrl = `${stack.http.base}${api}/voice/twilio/status?call=${id}&attempt=1`;
    const params = { CallSid: line.sid, AccountSid: PLATFORM_SID, CallStatus: 'completed', From: ownNumber, To: line.to };
    const res = await fetch(statusUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilioSignature(PLATFORM_TOKEN, statusUrl, params) }, body: formBody(params) });
    expect(res.status).toBe(403);
    await twilio.calleeHangsUp(line.sid);
    expect(await settled(id, b)).toMatchObject({ status: 'completed', end_reason: 'caller_hung_up' });
    // Another tenant cannot see it.
    expect((await stack.http.get(`${api}/voice/calls/${id}`, { token: t.token })).status).toBe(404);
  }, 60_000);
});

describe('a call under way when its tenant switches Twilio accounts', () => {
  it("goes on through the account that placed it: that account's webhooks are heard, and the hang-up goes through it", async () => {
    const oldSid = accountSid('voice-switch-old');
    const oldToken = 'voice-switch-old-token-0123456789';
    const newSid = accountSid('voice-switch-new');
    const newToken = 'voice-switch-new-token-0123456789';
    twilio.addAccount(oldSid, { authToken: oldToken, numbers: ['+15005550321'] });
    twilio.addAccount(newSid, { authToken: newToken, numbers: ['+15005550322'] });
    const b = await aTenant(stack.http);
    expect((await stack.http.patch(`${api}/tenant`, { token: b.token, body: { working_hours: ALWAYS } })).status).toBe(200);
    expect((await stack.http.put(`${api}/tenant/twilio`, { token: b.token, body: { account_sid: oldSid, auth_token: oldToken } })).status).toBe(200);
    expect((await stack.http.patch(`${api}/tenant`, { token: b.token, body: { phone_numbers: ['+15005550321'] } })).status).toBe(200);
    const id = await placeCall({ phone_number: '+14155550311' }, b);
    const line = await ringing('+14155550311');
    expect(line.accountSid).toBe(oldSid);
    expect((await stack.http.put(`${api}/tenant/twilio`, { token: b.token, body: { account_sid: newSid, auth_token: newToken } })).status).toBe(200);
    // The person talks on: the old account signs what it heard, and the agent answers.
    expect((await twilio.speak(line.sid, 'Hi, yes I have a minute')).length).toBeGreaterThan(0);
    expect(line.webhooks.every((w) => w.status === 200)).toBe(true);
    const ended = await stack.http.post(`${api}/voice/calls/${id}/end`, { token: b.token, body: { reason: 'agent_takeover' } });
    expect(ended.body.data).toMatchObject({ status: 'completed', summary: { total_exchanges: 1 } });
    // Hung up through the old account (the new one does not know the call).
    expect(line).toMatchObject({ endedBy: 'api', status: 'completed' });
    expect((await getCall(id, b)).attempts[0]).not.toHaveProperty('account_sid');
  }, 60_000);
});

describe("Twilio's voice webhooks are trusted only from the call's own account", () => {
  let id: string;
  let line: FakeCall;
  const statusUrl = () => `${stack.http.base}${api}/voice/twilio/status?call=${id}&attempt=1`;
  const completed = () => ({ CallSid: line.sid, AccountSid: PLATFORM_SID, CallStatus: 'completed', From: OUR_NUMBER, To: line.to });
  const post = (url: string, params: Record<string, string>, signature: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature }, body: formBody(params) });

  beforeAll(async () => {
    id = await placeCall({ phone_number: '+14155550241' });
    line = await ringing('+14155550241');
  });

  it('refuses a forged status callback, and the call goes on', async () => {
    const forged = await post(statusUrl(), completed(), twilioSignature('not-the-token', statusUrl(), completed()));
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    // Signed for another call's URL: the signature covers the query.
    const elsewhere = await post(statusUrl(), completed(), twilioSignature(PLATFORM_TOKEN, statusUrl().replace('attempt=1', 'attempt=2'), completed()));
    expect(elsewhere.status).toBe(403);
    expect((await twilio.speak(line.sid, 'Yes, go ahead')).length).toBeGreaterThan(0);
    expect((await statusBecomes(id, 'in_progress')).status).toBe('in_progress');
  });

  it("refuses another tenant's Twilio account, even signed with that account's token", async () => {
    const other = await aTenant(stack.http);
    const otherSid = accountSid('voice-other');
    const otherToken = 'voice-other-token-0123456789abcd';
    twilio.addAccount(otherSid, { authToken: otherToken, numbers: [] });
    expect((await stack.http.put(`${api}/tenant/twilio`, { token: other.token, body: { account_sid: otherSid, auth_token: otherToken } })).status).toBe(200);
    const params = { ...completed(), AccountSid: otherSid };
    const res = await post(statusUrl(), params, twilioSignature(otherToken, statusUrl(), params));
    expect(res.status).toBe(403);
    // The call is still the other tenant's to see: a 404 there.
    expect((await stack.http.get(`${api}/voice/calls/${id}`, { token: other.token })).status).toBe(404);
    expect((await statusBecomes(id, 'in_progress')).status).toBe('in_progress');
  });

  it('accepts the real one', async () => {
    await twilio.calleeHangsUp(line.sid);
    expect(await settled(id)).toMatchObject({ status: 'completed', end_reason: 'caller_hung_up' });
  }, 60_000);
});
