import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aContact, aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { startFakeSmtp } from '../fakes/smtpServer.ts';

let stack: TestStack;
let smtp: Awaited<ReturnType<typeof startFakeSmtp>>;
let t: TestTenant;

beforeAll(async () => {
  smtp = await startFakeSmtp();
  // Seed 002's variable names.
  stack = await startStack({ env: { SMTP_SERVER: '127.0.0.1', SMTP_PORT: String(smtp.port), SMTP_USERNAME: 'office@acme.test', RATE_LIMIT_PER_MINUTE: '1000' } });
  t = await aTenant(stack.http);
});
afterAll(async () => {
  await stack.close();
  await smtp.close();
});

const settled = (id: string, statuses: string[]) =>
  eventually(async () => {
    const m = (await stack.http.get(`/api/v1/sms/outbox/${id}`, { token: t.token })).body.data;
    return statuses.includes(m.status) ? m : undefined;
  }, { what: `email ${id}` });

describe('email over SMTP (nodemailer)', () => {
  it('sends through the SMTP server once, from SMTP_USERNAME, with a stable Message-ID', async () => {
    const res = await stack.http.post('/api/v1/email/send', { token: t.token, body: { to: 'jane@example.com', subject: 'Your appointment', message: 'See you tomorrow at 3pm.' } });
    expect(res.status).toBe(201);
    const sent = await settled(res.body.data.sid, ['sent']);
    expect(sent).toMatchObject({ provider: 'smtp', channel: 'email' });
    const mail = smtp.received.filter((m) => m.to.includes('jane@example.com'));
    expect(mail).toHaveLength(1);
    expect(mail[0].from).toBe('office@acme.test');
    expect(mail[0].raw).toMatch(/Subject: Your appointment/);
    expect(mail[0].raw).toContain(`Message-ID: <${res.body.data.sid}.1@ai-secretary>`);
    expect(mail[0].raw).toContain('See you tomorrow at 3pm.');
  });

  it('records a permanent refusal (550) as failed, with the code', async () => {
    smtp.refuse('gone@example.com');
    const res = await stack.http.post('/api/v1/email/send', { token: t.token, body: { to: 'gone@example.com', subject: 'Hi', message: 'x' } });
    const failed = await settled(res.body.data.sid, ['failed']);
    expect(failed.error_code).toBe('550');
  });

  it('sends an email reminder to a contact', async () => {
    await stack.http.patch('/api/v1/tenant', { token: t.token, body: { quiet_hours: null } });
    const contact = await aContact(stack.http, t.token, { name: 'Jane Roe', email: 'roe@example.com' });
    const r = await stack.http.post('/api/v1/reminders', {
      token: t.token,
      body: { channel: 'email', contact_id: contact.id, subject: 'Reminder for {{contact.name}}', message: 'Dear {{contact.name}}, see you soon.', send_at: new Date(Date.now() + 1500).toISOString() },
    });
    expect(r.status).toBe(201);
    await eventually(async () => ((await stack.http.get(`/api/v1/reminders/${r.body.data.id}`, { token: t.token })).body.data.status === 'sent' ? true : undefined), { what: 'the email reminder' });
    const mail = smtp.received.filter((m) => m.to.includes('roe@example.com'));
    expect(mail).toHaveLength(1);
    expect(mail[0].raw).toContain('Dear Jane Roe, see you soon.');
  });
});
