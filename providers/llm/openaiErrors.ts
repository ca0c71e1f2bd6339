/**
 * Turns whatever the openai SDK throws into a ProviderError an activity can act on
 * (retry or not, and when). The SDK's own error is deliberately not attached as `cause`:
 * Temporal serialises causes into workflow history, and an OpenAI-compatible server may
 * echo the API key back in its error body.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, OpenAIError } from 'openai';
import { ProviderError, retryAfterFromHeaders, type ProviderErrorKind } from '../errors.ts';

const MAX_MESSAGE = 500;

/** `text` with every occurrence of each secret replaced, so keys never reach logs or history. */
export function redact(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) {
    if (secret) clean = clean.split(secret).join('[redacted]');
  }
  return clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE - 1)}…` : clean;
}

function kindForStatus(status: number, code: string | null | undefined): ProviderErrorKind {
  // Quota exhaustion arrives as a 429 too, but waiting will not refill the account.
  if (status === 429) return code === 'insufficient_quota' ? 'rejected' : 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'unavailable';
  return 'rejected';
}

/** How long the failed call ran, against the client's timeout. */
export interface RequestTiming {
  elapsedMs: number;
  timeoutMs: number;
}

/**
 * The SDK recognises its own timeout by the fetch AbortError's name, but when fetch comes
 * from another JS realm (Jest's vm sandbox) that error reaches it as a bare "{}" and is
 * reported as a plain connection error. A connection that failed only after the whole
 * timeout elapsed timed out, whatever the error says. (Node timers may fire a tick early.)
 */
function ranOutOfTime(timing: RequestTiming): boolean {
  return timing.elapsedMs >= timing.timeoutMs - 5;
}

/**
 * The ProviderError for an error thrown by an openai SDK call. Caller cancellation
 * (APIUserAbortError) is not a provider failure; callers should check their signal first.
 */
export function toProviderError(error: unknown, provider: string, secrets: readonly string[], timing?: RequestTiming): ProviderError {
  // Subclass before superclass: a timeout is also a connection error.
  if (error instanceof APIConnectionTimeoutError || (error instanceof APIConnectionError && timing && ranOutOfTime(timing))) {
    return new ProviderError(provider, 'timeout', `${provider} request timed out`);
  }
  if (error instanceof APIConnectionError) {
    const detail = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return new ProviderError(provider, 'unavailable', redact(`${provider} connection failed${detail}`, secrets));
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const kind = kindForStatus(error.status, error.code);
    const retryAfterMs = kind === 'rate_limited' ? retryAfterFromHeaders(error.headers) : undefined;
    const message = redact(`${provider} HTTP ${error.status}${error.code ? ` (${error.code})` : ''}: ${error.message}`, secrets);
    return new ProviderError(provider, kind, message, { status: error.status, retryAfterMs });
  }
  if (error instanceof OpenAIError) {
    // Raised client-side before any request (bad options, missing key): retrying will not help.
    return new ProviderError(provider, 'rejected', redact(`${provider} client error: ${error.message}`, secrets));
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError(provider, 'unavailable', redact(`${provider} request failed: ${message}`, secrets));
}
