import { Connection } from 'jsforce';
import type { QueryOptions, QueryResult } from 'jsforce/lib/query.js';
import type { FieldValues } from '../../lib/crm/fieldMerge.ts';
import type { ObjectMapping } from '../../lib/crm/mappings.ts';
import { ProviderError } from '../errors.ts';
import type { CrmClient, CrmQuota, PullCursor, RemoteRecord } from './types.ts';

export interface SalesforceSettings {
  /** SALESFORCE_LOGIN_URL: where logins and token refreshes go (unset: the integration's domain, else login.salesforce.com). */
  loginUrl?: string;
  apiVersion: string;
  /** SALESFORCE_CLIENT_ID / SECRET: the connected app that refreshes OAuth tokens. */
  clientId?: string;
  clientSecret?: string;
}

/** Seed 001's credentials (a password login), or an OAuth grant. */
export type SalesforceCredentials =
  | { username: string; password: string; security_token?: string | null; domain?: string | null }
  | { instance_url: string; access_token: string; refresh_token?: string | null };

interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | undefined>;
}

/** Salesforce's literal for an instant in SOQL: UTC, no quotes. */
export const soqlDateTime = (d: Date | string) => new Date(d).toISOString();
const soqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * The SOQL of one incremental pull: every record changed since the window opened,
 * after the last one passed, in (SystemModstamp, Id) order. The pair is the cursor, so
 * 300 records sharing one timestamp across a page boundary are neither skipped nor read
 * again (Airbyte #43317).
 */
export function changesSoql(mapping: ObjectMapping, from: PullCursor): string {
  const f = mapping.modifiedField;
  const select = `SELECT Id, ${f}, ${mapping.fields.join(', ')} FROM ${mapping.object}`;
  const where: string[] = [];
  if (from.since) where.push(`${f} >= ${soqlDateTime(from.since)}`);
  if (from.ts && from.id) where.push(`(${f} > ${soqlDateTime(from.ts)} OR (${f} = ${soqlDateTime(from.ts)} AND Id > ${soqlString(from.id)}))`);
  return `${select}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${f} ASC, Id ASC`;
}

function loginUrlFor(settings: SalesforceSettings, creds: SalesforceCredentials): string {
  if (settings.loginUrl) return settings.loginUrl.replace(/\/$/, '');
  if ('domain' in creds && creds.domain) return `https://${creds.domain.replace(/^https?:\/\//, '').replace(/\/$/, '')}`;
  return 'https://login.salesforce.com';
}

/** What jsforce threw, as a ProviderError; `last` is the failed answer, for its status and Retry-After. */
export function asSalesforceError(err: unknown, last: HttpResponse | null): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { errorCode?: string; name?: string; message?: string; code?: string };
  // A SOAP login fault arrives as a plain Error whose message starts with its code ("INVALID_LOGIN: …").
  const code = e.errorCode ?? (e.name && /^[A-Z_]+$/.test(e.name) ? e.name : undefined) ?? e.code ?? /^([A-Z][A-Z_]{4,}):/.exec(e.message ?? '')?.[1];
  const message = `Salesforce: ${e.message ?? String(err)}`.slice(0, 500);
  const status = last?.statusCode;
  const retryAfter = Number(last?.headers['retry-after']);
  const retryAfterMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined;
  if (code === 'REQUEST_LIMIT_EXCEEDED' || status === 429) return new ProviderError('salesforce', 'rate_limited', message, { status, code, retryAfterMs: retryAfterMs ?? 60_000 });
  if (code && /INVALID_LOGIN|INVALID_SESSION_ID|invalid_grant|INVALID_AUTH|LOGIN_MUST_USE_SECURITY_TOKEN|PASSWORD_LOCKOUT|API_DISABLED_FOR_ORG|INVALID_OPERATION_WITH_EXPIRED_PASSWORD/i.test(code)) {
    return new ProviderError('salesforce', 'auth', message, { status, code });
  }
  // A refresh token refused ("Unable to refresh session due to: expired access/refresh token").
  if (/invalid_grant|authentication failure|INVALID_LOGIN|unable to refresh session|expired access\/refresh token/i.test(message)) return new ProviderError('salesforce', 'auth', message, { status, code: code ?? 'invalid_grant' });
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'ENOTFOUND') return new ProviderError('salesforce', 'unavailable', message, { code });
  if (status !== undefined && status >= 500) return new ProviderError('salesforce', 'unavailable', message, { status, code });
  if (status === 401) return new ProviderError('salesforce', 'auth', message, { status, code });
  if (status !== undefined && status >= 400) return new ProviderError('salesforce', 'rejected', message, { status, code });
  return new ProviderError('salesforce', 'unavailable', message, { cause: err, code });
}

