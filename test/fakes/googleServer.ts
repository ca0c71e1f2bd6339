import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server that speaks the parts of Google's OAuth 2.0 and Calendar v3 APIs the
 * product uses (written from Google's public references): the token endpoint
 * (authorization_code, refresh_token, `invalid_grant`), revoke, and events list (pages,
 * `syncToken`, `nextSyncToken` on the last page only, 410 when a token is stale,
 * `singleEvents` instances of recurring events, cancelled events), insert (a client id
 * twice is a 409), patch and delete, and a 403 for an edit Google refuses. The product reaches it through the real
 * `googleapis` client, pointed here by GOOGLE_API_URL and GOOGLE_OAUTH_URL.
 */
export interface FakeEvent {
  id: string;
  summary?: string;
  description?: string;
  location?: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  start: { dateTime?: string; date?: string; timeZone?: string };
  end: { dateTime?: string; date?: string; timeZone?: string };
  attendees?: Array<{ email: string }>;
  recurringEventId?: string;
  originalStartTime?: { dateTime?: string; date?: string };
  extendedProperties?: { private?: Record<string, string> };
  updated: string;
  /** The change counter when it last changed (what sync tokens count). */
  seq: number;
}

const GONE = { error: { code: 410, message: 'Sync token is no longer valid, a full sync is required.', errors: [{ domain: 'calendar', reason: 'fullSyncRequired', message: 'Sync token is no longer valid, a full sync is required.' }] } };
const apiError = (code: number, message: string, reason?: string) => ({ error: { code, message, errors: [{ domain: 'global', reason: reason ?? (code === 404 ? 'notFound' : code === 409 ? 'duplicate' : 'invalid'), message }] } });
/** Google's answer to a change only an event's organizer may make. */
const NOT_ORGANIZER = apiError(403, 'Shared properties can only be changed by the organizer of the event.', 'forbiddenForNonOrganizer');
const compactStamp = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.\d+/, '');

