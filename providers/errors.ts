/**
 * What a provider says went wrong, in terms an activity can act on: retry or not, and
 * when. Activities turn these into Temporal failures (non-retryable, or nextRetryDelay).
 */
export type ProviderErrorKind = 'rate_limited' | 'unavailable' | 'timeout' | 'malformed_response' | 'rejected' | 'auth';

export class ProviderError extends Error {
  readonly provider: string;
  readonly kind: ProviderErrorKind;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  /** The provider's own error code (Twilio's 21610, …), when it gave one. */
  readonly code: string | undefined;

  constructor(provider: string, kind: ProviderErrorKind, message: string, opts: { status?: number; retryAfterMs?: number; cause?: unknown; code?: string } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'ProviderError';
    this.provider = provider;
    this.kind = kind;
    this.status = opts.status;
    this.code = opts.code;
    this.retryAfterMs = opts.retryAfterMs;
    this.retryable = kind === 'rate_limited' || kind === 'unavailable' || kind === 'timeout' || kind === 'malformed_response';
  }
}

/**
 * How long the server asked us to wait, from `retry-after-ms` (OpenAI's, in milliseconds)
 * or `retry-after` (seconds, or an HTTP date). Undefined when absent or unreadable.
 */
export function retryAfterFromHeaders(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  const millis = headers?.get('retry-after-ms');
  if (millis) {
    const value = Number.parseFloat(millis);
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
  }
  const retryAfter = headers?.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter.trim());
    if (retryAfter.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  return undefined;
}
