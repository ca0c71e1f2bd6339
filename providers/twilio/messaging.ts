import { randomBytes } from 'node:crypto';
import { isSameSentBody } from '../../lib/twilioBody.ts';
import { twilioCall as call, twilioClient } from './client.ts';
import type { ProviderMessage, TextProvider, TextSend } from '../messaging/types.ts';

export function createTwilioTextProvider(o: { accountSid: string; authToken: string; apiUrl?: string; timeoutMs?: number }): TextProvider {
  const client = twilioClient(o.accountSid, o.authToken, o.apiUrl, o.timeoutMs ?? 15_000);
  return {
    kind: 'twilio',
    accountSid: o.accountSid,
    async send(m: TextSend): Promise<ProviderMessage> {
      const sent = await call(() => client.messages.create({ from: m.from, to: m.to, body: m.body, ...(m.statusCallback ? { statusCallback: m.statusCallback } : {}) }));
      return { sid: sent.sid, status: sent.status };
    },
    async findSent(m, since): Promise<ProviderMessage[]> {
      // Newest first. No DateSent filter: a message Twilio accepted but has not sent yet (the
      // case right after a crash) has no date_sent, and that filter leaves it out.
      const sent = await call(() => client.messages.list({ from: m.from, to: m.to, limit: 50 }));
      return sent.filter((s) => isSameSentBody(s.body ?? '', m.body) && (s.dateCreated ?? new Date()) >= since).map((s) => ({ sid: s.sid, status: s.status }));
    },
    async ownsNumber(phoneNumber): Promise<boolean> {
      const numbers = await call(() => client.incomingPhoneNumbers.list({ phoneNumber, limit: 1 }));
      return numbers.some((n) => n.phoneNumber === phoneNumber);
    },
  };
}

/** No credentials: nothing leaves the machine; the outbound row is the record (GET /sms/outbox). */
export function createLocalTextProvider(): TextProvider {
  return {
    kind: 'local',
    accountSid: null,
    send: async () => ({ sid: `SMlocal${randomBytes(13).toString('hex')}`, status: 'sent' }),
    // Sending has no effect, so a retry may "send" again.
    findSent: async () => [],
    ownsNumber: async () => true,
  };
}
