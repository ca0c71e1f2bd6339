import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestStack } from '../support/app.ts';
import { startTwilioStack } from '../support/twilioStack.ts';
import { aContact, aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { accountSid, type FakeTwilio } from '../fakes/twilioServer.ts';
import { formBody, inboundSms, twilioSignature } from '../fakes/twilio.ts';
import { captureHistory } from '../support/histories.ts';
import { postAcrossADeadApi } from '../support/idempotency.ts';
import { MessageSchema } from '../../entities/Message.ts';
import { tenantEm } from '../../lib/db.ts';
import { EventSchema } from '../../entities/Event.ts';
import { ContactSchema } from '../../entities/Contact.ts';

const PLATFORM_SID = accountSid('platform');
const PLATFORM_TOKEN = 'platform-auth-token-0123456789abcdef';
const OUR_NUMBER = '+15005550006';
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
    env: { SMS_RETRY_SCHEDULE: '1s,1s', SMS_DELIVERY_WAIT: '20s' },
  }));
  t = await aTenant(stack.http);
});
afterAll(() => close());

const outboxEntry = (token: string, id: string) => stack.http.get(`/api/v1/sms/outbox/${id}`, { token });
const settled = (id: string, statuses: string[], token = t.token) =>
  eventually(async () => {
    const m = (await outboxEntry(token, id)).body.data;
    return statuses.includes(m.status) ? m : undefined;
  }, { what: `message ${id} to reach ${statuses.join('/')}` });

