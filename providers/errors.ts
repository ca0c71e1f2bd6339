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
