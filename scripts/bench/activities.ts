// The baselines' activities: no work beyond the I/O being compared, so a bare run costs
// what Temporal, the worker and that I/O charge.
import { Context } from '@temporalio/activity';
import { Connection } from 'jsforce';
import type { QueryResult } from 'jsforce/lib/query.js';
import pg from 'pg';

export interface BenchItem {
  i: number;
}

/** The calendar benchmark's baseline input: the same fake Google, token and page size as the product's sync. */
export interface BenchPullInput {
  apiUrl: string;
  accessToken: string;
  pageSize: number;
  table: string;
}

/** The CRM sync benchmark's baseline input: the same fake Salesforce, login and page size as the product's sync. */
export interface BenchCrmInput {
  loginUrl: string;
  username: string;
  password: string;
  pageSize: number;
  table: string;
}

export function createBenchActivities() {
  const pool = process.env.DATABASE_URL ? new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 }) : null;
  return {
    /** Stands in for classifyMessage. */
    async benchFirst(item: BenchItem): Promise<BenchItem> {
      return item;
    },
    /** Stands in for applyTriage. */
    async benchSecond(item: BenchItem): Promise<BenchItem> {
      return item;
    },
    /** The reminder benchmark's baseline: when it fired. */
    async benchFire(): Promise<number> {
      return Date.now();
    },
    /** The webhook benchmark's baseline: a plain POST, no signing, no bookkeeping. */
    async benchPost({ url, id }: { url: string; id: string }): Promise<number> {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': id }, body: JSON.stringify({ id }) });
      await res.arrayBuffer();
      return res.status;
    },
    /**
     * The calendar benchmark's baseline: page through the events list with plain fetch
     * and store each page with one multi-row INSERT (no mapping, no events, no ORM),
     * heartbeating per page like the product. Returns the events stored.
     */
    async benchCalendarPull(input: BenchPullInput): Promise<number> {
      if (!pool) throw new Error('DATABASE_URL is required');
      let pageToken: string | undefined;
      let stored = 0;
      do {
        const url = new URL('calendar/v3/calendars/primary/events', input.apiUrl);
        url.searchParams.set('maxResults', String(input.pageSize));
        url.searchParams.set('singleEvents', 'true');
        url.searchParams.set('showDeleted', 'true');
        if (pageToken) url.searchParams.set('pageToken', pageToken);
        const res = await fetch(url, { headers: { authorization: `Bearer ${input.accessToken}` } });
        const page = (await res.json()) as { items: Array<{ id: string; summary?: string; start?: { dateTime?: string } }>; nextPageToken?: string };
        await pool.query(
          `insert into ${input.table} (id, title, starts_at) select * from unnest($1::text[], $2::text[], $3::timestamptz[]) on conflict (id) do nothing`,
          [page.items.map((e) => e.id), page.items.map((e) => e.summary ?? ''), page.items.map((e) => e.start?.dateTime ?? null)],
        );
        stored += page.items.length;
        pageToken = page.nextPageToken;
        Context.current().heartbeat(stored);
      } while (pageToken);
      return stored;
    },
    /**
     * The CRM sync benchmark's baseline: the same `jsforce` login and query/queryMore pages
     * as the product, each page stored with one multi-row INSERT (no mapping, no merge, no
     * links), heartbeating per page. Returns the records stored.
     */
    async benchCrmPull(input: BenchCrmInput): Promise<number> {
      if (!pool) throw new Error('DATABASE_URL is required');
      const conn = new Connection({ loginUrl: input.loginUrl, version: '62.0' });
      await conn.login(input.username, input.password);
      const options = { autoFetch: false, maxFetch: 100_000, scanAll: false, responseTarget: 'QueryResult' as const, headers: { 'Sforce-Query-Options': `batchSize=${input.pageSize}` } };
      let page: QueryResult<Record<string, string>> = await conn.query<Record<string, string>>('SELECT Id, SystemModstamp, FirstName, LastName, Email, Phone, Title FROM Contact ORDER BY SystemModstamp ASC, Id ASC', options);
      let stored = 0;
      for (;;) {
        await pool.query(`insert into ${input.table} (id, name, email) select * from unnest($1::text[], $2::text[], $3::text[]) on conflict (id) do nothing`, [
          page.records.map((r) => r.Id),
          page.records.map((r) => `${r.FirstName ?? ''} ${r.LastName}`),
          page.records.map((r) => r.Email),
        ]);
        stored += page.records.length;
        Context.current().heartbeat(stored);
        if (page.done || !page.nextRecordsUrl) return stored;
        const locator = page.nextRecordsUrl;
        page = await conn.queryMore<Record<string, string>>(locator, options);
      }
    },
  };
}

export type BenchActivities = ReturnType<typeof createBenchActivities>;