describe('POST /sms/send through the real twilio client', () => {
  it("answers at once in seed 002's shape, sends once, and records Twilio's delivery verdict", async () => {
    const res = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: '+1 415 555 0101', message: 'Your appointment is confirmed for tomorrow at 3pm' } });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ success: true, to: '+14155550101', status: 'queued', channel: 'sms' });
    expect(res.body.data.run.workflow_id).toBe(`sms-${res.body.data.sid}`);
    const delivered = await settled(res.body.data.sid, ['delivered']).catch((err) => {
      throw new Error(`${err.message}; callbacks: ${JSON.stringify(twilio.callbacks)}`);
    });
    expect(delivered).toMatchObject({ provider: 'twilio', from: OUR_NUMBER, attempts: 1, cause: { type: 'api', user_id: t.userId } });
    expect(delivered.provider_sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(twilio.sentTo('+14155550101')).toHaveLength(1);
    const types = (await tenantEm(stack.orm, t.tenantId).find(EventSchema, { entityId: res.body.data.sid })).map((e) => e.type).sort();
    expect(types).toEqual(['sms.delivered', 'sms.sent']);
    captureHistory(`sms-${res.body.data.sid}`, 'sms-delivered');
    const outbox = (await stack.http.get('/api/v1/sms/outbox', { token: t.token })).body;
    expect(outbox.data[0]).toMatchObject({ id: res.body.data.sid, to: '+14155550101', body: 'Your appointment is confirmed for tomorrow at 3pm' });
  });

  it('never sends twice when the response to the send was lost: it asks Twilio what it sent', async () => {
    twilio.dropNext(1);
    const res = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: '+14155550102', message: 'lost answer' } });
    const m = await settled(res.body.data.sid, ['sent', 'delivered']);
    expect(twilio.sentTo('+14155550102')).toHaveLength(1);
    expect(m.provider_sid).toBe(twilio.sentTo('+14155550102')[0].sid);
  });

  it('texts once when a request is retried after the API died between its commit and its answer', async () => {
    const { first, again } = await postAcrossADeadApi(stack, '/api/v1/sms/send', t.token, { to_number: '+14155550150', message: 'once, whatever the API went through' });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body.data).toMatchObject({ success: true, sid: first.body.data.sid, to: '+14155550150', run: { workflow_id: `sms-${first.body.data.sid}` } });
    await settled(first.body.data.sid, ['delivered']);
    const outbox = (await stack.http.get('/api/v1/sms/outbox?per_page=100', { token: t.token })).body.data;
    expect(outbox.filter((m: { to: string }) => m.to === '+14155550150')).toHaveLength(1);
    expect(twilio.sentTo('+14155550150')).toHaveLength(1);
  });

  it("does not take an earlier text with the same words for its own when it retries after an outage", async () => {
    const send = () => stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: '+14155550130', message: 'Your table is ready' } });
    const first = await settled((await send()).body.data.sid, ['delivered']);
    // The second's first try never reaches Twilio; its retry asks what was sent meanwhile and
    // finds the first text, which is the other row's.
    twilio.failNext(1);
    const second = await settled((await send()).body.data.sid, ['delivered']);
    const sent = twilio.sentTo('+14155550130');
    expect(sent).toHaveLength(2);
    expect([first.provider_sid, second.provider_sid]).toEqual([sent[0].sid, sent[1].sid]);
  });

  it("does not take another tenant's text with the same words from the same platform number for its own", async () => {
    const other = await aTenant(stack.http);
    const send = (token: string) => stack.http.post('/api/v1/sms/send', { token, body: { to_number: '+14155550131', message: 'Your order has shipped' } });
    const first = await settled((await send(other.token)).body.data.sid, ['delivered'], other.token);
    twilio.failNext(1);
    const second = await settled((await send(t.token)).body.data.sid, ['delivered']);
    const sent = twilio.sentTo('+14155550131');
    expect(sent).toHaveLength(2);
    expect([first.provider_sid, second.provider_sid]).toEqual([sent[0].sid, sent[1].sid]);
  });

  it("keeps listening for Twilio's verdict when the send's answer was lost and the verdict came first: a transient undelivery is sent again", async () => {
    twilio.setPlan((m, nth) => (m.to === '+14155550132' && nth === 1 ? { status: 'undelivered', errorCode: '30003' } : { status: 'delivered' }));
    // Twilio takes the text, the answer is lost, and its callbacks (sent, then undelivered)
    // land before the retry, which finds the attempt recorded and its verdict on the row.
    twilio.dropNext(1);
    const res = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: '+14155550132', message: 'see you at 3' } });
    const m = await settled(res.body.data.sid, ['delivered']);
    const sent = twilio.sentTo('+14155550132');
    expect(sent).toHaveLength(2);
    expect(m).toMatchObject({ attempts: 2, provider_sid: sent[1].sid });
    twilio.setPlan(() => ({ status: 'delivered' }));
  });

  it('retries an outage, and sends again after a transient undelivery but not after a permanent one', async () => {
    twilio.failNext(2);
    twilio.setPlan((m, nth) => (m.to === '+14155550103' && nth === 1 ? { status: 'undelivered', errorCode: '30003' } : m.to === '+14155550104' ? { status: 'undelivered', errorCode: '30006' } : { status: 'delivered' }));
    const transient = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: '+14155550103', message: 'try again' } });
    const permanent = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: '+14155550104', message: 'landline' } });
    const again = await settled(transient.body.data.sid, ['delivered']);
    expect(again.attempts).toBe(2);
    expect(twilio.sentTo('+14155550103')).toHaveLength(2);
    await eventually(async () => ((await stack.temporal.workflow.getHandle(`sms-${transient.body.data.sid}`).describe()).status.name === 'COMPLETED' ? true : undefined), { what: 'the send run to finish' });
    captureHistory(`sms-${transient.body.data.sid}`, 'sms-transient-retry');
    const dead = await settled(permanent.body.data.sid, ['undelivered']);
    expect(dead).toMatchObject({ error_code: '30006', attempts: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    expect(twilio.sentTo('+14155550104')).toHaveLength(1);
    twilio.setPlan(() => ({ status: 'delivered' }));
  });

  it('never sends an attempt twice either: a re-send whose answer was lost asks Twilio too', async () => {
    twilio.setPlan((m, nth) => (m.to === '+14155550120' && nth === 1 ? { status: 'undelivered', errorCode: '30003' } : { status: 'delivered' }));
    const res = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: '+14155550120', message: 'second try' } });
    await eventually(async () => (twilio.sentTo('+14155550120').length === 1 ? true : undefined), { what: 'the first attempt to reach Twilio' });
    // The next message Twilio takes is the re-send; its answer is lost. Its retry kept the first
    // attempt's SID and so skipped asking Twilio, and texted a third time.
    twilio.dropNext(1);
    const m = await settled(res.body.data.sid, ['delivered']);
    const sent = twilio.sentTo('+14155550120');
    expect(sent).toHaveLength(2);
    expect(m).toMatchObject({ attempts: 2, provider_sid: sent[1].sid });
    twilio.setPlan(() => ({ status: 'delivered' }));
  });

  it("sends a reminder's text again after a transient undelivery, and marks the reminder failed on a final one", async () => {
    twilio.setPlan((m, nth) => (m.to === '+14155550121' && nth === 1 ? { status: 'undelivered', errorCode: '30003' } : m.to === '+14155550122' ? { status: 'undelivered', errorCode: '30006' } : { status: 'delivered' }));
    const soon = new Date(Date.now() + 1500).toISOString();
    const remind = (to: string) => stack.http.post('/api/v1/reminders', { token: t.token, body: { to, message: `reminder for ${to}`, send_at: soon, urgent: true } });
    const [transient, permanent] = [(await remind('+14155550121')).body.data, (await remind('+14155550122')).body.data];
    // Twilio's verdicts on a reminder's text used to be recorded and nothing more.
    await eventually(async () => (twilio.sentTo('+14155550121').length === 2 ? true : undefined), { what: 'the reminder text to be sent again' });
    const outbox = (await stack.http.get('/api/v1/sms/outbox?per_page=100', { token: t.token })).body.data;
    const again = await settled(outbox.find((m: { to: string }) => m.to === '+14155550121').id, ['delivered']);
    expect(again).toMatchObject({ attempts: 2, provider_sid: twilio.sentTo('+14155550121')[1].sid, cause: { type: 'reminder', reminder_id: transient.id } });
    expect((await stack.http.get(`/api/v1/reminders/${transient.id}`, { token: t.token })).body.data).toMatchObject({ status: 'sent', sent_count: 1, last_error: null });
    await eventually(async () => ((await stack.temporal.workflow.getHandle(`sms-${again.id}`).describe()).status.name === 'COMPLETED' ? true : undefined), { what: 'the re-send run to finish' });
    captureHistory(`sms-${again.id}`, 'sms-reminder-resend');

    const failed = await eventually(async () => {
      const r = (await stack.http.get(`/api/v1/reminders/${permanent.id}`, { token: t.token })).body.data;
      return r.status === 'failed' ? r : undefined;
    }, { what: 'the reminder to say its text failed' });
    expect(failed.last_error).toBe(`occurrence ${soon}: undelivered (30006)`);
    expect(twilio.sentTo('+14155550122')).toHaveLength(1);
    const events = await tenantEm(stack.orm, t.tenantId).find(EventSchema, { entityId: permanent.id, type: 'reminder.failed' });
    expect(events.map((e) => e.payload)).toEqual([expect.objectContaining({ reminder_id: permanent.id, status: 'failed', error: 'undelivered (30006)' })]);
    twilio.setPlan(() => ({ status: 'delivered' }));
  });

  it("records Twilio's refusal (21610 unsubscribed, 21211 invalid) as final, with the reason", async () => {
    twilio.markUnsubscribed('+14155550105');
    const res = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: '+14155550105', message: 'hello' } });
    const failed = await settled(res.body.data.sid, ['failed']);
    expect(failed.error_code).toBe('21610');
    expect(failed.error_message).toMatch(/unsubscribed/);
    const event = await eventually(async () => (await tenantEm(stack.orm, t.tenantId).findOne(EventSchema, { entityId: res.body.data.sid, type: 'sms.failed' })) ?? undefined, { what: 'sms.failed' });
    expect(event.payload).toMatchObject({ error_code: '21610', status: 'failed' });
  });

  it('refuses an opted-out number up front, with the reason', async () => {
    const contact = await aContact(stack.http, t.token, { phone: '+14155550106' });
    await tenantEm(stack.orm, t.tenantId).nativeUpdate(ContactSchema, { id: contact.id }, { smsOptOut: true });
    const refused = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: '+14155550106', message: 'hi' } });
    expect(refused.status).toBe(422);
    expect(refused.body.error.details.fields).toEqual([expect.objectContaining({ field: 'body.to_number', code: 'opted_out' })]);
    expect(twilio.sentTo('+14155550106')).toHaveLength(0);
  });

  it('sends WhatsApp through the same API, to whatsapp: addresses', async () => {
    const res = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: '+14155550107', message: 'hola', channel: 'whatsapp' } });
    await settled(res.body.data.sid, ['sent', 'delivered']);
    expect(twilio.sentTo('whatsapp:+14155550107')).toEqual([expect.objectContaining({ from: `whatsapp:${OUR_NUMBER}`, body: 'hola' })]);
    // Twilio's own spelling of the address says the channel too.
    const spelled = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: 'whatsapp:+1 415 555 0108', message: 'hola otra vez' } });
    expect(spelled.status).toBe(201);
    expect(spelled.body.data).toMatchObject({ to: '+14155550108', channel: 'whatsapp' });
    await settled(spelled.body.data.sid, ['sent', 'delivered']);
    expect(twilio.sentTo('whatsapp:+14155550108')).toHaveLength(1);
    const mixed = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: 'whatsapp:+14155550108', message: 'x', channel: 'sms' } });
    expect({ status: mixed.status, field: mixed.body.error?.details?.fields?.[0]?.field }).toEqual({ status: 422, field: 'body.channel' });
  });

  it('refuses a number Twilio would refuse (not in international format) with a 422, sending nothing', async () => {
    for (const to_number of ['0151 2345678', '5550123', 'whatsapp:', 'sms:+14155550109']) {
      const res = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number, message: 'hello' } });
      expect({ to_number, status: res.status, field: res.body.error?.details?.fields?.[0]?.field }).toEqual({ to_number, status: 422, field: 'body.to_number' });
    }
    expect(twilio.messages.filter((m) => m.body === 'hello')).toHaveLength(0);
  });

  it('refuses a forged status callback, and one from another account', async () => {
    const res = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: '+14155550108', message: 'status' } });
    const m = await settled(res.body.data.sid, ['delivered']);
    const url = `${stack.http.base}/api/v1/sms/status`;
    const params = { MessageSid: m.provider_sid, MessageStatus: 'failed', AccountSid: PLATFORM_SID, ErrorCode: '30005' };
    const post = (p: Record<string, string>, signature: string) =>
      stack.http.post('/api/v1/sms/status', { raw: formBody(p), headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature } });
    expect((await post(params, twilioSignature('not-the-token', url, params))).status).toBe(403);
    const other = accountSid('other');
    const tenantB = await aTenant(stack.http);
    twilio.addAccount(other, { authToken: 'other-account-token-0123456789ab', numbers: [] });
    expect((await stack.http.put('/api/v1/tenant/twilio', { token: tenantB.token, body: { account_sid: other, auth_token: 'other-account-token-0123456789ab' } })).status).toBe(200);
    // Nor can a tenant claim the platform's own account, whose webhooks would then be checked with its token.
    const claim = await stack.http.put('/api/v1/tenant/twilio', { token: tenantB.token, body: { account_sid: PLATFORM_SID, auth_token: 'squatters-own-token-0123456789ab' } });
    expect(claim.status).toBe(409);
    expect(claim.body.error.details).toMatchObject({ field: 'account_sid' });
    const fromOther = { ...params, AccountSid: other };
    const answer = await post(fromOther, twilioSignature('other-account-token-0123456789ab', url, fromOther));
    expect(answer.status).toBe(403);
    expect((await outboxEntry(t.token, m.id)).body.data.status).toBe('delivered');
  });

  it("keeps another tenant's messages out of reach", async () => {
    const other = await aTenant(stack.http);
    const res = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: '+14155550109', message: 'mine' } });
    expect((await outboxEntry(other.token, res.body.data.sid)).status).toBe(404);
    const list = (await stack.http.get('/api/v1/sms/outbox', { token: other.token })).body;
    expect(list.data).toEqual([]);
  });
});

