import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { ProviderError } from '../errors.ts';
import type { ProviderMessage, TextProvider, TextSend } from '../messaging/types.ts';

const TWILIO_ORIGIN = 'https://api.twilio.com';

/**
 * The real `twilio` client, its requests sent to `apiUrl` when one is set (TWILIO_API_URL:
 * the tests' fake Twilio), through a RequestClient that only changes the origin.
 */
function twilioClient(accountSid: string, authToken: string, apiUrl: string | undefined, timeoutMs: number) {
  class RebasedRequestClient extends twilio.RequestClient {
    override request<T>(opts: Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0] & { data?: T }) {
      const uri = apiUrl && opts.uri.startsWith(TWILIO_ORIGIN) ? apiUrl.replace(/\/$/, '') + opts.uri.slice(TWILIO_ORIGIN.length) : opts.uri;
      return super.request<T>({ ...opts, uri });
    }
  }
  return twilio(accountSid, authToken, { httpClient: new RebasedRequestClient({ timeout: timeoutMs }) });
}

/** Twilio's REST errors in our terms: 4xx (but 429) is the request's fault and permanent. */
function asProviderError(err: unknown): ProviderError {
  if (err instanceof twilio.RestException) {
    const code = err.code !== undefined ? String(err.code) : undefined;
    if (err.status === 429) return new ProviderError('twilio', 'rate_limited', err.message, { status: 429, code });
    if (err.status === 401 || err.status === 403) return new ProviderError('twilio', 'auth', err.message, { status: err.status, code });
    if (err.status >= 400 && err.status < 500) return new ProviderError('twilio', 'rejected', err.message, { status: err.status, code });
    return new ProviderError('twilio', 'unavailable', err.message, { status: err.status, code });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError('twilio', /timeout/i.test(message) ? 'timeout' : 'unavailable', message, { cause: err });
}

export function createTwilioTextProvider(o: { accountSid: string; authToken: string; apiUrl?: string; timeoutMs?: number }): TextProvider {
  const client = twilioClient(o.accountSid, o.authToken, o.apiUrl, o.timeoutMs ?? 15_000);
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw asProviderError(err);
    }
  };
  return {
    kind: 'twilio',
    accountSid: o.accountSid,
    async send(m: TextSend): Promise<ProviderMessage> {
      const sent = await call(() => client.messages.create({ from: m.from, to: m.to, body: m.body, ...(m.statusCallback ? { statusCallback: m.statusCallback } : {}) }));
      return { sid: sent.sid, status: sent.status };
    },
    async findSent(m, since): Promise<ProviderMessage | null> {
      // Twilio filters by day; the time and the body are compared here.
      const day = new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate()));
      const sent = await call(() => client.messages.list({ from: m.from, to: m.to, dateSentAfter: day, limit: 50 }));
      const match = sent.find((s) => s.body === m.body && (s.dateCreated ?? new Date()) >= since);
      return match ? { sid: match.sid, status: match.status } : null;
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
    findSent: async () => null,
    ownsNumber: async () => true,
  };
}
