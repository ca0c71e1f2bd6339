import { createHmac } from 'node:crypto';

/**
 * Signs a webhook the way Twilio does (written from Twilio's published algorithm, not
 * with the library under test): HMAC-SHA1, keyed by the auth token, over the full URL
 * followed by every POST field name and value, sorted by name; base64.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf-8')).digest('base64');
}

let sid = 0;
/** The form fields of an inbound SMS, as Twilio posts them. */
export function inboundSms(fields: { From: string; To: string; Body: string; MessageSid?: string; AccountSid?: string }): Record<string, string> {
  return {
    ToCountry: 'US',
    ToState: 'CA',
    SmsMessageSid: fields.MessageSid ?? `SM${Date.now()}${String(++sid).padStart(6, '0')}aaaaaaaaaaaa`.slice(0, 34),
    NumMedia: '0',
    SmsSid: fields.MessageSid ?? '',
    SmsStatus: 'received',
    NumSegments: '1',
    MessageSid: fields.MessageSid ?? `SM${Date.now()}${String(sid).padStart(6, '0')}aaaaaaaaaaaa`.slice(0, 34),
    AccountSid: 'ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    ApiVersion: '2010-04-01',
    ...fields,
  };
}

export const formBody = (params: Record<string, string>) => new URLSearchParams(params).toString();
