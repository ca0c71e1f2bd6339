import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { formBody, inboundSms, twilioSignature } from '../fakes/twilio.ts';
import { tenantEm } from '../../lib/db.ts';
import { ContactSchema } from '../../entities/Contact.ts';
import { MessageSchema } from '../../entities/Message.ts';
import { EventSchema } from '../../entities/Event.ts';
import { assignPlatformNumber } from '../../entities/platformNumbers.ts';

const AUTH_TOKEN = 'twilio-test-auth-token-0123456789';
const OUR_NUMBER = '+15005550006';
let stack: TestStack;
let t: TestTenant;

beforeAll(async () => {
  // No OpenAI key: the worker triages with the local rules, as the embedded default does.
  stack = await startStack({ env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN, RATE_LIMIT_AUTH_PER_MINUTE: '1000', RATE_LIMIT_PER_MINUTE: '1000' } });
  t = await aTenant(stack.http);
  // What a platform operator does (npm run assign-number): the platform's numbers are not a tenant's to claim.
  await assignPlatformNumber(stack.orm, t.tenantId, OUR_NUMBER);
});
afterAll(() => stack.close());

const webhookUrl = () => `${stack.http.base}/api/v1/sms/webhook`;

function deliver(params: Record<string, string>, signature = twilioSignature(AUTH_TOKEN, webhookUrl(), params)) {
  return stack.http.post('/api/v1/sms/webhook', {
    raw: formBody(params),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
  });
}

const messagesWithSid = (sid: string) => tenantEm(stack.orm, t.tenantId).count(MessageSchema, { externalId: sid });

