// The calendar API alone: `googleapis`' index loads every Google API (3.7 s and 100 MB
// here); this entry point of the same package loads one (0.2 s).
import { auth as googleAuth, calendar as googleCalendar } from 'googleapis/build/src/apis/calendar/index.js';
import type { calendar_v3 } from 'googleapis/build/src/apis/calendar/v3.js';
import { ProviderError, retryAfterFromHeaders } from '../errors.ts';

export type GoogleEvent = calendar_v3.Schema$Event;

export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';

export interface GoogleSettings {
  clientId?: string;
  clientSecret?: string;
  /** Where the consent screen sends the user back (GOOGLE_REDIRECT_URI), unless a request names its own. */
  redirectUri?: string;
  /** GOOGLE_API_URL: the Calendar API's root (unset: Google's). */
  apiUrl?: string;
  /** GOOGLE_OAUTH_URL: serves `/auth`, `/token` and `/revoke` (unset: Google's). */
  oauthUrl?: string;
}

export interface GoogleTokens {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: Date | null;
  scope: string | null;
}

export const googleConfigured = (s: GoogleSettings): boolean => Boolean(s.clientId && s.clientSecret);

const TIMEOUT_MS = 30_000;

function oauthClient(s: GoogleSettings, redirectUri?: string) {
  const base = s.oauthUrl?.replace(/\/$/, '');
  return new googleAuth.OAuth2({
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    redirectUri: redirectUri ?? s.redirectUri,
    // A 401 before the expiry we were told (revoked early, clock skew): refresh and retry once.
    forceRefreshOnFailure: true,
    ...(base ? { endpoints: { oauth2AuthBaseUrl: `${base}/auth`, oauth2TokenUrl: `${base}/token`, oauth2RevokeUrl: `${base}/revoke` } } : {}),
  });
}

/** The consent screen's address: offline access (a refresh token), asked every time, the calendar scope. */
export function authUrl(s: GoogleSettings, o: { redirectUri: string; state: string }): string {
  return oauthClient(s, o.redirectUri).generateAuthUrl({ access_type: 'offline', prompt: 'consent', scope: [CALENDAR_SCOPE], state: o.state, include_granted_scopes: true });
}

const toTokens = (t: { access_token?: string | null; refresh_token?: string | null; expiry_date?: number | null; scope?: string | null }): GoogleTokens => {
  if (!t.access_token) throw new ProviderError('google', 'malformed_response', 'Google answered without an access token');
  return { accessToken: t.access_token, refreshToken: t.refresh_token ?? null, expiresAt: t.expiry_date ? new Date(t.expiry_date) : null, scope: t.scope ?? null };
};

/** Trades the consent screen's code for tokens. */
export async function exchangeCode(s: GoogleSettings, code: string, redirectUri: string): Promise<GoogleTokens> {
  try {
    const { tokens } = await oauthClient(s, redirectUri).getToken({ code, redirect_uri: redirectUri });
    return toTokens(tokens);
  } catch (err) {
    throw asProviderError(err);
  }
}

/** Ends the grant at Google (best effort: a token already revoked is fine). */
export async function revokeToken(s: GoogleSettings, token: string): Promise<void> {
  try {
    await oauthClient(s).revokeToken(token);
  } catch (err) {
    const e = asProviderError(err);
    if (e.kind !== 'rejected' && e.kind !== 'auth') throw e;
  }
}

/** Google's usage limits (a 403 or a 429): they lift with time, so the call is retried later. */
const LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded', 'dailyLimitExceeded', 'variableTermLimitExceeded', 'variableTermExpandedRecurrenceLimitExceeded']);
/**
 * 403s about one event (only its organizer may change it; a service account may not invite):
 * that change is refused and the others go on. Any other 403 is about the whole calendar
 * or grant (read-only access, a scope not granted, the API off, not signed up for Calendar):
 * every change would fail the same way, so the connection waits for a person instead.
 */
const EVENT_REASONS = new Set(['forbiddenForNonOrganizer', 'forbiddenForServiceAccounts']);

/**
 * Google's errors in our terms, by status and the first `errors[].reason`: `invalid_grant`
 * (a revoked or expired refresh token) and calendar-wide 403s are `auth`; usage limits are
 * `rate_limited`; a 408 is a `timeout`; other 4xx (a 403 about one event among them) are
 * `rejected`, a refusal of that one request.
 */
