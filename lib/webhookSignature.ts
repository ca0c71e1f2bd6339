import { createHmac, randomBytes } from 'node:crypto';

/**
 * Signatures on outgoing webhooks, two kinds at once:
 * - Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature:
 *   v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), keyed by the base64 part of the
 *   `whsec_` secret, so any Standard Webhooks or Svix library verifies it;
 * - `X-Webhook-Signature`: hex HMAC-SHA256 of the raw body keyed by the whole secret
 *   string, as the receivers in seeds 000 and 003 compute it.
 */
export const SECRET_PREFIX = 'whsec_';

export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(24).toString('base64')}`;
}

function standardKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

export function standardSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', standardKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

export function hexSignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Headers the product sets on every delivery; a user's custom headers may not replace them. */
export const SIGNATURE_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-webhook-signature', 'x-webhook-event', 'content-type', 'user-agent'];

/**
 * The signature headers for one attempt. During a rotation both secrets sign: the
 * Standard Webhooks header carries both, space-separated, so a receiver with either verifies.
 */
export function signatureHeaders(secrets: string[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((s) => standardSignature(s, id, timestampSeconds, body)).join(' '),
    'x-webhook-signature': hexSignature(secrets[0], body),
  };
}