describe('Twilio inbound SMS webhook', () => {
  it('accepts a message signed as Twilio signs it, answers empty TwiML, and triages it', async () => {
    const params = inboundSms({ From: '+14155550188', To: OUR_NUMBER, Body: 'Hi, how much does the premium plan cost? Interested in buying.' });
    const res = await deliver(params);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/xml/);
    expect(res.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    const message = await tenantEm(stack.orm, t.tenantId).findOneOrFail(MessageSchema, { externalId: params.MessageSid });
    expect(message).toMatchObject({ channel: 'sms', customerPhone: '+14155550188' });
    const triaged = await eventually(async () => {
      const m = (await stack.http.get(`/api/v1/inbox/messages/${message.id}`, { token: t.token })).body.data;
      return m.processed ? m : undefined;
    }, { what: 'triage of the SMS' });
    expect(triaged.classifier).toBe('local-rules');
    expect(triaged.category).toBe('sales_inquiry');
  });

  it('refuses a forged or unsigned request with 403 and stores nothing', async () => {
    const params = inboundSms({ From: '+14155550199', To: OUR_NUMBER, Body: 'forged' });
    const forged = await deliver(params, twilioSignature('not-the-token', webhookUrl(), params));
    expect(forged.status).toBe(403);
    expect(forged.body.error.code).toBe('FORBIDDEN');
    const tampered = await deliver({ ...params, Body: 'changed after signing' }, twilioSignature(AUTH_TOKEN, webhookUrl(), params));
    expect(tampered.status).toBe(403);
    const unsigned = await stack.http.post('/api/v1/sms/webhook', { raw: formBody(params), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(unsigned.status).toBe(403);
    expect(await messagesWithSid(params.MessageSid)).toBe(0);
  });

  it('stores a redelivered MessageSid once', async () => {
    const params = inboundSms({ From: '+14155550177', To: OUR_NUMBER, Body: 'Do you have availability next week?' });
    const results = await Promise.all([deliver(params), deliver(params), deliver(params)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await messagesWithSid(params.MessageSid)).toBe(1);
  });

  it('opts a contact out on STOP and back in on START', async () => {
    const from = '+14155550166';
    expect((await deliver(inboundSms({ From: from, To: OUR_NUMBER, Body: 'stop' }))).status).toBe(200);
    const contact = await tenantEm(stack.orm, t.tenantId).findOneOrFail(ContactSchema, { phone: from });
    expect(contact.smsOptOut).toBe(true);
    await deliver(inboundSms({ From: from, To: OUR_NUMBER, Body: 'START' }));
    expect((await tenantEm(stack.orm, t.tenantId).findOneOrFail(ContactSchema, { phone: from })).smsOptOut).toBe(false);
  });

  it('triages a "Yes" (a customer confirming) instead of taking it for a consent word', async () => {
    const params = inboundSms({ From: '+14155550165', To: OUR_NUMBER, Body: 'Yes' });
    expect((await deliver(params)).status).toBe(200);
    const message = await tenantEm(stack.orm, t.tenantId).findOneOrFail(MessageSchema, { externalId: params.MessageSid });
    const triaged = await eventually(async () => {
      const m = (await stack.http.get(`/api/v1/inbox/messages/${message.id}`, { token: t.token })).body.data;
      return m.processed ? m : undefined;
    }, { what: 'triage of the reply' });
    expect(triaged.classifier).toBe('local-rules');
  });

  it('applies STOP once with its message, however often Twilio redelivers it', async () => {
    const from = '+14155550144';
    const stop = inboundSms({ From: from, To: OUR_NUMBER, Body: 'STOP' });
    const answers = await Promise.all([deliver(stop), deliver(stop), deliver(stop)]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    const em = tenantEm(stack.orm, t.tenantId);
    const contact = await em.findOneOrFail(ContactSchema, { phone: from });
    expect(contact.smsOptOut).toBe(true);
    expect(await em.count(EventSchema, { type: 'contact.sms_opt_out', entityId: contact.id })).toBe(1);
    expect(await messagesWithSid(stop.MessageSid)).toBe(1);
  });

  it("keeps a number's STOP when its contact's phone changes or the contact is deleted, until the number texts START", async () => {
    const from = '+14155550146';
    const send = () => stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: from, message: 'Our spring offer' } });
    expect((await deliver(inboundSms({ From: from, To: OUR_NUMBER, Body: 'STOP' }))).status).toBe(200);
    const contact = await tenantEm(stack.orm, t.tenantId).findOneOrFail(ContactSchema, { phone: from });
    expect((await send()).status).toBe(422);
    // Staff give the contact a new number: the old one said STOP and must stay unreached.
    expect((await stack.http.patch(`/api/v1/contacts/${contact.id}`, { token: t.token, body: { phone: '+14155550147' } })).status).toBe(200);
    expect((await send()).body.error?.details?.fields?.[0]).toMatchObject({ field: 'body.to_number', code: 'opted_out' });
    expect((await stack.http.delete(`/api/v1/contacts/${contact.id}`, { token: t.token })).status).toBe(204);
    expect((await send()).status).toBe(422);
    // The number itself opts in again.
    expect((await deliver(inboundSms({ From: from, To: OUR_NUMBER, Body: 'START' }))).status).toBe(200);
    expect((await send()).status).toBe(201);
  });

  it("shows a number's STOP on every contact that holds it, whoever writes the contact, and START lifts it for all", async () => {
    const from = '+14155550148';
    const em = () => tenantEm(stack.orm, t.tenantId);
    const first = (await stack.http.post('/api/v1/contacts', { token: t.token, body: { name: 'Ann', phone: from } })).body.data;
    const other = (await stack.http.post('/api/v1/contacts', { token: t.token, body: { name: 'Ann at work', phone: '+14155550149' } })).body.data;
    expect((await deliver(inboundSms({ From: from, To: OUR_NUMBER, Body: 'STOP' }))).status).toBe(200);
    // A second contact given the number after it said STOP (through the API, and as triage or an import would).
    const moved = await stack.http.patch(`/api/v1/contacts/${other.id}`, { token: t.token, body: { phone: from } });
    expect(moved.body.data.sms_opt_out).toBe(true);
    const created = await stack.http.post('/api/v1/contacts', { token: t.token, body: { name: 'Ann again', phone: from } });
    expect(created.status).toBe(201);
    expect(created.body.data.sms_opt_out).toBe(true);
    // A CRM sync's or an import's own statement, which says false.
    const [synced] = await em().getConnection().execute<Array<{ id: string }>>(
      `insert into contact (id, created_at, updated_at, tenant_id, name, phone, tags, custom_fields, sms_opt_out) values (gen_random_uuid(), now(), now(), ?, 'Ann (CRM)', ?, '{}', '{}', false) returning id`,
      [t.tenantId, from],
    );
    const all = [first.id, other.id, created.body.data.id, synced.id];
    for (const id of all) {
      expect((await stack.http.get(`/api/v1/contacts/${id}`, { token: t.token })).body.data.sms_opt_out).toBe(true);
    }
    expect((await deliver(inboundSms({ From: from, To: OUR_NUMBER, Body: 'START' }))).status).toBe(200);
    for (const id of all) {
      expect((await stack.http.get(`/api/v1/contacts/${id}`, { token: t.token })).body.data.sms_opt_out).toBe(false);
    }
    const send = await stack.http.post('/api/v1/sms/send', { token: t.token, body: { to_number: from, message: 'Welcome back', contact_id: other.id } });
    expect(send.status).toBe(201);
  });

  it('stores STOP and applies it in one transaction: a delivery that fails half-way leaves nothing, and the redelivery applies it', async () => {
    const from = '+14155550122';
    const stop = inboundSms({ From: from, To: OUR_NUMBER, Body: 'unsubscribe' });
    const conn = stack.orm.em.getConnection();
    // The opt-out's event cannot be written: the process "dies" between message and consent.
    await conn.execute(`create or replace function refuse_opt_out() returns trigger as $$ begin if new.type = 'contact.sms_opt_out' then raise exception 'simulated crash'; end if; return new; end $$ language plpgsql`);
    await conn.execute('create trigger refuse_opt_out before insert on events for each row execute function refuse_opt_out()');
    try {
      expect((await deliver(stop)).status).toBe(500);
    } finally {
      await conn.execute('drop trigger refuse_opt_out on events');
    }
    expect(await messagesWithSid(stop.MessageSid)).toBe(0);
    expect((await deliver(stop)).status).toBe(200);
    expect((await tenantEm(stack.orm, t.tenantId).findOneOrFail(ContactSchema, { phone: from })).smsOptOut).toBe(true);
    expect(await messagesWithSid(stop.MessageSid)).toBe(1);
  });

  it('takes a WhatsApp message longer than a text can be (up to 4,096 characters)', async () => {
    const long = `Hello! ${'I would like to book a table for six people on Friday evening. '.repeat(50)}`.slice(0, 3_500);
    const params = inboundSms({ From: 'whatsapp:+14155550134', To: `whatsapp:${OUR_NUMBER}`, Body: long });
    expect((await deliver(params)).status).toBe(200);
    const message = await tenantEm(stack.orm, t.tenantId).findOneOrFail(MessageSchema, { externalId: params.MessageSid });
    expect(message).toMatchObject({ channel: 'whatsapp', content: long });
  });

  it('takes WhatsApp messages through the same webhook, into the inbox as channel whatsapp, and triages them', async () => {
    const params = inboundSms({ From: 'whatsapp:+14155550133', To: `whatsapp:${OUR_NUMBER}`, Body: 'Hola! Can I book a table for Friday?' });
    expect((await deliver(params)).status).toBe(200);
    const message = await tenantEm(stack.orm, t.tenantId).findOneOrFail(MessageSchema, { externalId: params.MessageSid });
    expect(message).toMatchObject({ channel: 'whatsapp', customerPhone: '+14155550133' });
    await eventually(async () => ((await stack.http.get(`/api/v1/inbox/messages/${message.id}`, { token: t.token })).body.data.processed ? true : undefined), { what: 'triage of the WhatsApp message' });
  });

  it("refuses a tenant claiming a number itself when the platform's Twilio token verifies webhooks (the number would receive that account's texts)", async () => {
    const squatter = await aTenant(stack.http);
    const res = await stack.http.patch('/api/v1/tenant', { token: squatter.token, body: { phone_numbers: ['+15005550016'] } });
    expect(res.status).toBe(403);
    expect((await stack.http.get('/api/v1/tenant', { token: squatter.token })).body.data.phone_numbers).toEqual([]);
  });

  it('answers 404 for a number no tenant owns', async () => {
    const res = await deliver(inboundSms({ From: '+14155550155', To: '+15559990000', Body: 'hello' }));
    expect(res.status).toBe(404);
  });
});