export function asProviderError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { status?: number; response?: { status?: number; data?: unknown; headers?: Headers }; message?: string; code?: string };
  const status = e.response?.status ?? e.status;
  const data = e.response?.data as { error?: unknown; error_description?: string } | undefined;
  const apiError = typeof data?.error === 'object' && data.error ? (data.error as { message?: unknown; errors?: Array<{ reason?: unknown }> }) : undefined;
  const reason = typeof apiError?.errors?.[0]?.reason === 'string' ? apiError.errors[0].reason : undefined;
  const code = typeof data?.error === 'string' ? data.error : reason;
  const message = data?.error_description ?? (typeof apiError?.message === 'string' ? apiError.message : undefined) ?? e.message ?? String(err);
  if (code === 'invalid_grant') return new ProviderError('google', 'auth', 'The Google grant was revoked or has expired', { status, code });
  if (status === 429 || (status === 403 && ((reason && LIMIT_REASONS.has(reason)) || (!reason && /rate ?limit|usage limits/i.test(message))))) {
    const retryAfterMs = e.response?.headers instanceof Headers ? retryAfterFromHeaders(e.response.headers) : undefined;
    return new ProviderError('google', 'rate_limited', message, { status, code, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  if (status === 401 || (status === 403 && !(reason && EVENT_REASONS.has(reason)))) return new ProviderError('google', 'auth', message, { status, code });
  if (status === 408) return new ProviderError('google', 'timeout', message, { status });
  if (status !== undefined && status >= 400 && status < 500) return new ProviderError('google', 'rejected', message, { status, code });
  if (status !== undefined) return new ProviderError('google', 'unavailable', message, { status });
  return new ProviderError('google', /timeout/i.test(message) ? 'timeout' : 'unavailable', message, { cause: err });
}

export interface ListPage {
  events: GoogleEvent[];
  nextPageToken: string | null;
  /** Only on the last page. */
  nextSyncToken: string | null;
}

/**
 * One connection's calendar, through the real client. The OAuth client refreshes an
 * expired access token itself; `onTokens` hears of each new one so it can be stored.
 */
export function googleCalendarClient(s: GoogleSettings, tokens: GoogleTokens, onTokens: (t: GoogleTokens) => Promise<void> | void) {
  const client = oauthClient(s);
  client.setCredentials({ access_token: tokens.accessToken, refresh_token: tokens.refreshToken, expiry_date: tokens.expiresAt?.getTime() ?? null });
  const refreshed: Array<Promise<void> | void> = [];
  client.on('tokens', (t) => refreshed.push(onTokens(toTokens({ ...t, refresh_token: t.refresh_token ?? tokens.refreshToken }))));
  const api = googleCalendar({ version: 'v3', auth: client, ...(s.apiUrl ? { rootUrl: s.apiUrl.replace(/\/?$/, '/') } : {}), timeout: TIMEOUT_MS, retry: false });
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw asProviderError(err);
    } finally {
      await Promise.all(refreshed.splice(0));
    }
  };

  return {
    /**
     * A page of changes: everything (showDeleted, one row per instance of a recurring
     * event) without a sync token, what changed since it with one. A stale token is a
     * ProviderError with status 410: start again without it.
     */
    listPage: (calendarId: string, o: { syncToken?: string | null; pageToken?: string | null; pageSize: number }): Promise<ListPage> =>
      call(async () => {
        const res = await api.events.list({
          calendarId,
          singleEvents: true,
          showDeleted: true,
          maxResults: o.pageSize,
          ...(o.syncToken ? { syncToken: o.syncToken } : {}),
          ...(o.pageToken ? { pageToken: o.pageToken } : {}),
        });
        return { events: res.data.items ?? [], nextPageToken: res.data.nextPageToken ?? null, nextSyncToken: res.data.nextSyncToken ?? null };
      }),
    /** Inserts under our own id, so a retried insert is a 409 instead of a second copy. */
    insert: (calendarId: string, event: GoogleEvent): Promise<GoogleEvent> => call(async () => (await api.events.insert({ calendarId, requestBody: event })).data),
    patch: (calendarId: string, eventId: string, event: GoogleEvent): Promise<GoogleEvent> => call(async () => (await api.events.patch({ calendarId, eventId, requestBody: event })).data),
    remove: (calendarId: string, eventId: string): Promise<void> =>
      call(async () => {
        await api.events.delete({ calendarId, eventId });
      }),
  };
}

export type GoogleCalendarClient = ReturnType<typeof googleCalendarClient>;
