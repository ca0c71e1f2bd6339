import { Client } from '@hubspot/api-client';
import type { AssociationSpecAssociationCategoryEnum, FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/objects/index.js';
import type { FieldValues } from '../../lib/crm/fieldMerge.ts';
import type { ObjectMapping } from '../../lib/crm/mappings.ts';
import { ProviderError } from '../errors.ts';
import { HUBSPOT_NOTE_DEAL, joinName, splitName } from '../../lib/crm/mappings.ts';
import type { CrmClient, CrmQuota, Person, PullCursor, RemoteRecord } from './types.ts';

export interface HubSpotSettings {
  /** HUBSPOT_API_URL: another API root (the tests' fake HubSpot); unset, HubSpot's. */
  apiUrl?: string;
}

export interface HubSpotCredentials {
  /** A private app's access token. */
  access_token: string;
}

/** The generated client's operator enum, by its wire value (a type-only import: the enum is not loaded). */
const op = (o: 'GT' | 'GTE' | 'IN') => o as unknown as FilterOperatorEnum;

/** HubSpot's search answers at most 200 records a page. */
const SEARCH_PAGE = 200;
/** Batch writes take at most 100 inputs. */
const BATCH = 100;
/** HubSpot's own association from a deal to a contact. */
const ASSOCIATION_CATEGORY = 'HUBSPOT_DEFINED' as unknown as AssociationSpecAssociationCategoryEnum;
const DEAL_TO_CONTACT = 3;
const NOTE_TO_DEAL = 214;

/** What the client threw, as a ProviderError: HubSpot's status, category and Retry-After. */
export function asHubSpotError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { code?: number | string; body?: unknown; headers?: Record<string, string>; message?: string };
  const status = typeof e.code === 'number' ? e.code : undefined;
  const body = (typeof e.body === 'string' ? safeJson(e.body) : e.body) as { message?: string; category?: string; policyName?: string } | undefined;
  const message = `HubSpot: ${body?.message ?? e.message ?? String(err)}`.slice(0, 500);
  const code = body?.category ?? body?.policyName;
  if (status === 429) {
    const retryAfter = Number(e.headers?.['retry-after']);
    // The daily allowance is gone until midnight in the account's zone; the secondly one in a second or ten.
    const daily = body?.policyName === 'DAILY';
    return new ProviderError('hubspot', 'rate_limited', message, { status, code, retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : daily ? 3_600_000 : 10_000 });
  }
  if (status === 401 || status === 403) return new ProviderError('hubspot', 'auth', message, { status, code: code ?? 'unauthorized' });
  if (status !== undefined && status >= 500) return new ProviderError('hubspot', 'unavailable', message, { status, code });
  if (status !== undefined && status >= 400) return new ProviderError('hubspot', 'rejected', message, { status, code });
  return new ProviderError('hubspot', 'unavailable', message, { cause: err, code: typeof e.code === 'string' ? e.code : undefined });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const toRecord = (mapping: ObjectMapping, r: { id: string; properties: Record<string, string | null>; updatedAt?: Date | string; archived?: boolean }): RemoteRecord => ({
  id: String(r.id),
  modifiedAt: new Date(r.properties[mapping.modifiedField] ?? r.properties.hs_lastmodifieddate ?? r.updatedAt ?? 0),
  fields: r.properties,
  archived: Boolean(r.archived),
});

/** A property value as HubSpot takes it: strings, empty for none. */
const toProperties = (fields: FieldValues): Record<string, string> => Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === null ? '' : String(v)]));

/**
 * A HubSpot account through the real `@hubspot/api-client` (a private app's token).
 * Its own retries are off: Temporal retries, at the pace HubSpot's Retry-After asks.
 */
