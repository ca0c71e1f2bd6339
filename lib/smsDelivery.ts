/**
 * Twilio's delivery verdicts (pure, workflows use it). An undelivered message with one of
 * these codes may go through later, so the send workflow tries again on its schedule;
 * every other code (30004 blocked, 30005 unknown number, 30006 landline, 30007 filtered,
 * 21610 unsubscribed, …) is final and the message says why.
 */
/**
 * The send step's start-to-close for a provider request timeout (SMS_SEND_TIMEOUT_MS): a
 * retried attempt makes two requests in a row (what did I send? then the send), plus our
 * bookkeeping. Temporal starts the next attempt when this runs out, so it must outlast both
 * requests, or a second attempt could look before the first one's send has landed and text again.
 */
export const sendStepTimeoutMs = (providerTimeoutMs: number) => 2 * providerTimeoutMs + 10_000;

const TRANSIENT_CODES = new Set(['30001', '30003', '30008', '30009', '30010']);

export interface DeliveryVerdict {
  sid: string;
  status: 'delivered' | 'undelivered' | 'failed';
  errorCode: string | null;
}

export function isTransientUndelivery(v: DeliveryVerdict): boolean {
  return v.status !== 'delivered' && v.errorCode !== null && TRANSIENT_CODES.has(v.errorCode);
}

/** Twilio's status words in our order; a callback never moves a message backwards. */
const RANK: Record<string, number> = { queued: 0, sending: 1, sent: 2, undelivered: 3, failed: 3, delivered: 4 };
export function isLaterStatus(current: string, next: string): boolean {
  return (RANK[next] ?? -1) > (RANK[current] ?? -1);
}
