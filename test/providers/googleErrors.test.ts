import { describe, expect, it } from '@jest/globals';
import { asProviderError } from '../../providers/google/calendar.ts';

/** What `googleapis` throws for an API error: the status and Google's JSON body on `response`. */
const apiError = (status: number, reason: string, message: string, headers: Record<string, string> = {}) =>
  Object.assign(new Error(message), { status, response: { status, headers: new Headers(headers), data: { error: { code: status, message, errors: [{ domain: 'global', reason, message }] } } } });

describe('asProviderError (Google)', () => {
  it('waits out usage limits, a 403 or a 429, at the pace Google asks', () => {
    for (const reason of ['quotaExceeded', 'dailyLimitExceeded', 'userRateLimitExceeded', 'rateLimitExceeded']) {
      expect(asProviderError(apiError(403, reason, 'Calendar usage limits exceeded.'))).toMatchObject({ kind: 'rate_limited', retryable: true, code: reason });
    }
    expect(asProviderError(apiError(429, 'rateLimitExceeded', 'Rate Limit Exceeded', { 'retry-after': '7' }))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 7_000 });
  });

  it('refuses one event only for a 403 about that event, and a 400', () => {
    expect(asProviderError(apiError(403, 'forbiddenForNonOrganizer', 'Shared properties can only be changed by the organizer of the event.'))).toMatchObject({ kind: 'rejected', retryable: false });
    expect(asProviderError(apiError(400, 'timeRangeEmpty', 'The specified time range is empty.'))).toMatchObject({ kind: 'rejected', status: 400 });
  });

  it('stops for a person on a 403 about the whole calendar or grant, naming Google\'s reason', () => {
    for (const reason of ['requiredAccessLevel', 'insufficientPermissions', 'accessNotConfigured', 'somethingNew']) {
      expect(asProviderError(apiError(403, reason, 'Forbidden'))).toMatchObject({ kind: 'auth', code: reason });
    }
    expect(asProviderError(Object.assign(new Error('x'), { response: { status: 400, data: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } } }))).toMatchObject({ kind: 'auth', code: 'invalid_grant' });
  });

  it('retries a 408 and a 5xx', () => {
    expect(asProviderError(apiError(408, 'requestTimeout', 'Request Timeout'))).toMatchObject({ kind: 'timeout', retryable: true });
    expect(asProviderError(apiError(503, 'backendError', 'Backend Error'))).toMatchObject({ kind: 'unavailable', retryable: true });
  });
});