describe("a tenant's own Twilio account", () => {
  const OWN_SID = accountSid('own-account');
  const OWN_TOKEN = 'own-account-auth-token-0123456789';
  const OWNED = '+15005550201';

  it('is stored encrypted and never returned; only numbers the account owns can be claimed', async () => {
    twilio.addAccount(OWN_SID, { authToken: OWN_TOKEN, numbers: [OWNED] });
    const b = await aTenant(stack.http);
    const connected = await stack.http.put('/api/v1/tenant/twilio', { token: b.token, body: { account_sid: OWN_SID, auth_token: OWN_TOKEN } });
    expect(connected.status).toBe(200);
    expect(connected.body.data.twilio).toEqual({ account_sid: OWN_SID, connected: true });
    expect(JSON.stringify(connected.body)).not.toContain(OWN_TOKEN);
    const raw = await stack.orm.em.getConnection().execute('select twilio_auth_token_sealed from tenant where id = ?', [b.tenantId]);
    expect(raw[0].twilio_auth_token_sealed).not.toContain(OWN_TOKEN);

    // A number the account does not have is somebody else's: refused.
    const squat = await stack.http.patch('/api/v1/tenant', { token: b.token, body: { phone_numbers: ['+15005550299'] } });
    expect(squat.status).toBe(422);
    expect(squat.body.error.details.fields[0]).toMatchObject({ code: 'not_owned' });
    const claimed = await stack.http.patch('/api/v1/tenant', { token: b.token, body: { phone_numbers: [OWNED] } });
    expect(claimed.status).toBe(200);
    expect(claimed.body.data.phone_numbers).toEqual([OWNED]);
    const runs = await stack.temporal.workflow.list({ query: `WorkflowType = 'checkPhoneNumbersWorkflow' AND TenantId = '${b.tenantId}'` });
    for await (const run of runs) {
      captureHistory(run.workflowId, 'phone-numbers');
      break;
    }

    // Texts go out through the tenant's own account, from its own number.
    const sent = await stack.http.post('/api/v1/sms/send', { token: b.token, body: { to_number: '+14155550301', message: 'from our own account' } });
    await eventually(async () => ((await outboxEntry(b.token, sent.body.data.sid)).body.data.status === 'delivered' ? true : undefined), { what: 'delivery' });
    expect(twilio.sentTo('+14155550301')).toEqual([expect.objectContaining({ accountSid: OWN_SID, from: OWNED })]);

    // Inbound texts to the number are accepted when signed by that account only.
    const url = `${stack.http.base}/api/v1/sms/webhook`;
    const inbound = inboundSms({ From: '+14155550302', To: OWNED, Body: 'hello', AccountSid: OWN_SID });
    const post = (p: Record<string, string>, token: string) =>
      stack.http.post('/api/v1/sms/webhook', { raw: formBody(p), headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilioSignature(token, url, p) } });
    const viaPlatform = { ...inbound, AccountSid: PLATFORM_SID };
    expect((await post(viaPlatform, PLATFORM_TOKEN)).status).toBe(403);
    expect((await post(inbound, OWN_TOKEN)).status).toBe(200);
    expect(await tenantEm(stack.orm, b.tenantId).count(MessageSchema, { externalId: inbound.MessageSid })).toBe(1);
  });

  it('still takes status callbacks from the account it switched away from, for the texts that account sent', async () => {
    const [firstSid, firstToken, firstNumber] = [accountSid('first-account'), 'first-account-token-0123456789ab', '+15005550211'];
    const [nextSid, nextToken] = [accountSid('next-account'), 'next-account-token-0123456789abc'];
    twilio.addAccount(firstSid, { authToken: firstToken, numbers: [firstNumber] });
    twilio.addAccount(nextSid, { authToken: nextToken, numbers: [] });
    const c = await aTenant(stack.http);
    expect((await stack.http.put('/api/v1/tenant/twilio', { token: c.token, body: { account_sid: firstSid, auth_token: firstToken } })).status).toBe(200);
    expect((await stack.http.patch('/api/v1/tenant', { token: c.token, body: { phone_numbers: [firstNumber] } })).status).toBe(200);
    const sent = await stack.http.post('/api/v1/sms/send', { token: c.token, body: { to_number: '+14155550311', message: 'sent before the switch' } });
    const m = await eventually(async () => {
      const row = (await outboxEntry(c.token, sent.body.data.sid)).body.data;
      return row.provider_sid ? row : undefined;
    }, { what: 'the text to reach Twilio' });
    expect((await stack.http.put('/api/v1/tenant/twilio', { token: c.token, body: { account_sid: nextSid, auth_token: nextToken } })).status).toBe(200);
    // Until a number of the new account is claimed there is nothing to send from: not the
    // platform's number, which the new account cannot send from (Twilio refuses it, 21606).
    const meanwhile = await stack.http.post('/api/v1/sms/send', { token: c.token, body: { to_number: '+14155550312', message: 'sent between accounts' } });
    expect(await settled(meanwhile.body.data.sid, ['blocked', 'failed'], c.token)).toMatchObject({ status: 'blocked', error_code: 'no_sender' });
    expect(twilio.sentTo('+14155550312')).toEqual([]);

    // Twilio reports on it later, signed as the account that sent it.
    const url = `${stack.http.base}/api/v1/sms/status?id=${m.id}`;
    const report = { MessageSid: m.provider_sid, MessageStatus: 'delivered', AccountSid: firstSid };
    const post = (p: Record<string, string>, signature: string) =>
      stack.http.post(`/api/v1/sms/status?id=${m.id}`, { raw: formBody(p), headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature } });
    expect((await post(report, twilioSignature(firstToken, url, report))).status).toBe(204);
    // The new account did not send it, and the old one's token is no key to anything else.
    const fromNext = { ...report, AccountSid: nextSid };
    expect((await post(fromNext, twilioSignature(nextToken, url, fromNext))).status).toBe(403);
    expect(JSON.stringify((await stack.http.get('/api/v1/tenant', { token: c.token })).body)).not.toMatch(/first-account-token|next-account-token/);
  });

  it("refuses an account SID whose token Twilio does not accept, so nobody can squat another business's account", async () => {
    const victimSid = accountSid('victim-account');
    twilio.addAccount(victimSid, { authToken: 'victim-auth-token-0123456789abcd', numbers: [] });
    const squatter = await aTenant(stack.http);
    const squat = await stack.http.put('/api/v1/tenant/twilio', { token: squatter.token, body: { account_sid: victimSid, auth_token: 'guessed-token-0123456789abcdef0' } });
    expect(squat.status).toBe(422);
    expect(squat.body.error.details.fields[0]).toMatchObject({ field: 'body.auth_token', code: 'refused' });
    expect((await stack.http.get('/api/v1/tenant', { token: squatter.token })).body.data.twilio).toBeNull();
    // Its owner connects it as ever.
    const owner = await aTenant(stack.http);
    expect((await stack.http.put('/api/v1/tenant/twilio', { token: owner.token, body: { account_sid: victimSid, auth_token: 'victim-auth-token-0123456789abcd' } })).status).toBe(200);

    const closedSid = accountSid('closed-account');
    twilio.addAccount(closedSid, { authToken: 'closed-auth-token-0123456789abcd', numbers: [], status: 'suspended' });
    const closed = await stack.http.put('/api/v1/tenant/twilio', { token: squatter.token, body: { account_sid: closedSid, auth_token: 'closed-auth-token-0123456789abcd' } });
    expect(closed.status).toBe(422);
    expect(closed.body.error.details.fields[0]).toMatchObject({ field: 'body.account_sid', code: 'inactive', message: 'Twilio says this account is suspended' });
    expect(JSON.stringify([squat.body, closed.body])).not.toMatch(/victim-auth-token|closed-auth-token/);
  });

  it("leaves the platform account's numbers to a platform operator", async () => {
    const c = await aTenant(stack.http);
    const res = await stack.http.patch('/api/v1/tenant', { token: c.token, body: { phone_numbers: ['+15005550401'] } });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/assign-number/);
  });
});

describe('POST /email/send', () => {
  it('records the email in the local sink when SMTP is not configured', async () => {
    const res = await stack.http.post('/api/v1/email/send', { token: t.token, body: { to: 'Jane@Example.com', subject: 'Hi', message: 'See you' } });
    expect(res.status).toBe(201);
    const m = await settled(res.body.data.sid, ['sent']);
    expect(m).toMatchObject({ channel: 'email', to: 'jane@example.com', provider: 'local', subject: 'Hi' });
  });
});