export function hubspotClient(settings: HubSpotSettings, creds: HubSpotCredentials): CrmClient {
  const client = new Client({ accessToken: creds.access_token, numberOfApiCallRetries: 0, ...(settings.apiUrl ? { basePath: settings.apiUrl.replace(/\/$/, '') } : {}) });
  let lastQuota: CrmQuota | null = null;

  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw asHubSpotError(err);
    }
  }
  /** Each note's deal (its first associated one), as the mapping's `deal_id` field. */
  async function withDeals(records: RemoteRecord[]): Promise<void> {
    const links = await call(() => client.crm.associations.v4.batchApi.getPage('notes', 'deals', { inputs: records.map((r) => ({ id: r.id })) }));
    const dealOf = new Map(links.results.filter((l) => l.to[0]).map((l) => [String(l._from.id), String(l.to[0].toObjectId)]));
    for (const r of records) r.fields = { ...r.fields, [HUBSPOT_NOTE_DEAL]: dealOf.get(r.id) ?? null };
  }
  /** The record's properties as HubSpot takes them: a note's deal is an association, and a new note needs its time. */
  const propertiesOf = (mapping: ObjectMapping, r: FieldValues, creating: boolean): Record<string, string> => {
    if (mapping.object !== 'notes') return toProperties(r);
    const { [HUBSPOT_NOTE_DEAL]: _deal, ...rest } = r;
    return toProperties(creating ? { ...rest, hs_timestamp: new Date().toISOString() } : rest);
  };

  /** A GET outside the generated APIs (`apiRequest` answers failures rather than throwing them). */
  async function getJson<T>(path: string): Promise<T> {
    return call(async () => {
      const res = await client.apiRequest({ method: 'GET', path });
      const text = await res.text();
      if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { code: res.status, body: text, headers: Object.fromEntries(res.headers.entries()) });
      return JSON.parse(text) as T;
    });
  }

  return {
    async test() {
      const details = await getJson<{ portalId?: number }>('/account-info/v3/details');
      return { account: `portal ${details.portalId ?? 'unknown'}` };
    },

    /**
     * Each page is a fresh search: changed since the window opened, id past the last one
     * passed, in id order. HubSpot's search answers no further than 10,000 results into one
     * query, so paging by `after` would stop there; windowing on the id never reaches it.
     */
    async *changes(mapping, from, _pageSize) {
      let cursor: PullCursor = { ...from };
      for (;;) {
        const filters = [
          ...(cursor.since ? [{ propertyName: mapping.modifiedField, operator: op('GTE'), value: String(new Date(cursor.since).getTime()) }] : []),
          ...(cursor.id ? [{ propertyName: 'hs_object_id', operator: op('GT'), value: cursor.id }] : []),
        ];
        const page = await call(() =>
          client.crm.objects.searchApi.doSearch(mapping.object, {
            filterGroups: filters.length ? [{ filters }] : [],
            sorts: ['hs_object_id'],
            properties: [mapping.modifiedField, ...mapping.fields],
            limit: SEARCH_PAGE,
            after: '0',
          }),
        );
        const records = page.results.map((r) => toRecord(mapping, r));
        if (!records.length) return;
        if (mapping.object === 'notes') await withDeals(records);
        const last = records[records.length - 1];
        const newest = records.reduce((m, r) => (r.modifiedAt > m ? r.modifiedAt : m), new Date(cursor.ts ?? 0));
        cursor = { ...cursor, ts: newest.toISOString(), id: last.id };
        yield { records, cursor };
        if (records.length < SEARCH_PAGE) return;
      }
    },

    /** HubSpot keeps archived records listable (no window): the ones archived are read in full every time. */
    async deleted(mapping) {
      const ids: string[] = [];
      let after: string | undefined;
      do {
        const page = await call(() => client.crm.objects.basicApi.getPage(mapping.object, 100, after, ['hs_object_id'], undefined, undefined, true));
        ids.push(...page.results.map((r) => String(r.id)));
        after = page.paging?.next?.after;
      } while (after);
      return { ids, complete: true };
    },

    async *allIds(mapping, after, _pageSize) {
      let next: string | undefined = after ?? undefined;
      do {
        const page = await call(() => client.crm.objects.basicApi.getPage(mapping.object, 100, next, ['hs_object_id'], undefined, undefined, false));
        const ids = page.results.map((r) => String(r.id));
        next = page.paging?.next?.after;
        if (ids.length) yield { ids, after: next ?? ids[ids.length - 1] };
      } while (next);
    },

    async create(mapping, records, people) {
      const out: Array<{ id: string | null; error?: string }> = [];
      for (let i = 0; i < records.length; i += BATCH) {
        const chunk = records.slice(i, i + BATCH);
        const associations = (r: FieldValues, j: number) => {
          const to = mapping.object === 'notes' ? r[HUBSPOT_NOTE_DEAL] : people?.[i + j];
          const type = mapping.object === 'notes' ? NOTE_TO_DEAL : DEAL_TO_CONTACT;
          return to ? [{ to: { id: String(to) }, types: [{ associationCategory: ASSOCIATION_CATEGORY, associationTypeId: type }] }] : [];
        };
        const res = await call(() => client.crm.objects.batchApi.create(mapping.object, { inputs: chunk.map((r, j) => ({ properties: propertiesOf(mapping, r, true), associations: associations(r, j) })) }));
        // HubSpot answers a batch's results in no promised order: match them back by what was sent.
        const unmatched = [...res.results];
        for (const r of chunk) {
          const key = mapping.object === 'contacts' ? 'email' : mapping.fields[0];
          const at = unmatched.findIndex((x) => (x.properties[key] ?? '') === (r[key] === null || r[key] === undefined ? '' : String(r[key])));
          const hit = at >= 0 ? unmatched.splice(at, 1)[0] : undefined;
          out.push(hit ? { id: String(hit.id) } : { id: null, error: 'HubSpot did not create it' });
        }
      }
      return out;
    },

    async update(mapping, records) {
      const out: Array<{ id: string; error?: string }> = [];
      for (let i = 0; i < records.length; i += BATCH) {
        const chunk = records.slice(i, i + BATCH);
        await call(() => client.crm.objects.batchApi.update(mapping.object, { inputs: chunk.map((r) => ({ id: r.id, properties: propertiesOf(mapping, r.fields, false) })) }));
        out.push(...chunk.map((r) => ({ id: r.id })));
      }
      return out;
    },

    async findBy(mapping, field, values) {
      if (!values.length) return [];
      const page = await call(() =>
        client.crm.objects.searchApi.doSearch(mapping.object, { filterGroups: [{ filters: [{ propertyName: field, operator: op('IN'), values }] }], properties: [field], limit: SEARCH_PAGE, after: '0', sorts: [] }),
      );
      return page.results.map((r) => ({ id: String(r.id), value: String(r.properties[field] ?? '').toLowerCase() }));
    },

    async peopleOf(_mapping, ids) {
      const out = new Map<string, Person>();
      if (!ids.length) return out;
      const links = await call(() => client.crm.associations.v4.batchApi.getPage('deals', 'contacts', { inputs: ids.map((id) => ({ id })) }));
      const contactOf = new Map<string, string>();
      for (const r of links.results) {
        const first = r.to[0];
        if (first) contactOf.set(String(r._from.id), String(first.toObjectId));
      }
      const contactIds = [...new Set(contactOf.values())];
      if (!contactIds.length) return out;
      const people = await call(() => client.crm.objects.batchApi.read('contacts', { inputs: contactIds.map((id) => ({ id })), properties: ['firstname', 'lastname', 'email', 'phone', 'company'], propertiesWithHistory: [] }));
      const byId = new Map(people.results.map((p) => [String(p.id), p.properties]));
      for (const [deal, contact] of contactOf) {
        const p = byId.get(contact);
        if (p) out.set(deal, { name: joinName(p.firstname, p.lastname), email: p.email?.toLowerCase() || null, phone: p.phone || null, organization: p.company || null });
      }
      return out;
    },

    /** Contacts by email (an upsert: found, else made); people with no email are made. */
    async ensurePeople(people) {
      const props = (p: Person) => {
        const { first, last } = splitName(p.name);
        return toProperties({ firstname: first, lastname: last, email: p.email, phone: p.phone, company: p.organization });
      };
      const out: Array<string | null> = people.map(() => null);
      const withEmail = people.map((p, i) => ({ p, i })).filter(({ p }) => p.email);
      for (let k = 0; k < withEmail.length; k += BATCH) {
        const chunk = withEmail.slice(k, k + BATCH);
        const res = await call(() => client.crm.objects.batchApi.upsert('contacts', { inputs: chunk.map(({ p }) => ({ idProperty: 'email', id: String(p.email), properties: props(p) })) }));
        const byEmail = new Map(res.results.map((r) => [String(r.properties.email ?? '').toLowerCase(), String(r.id)]));
        for (const { p, i } of chunk) out[i] = byEmail.get(String(p.email).toLowerCase()) ?? null;
      }
      const without = people.map((p, i) => ({ p, i })).filter(({ p }) => !p.email && p.name);
      for (let k = 0; k < without.length; k += BATCH) {
        const chunk = without.slice(k, k + BATCH);
        const res = await call(() => client.crm.objects.batchApi.create('contacts', { inputs: chunk.map(({ p }) => ({ properties: props(p), associations: [] })) }));
        chunk.forEach(({ i }, j) => (out[i] = res.results[j] ? String(res.results[j].id) : null));
      }
      return out;
    },

    async quota() {
      try {
        const body = await getJson<{ results?: Array<{ usageLimit: number; currentUsage: number }> }>('/account-info/v3/api-usage/daily/private-apps');
        const usage = body.results?.[0];
        if (usage) lastQuota = { remaining: Math.max(0, usage.usageLimit - usage.currentUsage), limit: usage.usageLimit };
      } catch {
        // Not every token may read the usage: the quota stays as last seen.
      }
      return lastQuota;
    },
  };
}