/** One batch per answer (queryMore for the next), as many records as Salesforce allows in it. */
const pageOptions = (pageSize: number): QueryOptions => ({
  autoFetch: false,
  maxFetch: 100_000,
  scanAll: false,
  responseTarget: 'QueryResult',
  headers: { 'Sforce-Query-Options': `batchSize=${Math.max(200, Math.min(2000, pageSize))}` },
});

const toRecord = (mapping: ObjectMapping, r: Record<string, unknown>): RemoteRecord => ({
  id: String(r.Id),
  modifiedAt: new Date(String(r[mapping.modifiedField]).replace(/\+0000$/, 'Z')),
  fields: r,
});

/**
 * A Salesforce org through the real `jsforce`: a password login (seed 001) or an OAuth
 * grant refreshed by jsforce itself; an expired session is renewed transparently (jsforce
 * logs in again or refreshes), and a refreshed token is handed to `onToken` to be stored.
 */
export function salesforceClient(settings: SalesforceSettings, creds: SalesforceCredentials, onToken?: (accessToken: string, instanceUrl: string) => Promise<void>): CrmClient {
  const loginUrl = loginUrlFor(settings, creds);
  const conn =
    'username' in creds
      ? new Connection({ loginUrl, version: settings.apiVersion })
      : new Connection({
          loginUrl,
          version: settings.apiVersion,
          instanceUrl: creds.instance_url,
          accessToken: creds.access_token,
          ...(creds.refresh_token ? { refreshToken: creds.refresh_token, oauth2: { loginUrl, clientId: settings.clientId ?? '', clientSecret: settings.clientSecret } } : {}),
        });
  if (onToken) conn.on('refresh', (accessToken: string) => void onToken(accessToken, conn.instanceUrl).catch(() => undefined));

  // jsforce's errors carry neither the status nor the headers: keep the last failed answer
  // (its Retry-After) from the transport it sends everything through.
  let lastFailure: HttpResponse | null = null;
  const transport = (conn as unknown as { _transport: { httpRequest(req: unknown, opts?: unknown): Promise<HttpResponse> } })._transport;
  const send = transport.httpRequest.bind(transport);
  transport.httpRequest = (req, opts) => {
    const answer = send(req, opts);
    answer.then(
      (res) => {
        if (res && res.statusCode >= 400) lastFailure = res;
      },
      () => undefined,
    );
    return answer;
  };

  let loggedIn: Promise<void> | null = null;
  const ready = () => {
    if (!('username' in creds)) return Promise.resolve();
    loggedIn ??= conn
      .login(creds.username, `${creds.password}${creds.security_token ?? ''}`)
      .then(() => undefined)
      .catch((err: unknown) => {
        loggedIn = null;
        throw err;
      });
    return loggedIn;
  };
  async function call<T>(fn: () => Promise<T>): Promise<T> {
    lastFailure = null;
    try {
      await ready();
      return await fn();
    } catch (err) {
      throw asSalesforceError(err, lastFailure);
    }
  }

  return {
    async test() {
      return call(async () => {
        await conn.limits();
        return { account: conn.userInfo?.organizationId ?? conn.instanceUrl };
      });
    },

    async *changes(mapping, from, pageSize) {
      let cursor = { ...from };
      const options = pageOptions(pageSize);
      let page: QueryResult<Record<string, unknown>> = await call(async () => await conn.query<Record<string, unknown>>(changesSoql(mapping, cursor), options));
      for (;;) {
        const records = page.records.map((r) => toRecord(mapping, r));
        const last = records.at(-1);
        if (last) cursor = { ...cursor, ts: last.modifiedAt.toISOString(), id: last.id };
        if (records.length) yield { records, cursor };
        if (page.done || !page.nextRecordsUrl) return;
        const locator = page.nextRecordsUrl;
        page = await call(async () => await conn.queryMore<Record<string, unknown>>(locator, options));
      }
    },

    async deleted(mapping, since, until) {
      try {
        const answer = await call(() => conn.deleted(mapping.object, since, until));
        const earliest = answer.earliestDateAvailable ? new Date(answer.earliestDateAvailable) : null;
        return { ids: answer.deletedRecords.map((d) => d.id), complete: !earliest || earliest.getTime() <= since.getTime() };
      } catch (err) {
        // Asked for further back than the org keeps deletions (about 15 days).
        if (err instanceof ProviderError && err.code === 'INVALID_REPLICATION_DATE') return { ids: [], complete: false };
        throw err;
      }
    },

    async *allIds(mapping, after, pageSize) {
      const options = pageOptions(pageSize);
      const soql = `SELECT Id FROM ${mapping.object}${after ? ` WHERE Id > ${soqlString(after)}` : ''} ORDER BY Id ASC`;
      let page: QueryResult<{ Id: string }> = await call(async () => await conn.query<{ Id: string }>(soql, options));
      for (;;) {
        const ids = page.records.map((r) => String(r.Id));
        if (ids.length) yield { ids, after: ids[ids.length - 1] };
        if (page.done || !page.nextRecordsUrl) return;
        const locator = page.nextRecordsUrl;
        page = await call(async () => await conn.queryMore<{ Id: string }>(locator, options));
      }
    },

    async create(mapping, records) {
      if (!records.length) return [];
      const results = await call(() => conn.sobject(mapping.object).create(records as Array<Record<string, unknown>>, { allOrNone: false }));
      return results.map((r) => (r.success ? { id: r.id } : { id: null, error: r.errors.map((e) => (typeof e === 'string' ? e : e.message)).join('; ').slice(0, 300) }));
    },

    async update(mapping, records) {
      if (!records.length) return [];
      const results = await call(() => conn.sobject(mapping.object).update(records.map((r) => ({ Id: r.id, ...r.fields })) as Array<{ Id: string }>, { allOrNone: false }));
      return results.map((r, i) => (r.success ? { id: records[i].id } : { id: records[i].id, error: r.errors.map((e) => (typeof e === 'string' ? e : e.message)).join('; ').slice(0, 300) }));
    },

    async findBy(mapping, field, values) {
      if (!values.length) return [];
      const soql = `SELECT Id, ${field} FROM ${mapping.object} WHERE ${field} IN (${values.map(soqlString).join(', ')})`;
      const page: QueryResult<Record<string, unknown>> = await call(async () => await conn.query<Record<string, unknown>>(soql, { ...pageOptions(2000), autoFetch: true }));
      return page.records.map((r) => ({ id: String(r.Id), value: String(r[field] ?? '').toLowerCase() }));
    },

    async quota(): Promise<CrmQuota | null> {
      // Every answer's Sforce-Limit-Info header, as jsforce keeps it.
      const usage = (conn.limitInfo as { apiUsage?: { used: number; limit: number } }).apiUsage;
      if (usage) return { remaining: Math.max(0, usage.limit - usage.used), limit: usage.limit };
      const limits = await call(() => conn.limits());
      return { remaining: limits.DailyApiRequests.Remaining, limit: limits.DailyApiRequests.Max };
    },
  };
}

export type { FieldValues };
