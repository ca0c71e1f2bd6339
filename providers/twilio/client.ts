import twilio from 'twilio';
import { ProviderError } from '../errors.ts';

const TWILIO_ORIGIN = 'https://api.twilio.com';

/**
 * The real `twilio` client, its requests sent to `apiUrl` when one is set (TWILIO_API_URL:
 * the tests' fake Twilio), through a RequestClient that only changes the origin.
 */
export function twilioClient(accountSid: string, authToken: string, apiUrl: string | undefined, timeoutMs: number) {
  class RebasedRequestClient extends twilio.RequestClient {
    override request<T>(opts: Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0] & { data?: T }) {
      const uri = apiUrl && opts.uri.startsWith(TWILIO_ORIGIN) ? apiUrl.replace(/\/$/, '') + opts.uri.slice(TWILIO_ORIGIN.length) : opts.uri;
      return super.request<T>({ ...opts, uri });
    }
  }
  return twilio(accountSid, authToken, { httpClient: new RebasedRequestClient({ timeout: timeoutMs }) });
}

/** Twilio's REST errors in our terms: 4xx (but 429) is the request's fault and permanent. */
export function asProviderError(err: unknown): ProviderError {
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

/** Runs one Twilio request, its failure said as a ProviderError. */
export async function twilioCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asProviderError(err);
  }
}
