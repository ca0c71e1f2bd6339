import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { hexSignature, newWebhookSecret, signatureHeaders, standardSignature } from '../../lib/webhookSignature.ts';

describe('webhook signatures', () => {
  const body = JSON.stringify({ id: 'evt_1', type: 'lead.created', data: { n: 1 } });
  const now = Math.floor(Date.now() / 1000);

  it('makes secrets in the whsec_ format with 24 random bytes', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(24);
    expect(newWebhookSecret()).not.toBe(a);
  });

  it('is verified by the standardwebhooks library, and only with the right secret', () => {
    const secret = newWebhookSecret();
    const headers = signatureHeaders([secret], 'evt_1', now, body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body.replace('1', '2'), headers)).toThrow();
  });

  it('signs id.timestamp.body with the base64-decoded key (the Standard Webhooks rule)', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const expected = createHmac('sha256', Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64')).update(`msg_1.1614265330.${body}`).digest('base64');
    expect(standardSignature(secret, 'msg_1', 1614265330, body)).toBe(`v1,${expected}`);
  });

  it('gives the seeds\' X-Webhook-Signature: hex HMAC-SHA256 of the raw body keyed by the secret string', () => {
    const secret = newWebhookSecret();
    const headers = signatureHeaders([secret], 'evt_1', now, body);
    // Seed 000's Python receiver: hmac.new(secret.encode('utf-8'), payload.encode('utf-8'), sha256).hexdigest()
    expect(headers['x-webhook-signature']).toBe(createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(body, 'utf8')).digest('hex'));
    expect(hexSignature(secret, body)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('signs with both secrets during a rotation, each verifying on its own', () => {
    const [fresh, old] = [newWebhookSecret(), newWebhookSecret()];
    const headers = signatureHeaders([fresh, old], 'evt_1', now, body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(fresh).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(old).verify(body, headers)).not.toThrow();
  });
});