export async function startFakeGoogle() {
  const events = new Map<string, FakeEvent>();
  const codes = new Map<string, string>(); // code → refresh token it grants
  const refreshTokens = new Set<string>();
  const revoked = new Set<string>();
  const accessTokens = new Map<string, number>(); // token → expiry (ms)
  let seq = 0;
  /** Sync tokens at or below this are stale (a 410). */
  let staleUpTo = -1;
  const calls = { token: 0, refresh: 0, list: 0, insert: 0, patch: 0, delete: 0, revoke: 0, gone: 0, failedWrites: 0 };
  let listDelayMs = 0;
  /** Inserts and patches of events with these titles are refused (403), as Google refuses a non-organizer's edit. */
  const refusedTitles = new Set<string>();
  /** Inserts, patches and deletes answer this error (while `left` > 0), as Google does over a usage limit or to a read-only grant. */
  let writeFailure: { status: number; reason: string; message: string; left: number } | null = null;
  /** The next this many requests for a later page answer 400 (a pull that fails part-way). */
  let failingPages = 0;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const newAccessToken = (ttlSeconds = 3600) => {
    const token = `ya29.${randomBytes(12).toString('hex')}`;
    accessTokens.set(token, Date.now() + ttlSeconds * 1000);
    return token;
  };
  const authorized = (req: IncomingMessage) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expiry = token ? accessTokens.get(token) : undefined;
    return expiry !== undefined && expiry > Date.now();
  };
  const touch = (e: Omit<FakeEvent, 'seq' | 'updated'> & Partial<FakeEvent>): FakeEvent => {
    const stored: FakeEvent = { ...e, seq: ++seq, updated: new Date().toISOString() };
    events.set(stored.id, stored);
    return stored;
  };
  const resource = ({ seq: _seq, ...e }: FakeEvent) => (e.status === 'cancelled' ? { kind: 'calendar#event', id: e.id, status: e.status, ...(e.recurringEventId ? { recurringEventId: e.recurringEventId, originalStartTime: e.originalStartTime } : {}) } : { kind: 'calendar#event', ...e });

  async function token(req: IncomingMessage, res: ServerResponse) {
    const form = new URLSearchParams(await readBody(req));
    calls.token++;
    if (form.get('grant_type') === 'authorization_code') {
      const granted = codes.get(form.get('code') ?? '');
      if (!granted) return json(res, 400, { error: 'invalid_grant', error_description: 'Malformed auth code.' });
      codes.delete(form.get('code') ?? '');
      return json(res, 200, { access_token: newAccessToken(), expires_in: 3599, refresh_token: granted, scope: 'https://www.googleapis.com/auth/calendar', token_type: 'Bearer' });
    }
    if (form.get('grant_type') === 'refresh_token') {
      calls.refresh++;
      const rt = form.get('refresh_token') ?? '';
      if (!refreshTokens.has(rt) || revoked.has(rt)) return json(res, 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
      return json(res, 200, { access_token: newAccessToken(), expires_in: 3599, scope: 'https://www.googleapis.com/auth/calendar', token_type: 'Bearer' });
    }
    return json(res, 400, { error: 'unsupported_grant_type' });
  }

  function list(url: URL, res: ServerResponse) {
    calls.list++;
    const syncToken = url.searchParams.get('syncToken');
    const pageToken = url.searchParams.get('pageToken');
    const pageSize = Math.min(Number(url.searchParams.get('maxResults') ?? 250), 2500);
    const showDeleted = url.searchParams.get('showDeleted') === 'true';
    let from: number;
    let upTo: number;
    let afterId: string;
    if (pageToken) {
      if (failingPages > 0) {
        failingPages--;
        return json(res, 400, apiError(400, 'Invalid pageToken value.'));
      }
      [from, upTo, afterId] = JSON.parse(Buffer.from(pageToken, 'base64url').toString()) as [number, number, string];
    } else {
      from = syncToken ? Number(syncToken.replace(/^sync-/, '')) : -1;
      if (syncToken && (!Number.isInteger(from) || from <= staleUpTo)) {
        calls.gone++;
        return json(res, 410, GONE);
      }
      upTo = seq;
      afterId = '';
    }
    const matching = [...events.values()]
      .filter((e) => e.seq > from && e.id > afterId && (e.status !== 'cancelled' || showDeleted || syncToken !== null || from >= 0))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const page = matching.slice(0, pageSize);
    const more = matching.length > pageSize;
    const body: Record<string, unknown> = { kind: 'calendar#events', summary: 'primary', items: page.map(resource) };
    if (more) body.nextPageToken = Buffer.from(JSON.stringify([from, upTo, page[page.length - 1].id])).toString('base64url');
    else body.nextSyncToken = `sync-${upTo}`;
    const answer = () => json(res, 200, body);
    if (listDelayMs) setTimeout(answer, listDelayMs);
    else answer();
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      if (req.method === 'POST' && url.pathname === '/token') return token(req, res);
      if (req.method === 'POST' && url.pathname === '/revoke') {
        calls.revoke++;
        const t = url.searchParams.get('token') ?? new URLSearchParams(await readBody(req)).get('token') ?? '';
        revoked.add(t);
        accessTokens.delete(t);
        return json(res, 200, {});
      }
      const m = /^\/calendar\/v3\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/.exec(url.pathname);
      if (!m) return json(res, 404, apiError(404, 'Not Found'));
      if (!authorized(req)) return json(res, 401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } });
      const id = m[2] ? decodeURIComponent(m[2]) : undefined;
      if (req.method === 'GET' && !id) return list(url, res);
      if (writeFailure && writeFailure.left > 0 && req.method !== 'GET') {
        writeFailure.left--;
        calls.failedWrites++;
        if (writeFailure.status === 403 && /Limit|quota/.test(writeFailure.reason)) res.setHeader('Retry-After', '1');
        return json(res, writeFailure.status, { error: { code: writeFailure.status, message: writeFailure.message, errors: [{ domain: /Limit|quota/.test(writeFailure.reason) ? 'usageLimits' : 'global', reason: writeFailure.reason, message: writeFailure.message }] } });
      }
      if (req.method === 'POST' && !id) {
        calls.insert++;
        const body = JSON.parse(await readBody(req)) as FakeEvent;
        if (body.summary && refusedTitles.has(body.summary)) return json(res, 403, NOT_ORGANIZER);
        const eventId = body.id ?? randomBytes(10).toString('hex');
        if (events.has(eventId)) return json(res, 409, apiError(409, 'The requested identifier already exists.'));
        return json(res, 200, resource(touch({ ...body, id: eventId, status: body.status ?? 'confirmed' })));
      }
      const existing = id ? events.get(id) : undefined;
      if (req.method === 'PATCH' && id) {
        calls.patch++;
        if (!existing) return json(res, 404, apiError(404, 'Not Found'));
        const change = JSON.parse(await readBody(req)) as Partial<FakeEvent>;
        if (refusedTitles.has(change.summary ?? existing.summary ?? '')) return json(res, 403, NOT_ORGANIZER);
        return json(res, 200, resource(touch({ ...existing, ...change, id })));
      }
      if (req.method === 'DELETE' && id) {
        calls.delete++;
        if (!existing) return json(res, 404, apiError(404, 'Not Found'));
        if (existing.status === 'cancelled') return json(res, 410, apiError(410, 'Resource has been deleted'));
        touch({ ...existing, status: 'cancelled' });
        res.writeHead(204);
        return res.end();
      }
      return json(res, 405, apiError(405, 'Method not allowed'));
    })().catch((err: unknown) => json(res, 500, apiError(500, String(err))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    /** GOOGLE_API_URL and GOOGLE_OAUTH_URL. */
    apiUrl: `${base}/`,
    oauthUrl: base,
    calls,
    events,
    /** A code the consent screen would hand back; it grants a new refresh token, once. */
    issueCode(): string {
      const code = `4/${randomBytes(8).toString('hex')}`;
      const rt = `1//${randomBytes(12).toString('hex')}`;
      codes.set(code, rt);
      refreshTokens.add(rt);
      return code;
    },
    /** An event made at Google (by its own UI); `at` is its start, an hour long. */
    addEvent(e: { id?: string; summary: string; at: string; minutes?: number; status?: FakeEvent['status'] }): FakeEvent {
      const end = new Date(Date.parse(e.at) + (e.minutes ?? 60) * 60_000).toISOString();
      return touch({ id: e.id ?? randomBytes(10).toString('hex'), summary: e.summary, status: e.status ?? 'confirmed', start: { dateTime: e.at }, end: { dateTime: end } });
    },
    /** A weekly series of `count` instances from `at`, as `singleEvents` lists them. */
    addSeries(e: { id: string; summary: string; at: string; count: number }): FakeEvent[] {
      return Array.from({ length: e.count }, (_, i) => {
        const start = new Date(Date.parse(e.at) + i * 7 * 86_400_000).toISOString();
        return touch({ id: `${e.id}_${compactStamp(start)}`, summary: e.summary, status: 'confirmed', recurringEventId: e.id, originalStartTime: { dateTime: start }, start: { dateTime: start }, end: { dateTime: new Date(Date.parse(start) + 3_600_000).toISOString() } });
      });
    },
    update(id: string, change: Partial<Omit<FakeEvent, 'id' | 'seq' | 'updated'>>): FakeEvent {
      const e = events.get(id);
      if (!e) throw new Error(`no fake event ${id}`);
      return touch({ ...e, ...change });
    },
    cancel(id: string): FakeEvent {
      return this.update(id, { status: 'cancelled' });
    },
    /** Every sync token handed out so far answers 410 (Google expires them). */
    expireSyncTokens() {
      staleUpTo = seq;
    },
    /** Access tokens stop working now (they expired); the refresh token still works. */
    expireAccessTokens() {
      for (const t of accessTokens.keys()) accessTokens.set(t, 0);
    },
    /** The user revoked the app's access: every refresh token is an `invalid_grant`. */
    revokeGrants() {
      for (const rt of refreshTokens) revoked.add(rt);
      accessTokens.clear();
    },
    isRevoked: (token: string) => revoked.has(token),
    /** An empty calendar again (the benchmark's next run). */
    clearEvents() {
      events.clear();
    },
    /** Refuses every insert or patch that would give an event this title (403), until `refuse(title, false)`. */
    refuse(title: string, on = true) {
      if (on) refusedTitles.add(title);
      else refusedTitles.delete(title);
    },
    /**
     * The next `times` inserts, patches and deletes (every one, without `times`) answer
     * `status` with Google's error body for `reason`; `failWrites(null)` ends it.
     */
    failWrites(failure: { status: number; reason: string; message: string } | null, times = Number.POSITIVE_INFINITY) {
      writeFailure = failure && { ...failure, left: times };
    },
    /** The next `times` requests for a page after the first answer 400. */
    failLaterPages(times: number) {
      failingPages = times;
    },
    setListDelay(ms: number) {
      listDelayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeGoogle = Awaited<ReturnType<typeof startFakeGoogle>>;
