import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server that speaks the parts of HubSpot's CRM v3 API the product reaches through
 * the real `@hubspot/api-client` (`new Client({ accessToken, basePath: url })`), written
 * from HubSpot's public references and from what the client sends:
 *
 * - objects (`contacts`, `deals`, `notes`, `companies`, and any type seeded): basic
 *   create / get / update / archive and `getPage` (`GET /crm/v3/objects/<type>`, paged by
 *   id, `archived=true` lists the archived ones), batch create / read / update / upsert /
 *   archive (at most 100 inputs), search (`POST …/search`: filterGroups ORed, filters
 *   ANDed, one sort, at most 200 a page and never past the 10,000th result);
 * - associations given on create (and the v4 read / default-create paths);
 * - `account-info/v3/details` and the private app's daily usage;
 * - 401 `INVALID_AUTHENTICATION` / `EXPIRED_AUTHENTICATION`, a contact's email is unique
 *   (409 CONFLICT), the `X-HubSpot-RateLimit-*` headers on every answer, and injected
 *   failures (`failNext`).
 *
 * A search's filtered, sorted result is kept (until the type's data changes) under the
 * request's filters and sort, so every further page of it costs O(page). Change records
 * through the helpers or by `set`ting a new object into `objects.get(type)`: a stored
 * record edited in place is not noticed by a cached search.
 */

export type HsProperties = Record<string, string | null>;
export interface HsRecord {
  id: string;
  properties: HsProperties;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}
export interface HsAssociation {
  toType: string;
  toId: string;
  typeId: number;
  category: string;
}
export interface HsFault {
  status: number;
  /** JSON-encoded unless a string; default: HubSpot's error body for the status. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Only requests whose path (and query) this matches are failed; default: any request. */
  match?: string | RegExp;
}
type PropertyInput = Record<string, string | number | boolean | null | undefined>;

/** A Map that counts its changes, so cached search results know when they are stale. */
class VersionedMap<K, V> extends Map<K, V> {
  version = 0;
  override set(key: K, value: V): this {
    this.version++;
    return super.set(key, value);
  }
  override delete(key: K): boolean {
    this.version++;
    return super.delete(key);
  }
  override clear(): void {
    this.version++;
    super.clear();
  }
}

/** HubSpot's built-in association types: id → [from type, to type], and each one's inverse. */
const ASSOCIATION_TYPES: Record<number, [string, string, number]> = {
  1: ['contacts', 'companies', 2],
  2: ['companies', 'contacts', 1],
  3: ['deals', 'contacts', 4],
  4: ['contacts', 'deals', 3],
  5: ['deals', 'companies', 6],
  6: ['companies', 'deals', 5],
  189: ['companies', 'notes', 190],
  190: ['notes', 'companies', 189],
  201: ['contacts', 'notes', 202],
  202: ['notes', 'contacts', 201],
  213: ['deals', 'notes', 214],
  214: ['notes', 'deals', 213],
  279: ['contacts', 'companies', 280],
  280: ['companies', 'contacts', 279],
  341: ['deals', 'companies', 342],
  342: ['companies', 'deals', 341],
};
const TYPE_ALIASES: Record<string, string> = { contact: 'contacts', '0-1': 'contacts', company: 'companies', '0-2': 'companies', deal: 'deals', '0-3': 'deals', note: 'notes', '0-46': 'notes' };
const SINGULAR: Record<string, string> = { contacts: 'contact', companies: 'company', deals: 'deal', notes: 'note' };
const ENGAGEMENTS = new Set(['notes', 'calls', 'emails', 'meetings', 'tasks', 'communications', 'postal_mail']);
const DEFAULT_PROPERTIES: Record<string, string[]> = {
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  companies: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
  deals: ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'],
  notes: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};
const SEARCHABLE = ['email', 'firstname', 'lastname', 'phone', 'company', 'name', 'domain', 'dealname', 'hs_note_body'];
const MAX_SEARCH_LIMIT = 200;
const MAX_SEARCH_RESULTS = 10_000;
const MAX_BATCH = 100;

/** Contacts keep both `lastmodifieddate` and `hs_lastmodifieddate`; other objects only the latter. */
export const modifiedPropertiesOf = (type: string) => (type === 'contacts' ? ['lastmodifieddate', 'hs_lastmodifieddate'] : ['hs_lastmodifieddate']);
/** Engagements (notes…) are created at `hs_createdate`, the rest at `createdate`. */
export const createdPropertyOf = (type: string) => (ENGAGEMENTS.has(type) ? 'hs_createdate' : 'createdate');

const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const NUM_RE = /^-?\d+(?:\.\d+)?$/;
/** How HubSpot compares a value: numbers and instants (ISO or epoch millis) numerically, text case-insensitively. */
function comparable(v: string | null | undefined): number | string | null {
  if (v === null || v === undefined || v === '') return null;
  if (NUM_RE.test(v)) return Number(v);
  if (ISO_RE.test(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  return v.toLowerCase();
}
function compare(a: number | string, b: number | string): number {
  if (typeof a !== typeof b) {
    const x = String(a);
    const y = String(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const asString = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

class HttpError extends Error {
  status: number;
  body: unknown;
  constructor(status: number, body: unknown) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}
const hsError = (category: string, message: string, extra: Record<string, unknown> = {}) => ({ status: 'error', message, correlationId: randomUUID(), category, ...extra });
const validation = (message: string) => new HttpError(400, hsError('VALIDATION_ERROR', message));
const notFound = (message = 'resource not found') => new HttpError(404, hsError('OBJECT_NOT_FOUND', message));

export async function startFakeHubSpot() {
  /** The private app's access token the fake accepts from the start. */
  const token = `pat-na1-${randomUUID()}`;
  const tokens = new Set<string>([token]);
  /** OAuth access tokens that have expired (401 EXPIRED_AUTHENTICATION). */
  const expiredTokens = new Set<string>();
  const objects = new Map<string, VersionedMap<string, HsRecord>>();
  /** `${type}:${id}` → its associations (both directions are stored). */
  const associations = new Map<string, HsAssociation[]>();
  const apiUsage = { used: 0, max: 500_000 };
  const account = { portalId: 12345, accountType: 'STANDARD', timeZone: 'US/Eastern', companyCurrency: 'USD', additionalCurrencies: [] as string[], utcOffset: '-05:00', utcOffsetMilliseconds: -18_000_000, uiDomain: 'app.hubspot.com', dataHostingLocation: 'na1' };
  const calls = { total: 0, search: 0, list: 0, get: 0, create: 0, update: 0, archive: 0, batchCreate: 0, batchRead: 0, batchUpdate: 0, batchUpsert: 0, batchArchive: 0, associations: 0, accountInfo: 0, usage: 0, unauthorized: 0, failed: 0 };
  const requests: Array<{ method: string; path: string; headers: IncomingMessage['headers']; body: unknown }> = [];
  const faults: Array<HsFault & { remaining: number }> = [];
  /** Settings a test may change: batch results' order (HubSpot does not promise input order) and the search rate limit (HubSpot: 5 a second; null: not enforced). */
  /** `searchCap`: how far into one query search answers (HubSpot's 10,000; a test may lower it to page past it cheaply). */
  const settings: { batchOrder: 'input' | 'reversed'; searchPerSecond: number | null; delayMs: number; searchCap: number } = { batchOrder: 'input', searchPerSecond: null, delayMs: 0, searchCap: MAX_SEARCH_RESULTS };
  const idLists = new Map<string, number[]>();
  const searchCache = new Map<string, { version: number; rows: HsRecord[] }>();
  const emailIndex = { version: -1, byEmail: new Map<string, string>() };
  let seq = 0;
  let lastStamp = 0;
  let rate = { start: 0, count: 0, searches: 0 };

  const typeOf = (raw: string) => TYPE_ALIASES[raw] ?? raw;
  const ensureType = (type: string) => {
    const current: Map<string, HsRecord> | undefined = objects.get(type);
    if (current instanceof VersionedMap) return current;
    // New, or a plain Map a test put there: keep its records, counting changes from now on.
    const map = new VersionedMap<string, HsRecord>();
    for (const [k, v] of current ?? []) map.set(k, v);
    objects.set(type, map);
    idLists.set(type, [...map.keys()].map(Number).filter(Number.isFinite).sort((a, b) => a - b));
    return map;
  };
  for (const t of ['contacts', 'companies', 'deals', 'notes']) ensureType(t);
  const knownType = (raw: string) => {
    const type = typeOf(raw);
    if (!objects.has(type)) throw new HttpError(400, hsError('VALIDATION_ERROR', `Unable to infer object type from: ${raw}`));
    return type;
  };
  const nextStamp = () => {
    lastStamp = Math.max(Date.now(), lastStamp + 1);
    return lastStamp;
  };
  const iso = (ms: number) => new Date(ms).toISOString();
  const cleanProps = (props: unknown): HsProperties => {
    const out: HsProperties = {};
    if (!isObject(props)) return out;
    for (const [k, v] of Object.entries(props)) if (v !== undefined) out[k] = asString(v);
    return out;
  };

  // --- records ------------------------------------------------------------------------
  const emails = () => {
    const map = ensureType('contacts');
    if (emailIndex.version !== map.version) {
      emailIndex.byEmail.clear();
      for (const r of map.values()) {
        const e = r.properties.email;
        if (e && !r.archived) emailIndex.byEmail.set(e.toLowerCase(), r.id);
      }
      emailIndex.version = map.version;
    }
    return emailIndex.byEmail;
  };
  /** Stores a record; keeps the email index current when it was current before. */
  const store = (type: string, rec: HsRecord, previousEmail?: string | null) => {
    const map = ensureType(type);
    const fresh = type === 'contacts' && emailIndex.version === map.version;
    map.set(rec.id, rec);
    if (fresh) {
      if (previousEmail) emailIndex.byEmail.delete(previousEmail.toLowerCase());
      const e = rec.properties.email;
      if (e && !rec.archived) emailIndex.byEmail.set(e.toLowerCase(), rec.id);
      emailIndex.version = map.version;
    }
    return rec;
  };
  const make = (type: string, props: HsProperties, at: number): HsRecord => {
    const id = String(++seq);
    const when = iso(at);
    const properties: HsProperties = { ...props, hs_object_id: id, [createdPropertyOf(type)]: when };
    for (const p of modifiedPropertiesOf(type)) properties[p] = when;
    ensureType(type);
    idLists.get(type)?.push(Number(id));
    return store(type, { id, properties, createdAt: when, updatedAt: when, archived: false });
  };
  const change = (type: string, rec: HsRecord, props: HsProperties, at: number): HsRecord => {
    const when = iso(at);
    const properties: HsProperties = { ...rec.properties, ...props, hs_object_id: rec.id };
    for (const p of modifiedPropertiesOf(type)) properties[p] = when;
    return store(type, { ...rec, properties, updatedAt: when }, rec.properties.email);
  };
  const archiveRecord = (type: string, rec: HsRecord, at: number) => {
    const when = iso(at);
    return store(type, { ...rec, archived: true, archivedAt: when, updatedAt: when }, rec.properties.email);
  };
  /** The live record (or, with `archived`, the archived one) of this id or unique property value. */
  const find = (type: string, id: string, opts: { archived?: boolean; idProperty?: string } = {}) => {
    const map = ensureType(type);
    let rec: HsRecord | undefined;
    if (!opts.idProperty || opts.idProperty === 'hs_object_id') rec = map.get(id);
    else if (type === 'contacts' && opts.idProperty === 'email') {
      const found = emails().get(id.toLowerCase());
      rec = found ? map.get(found) : undefined;
    } else {
      for (const r of map.values()) {
        if (r.properties[opts.idProperty] === id) {
          rec = r;
          break;
        }
      }
    }
    return rec && rec.archived === (opts.archived ?? false) ? rec : undefined;
  };
  /** A CONFLICT when these contacts' emails are taken (by others, or twice in one batch). */
  const checkEmails = (items: Array<{ email: string | null | undefined; self?: string }>) => {
    const index = emails();
    const seen = new Map<string, string | undefined>();
    for (const { email, self } of items) {
      if (!email) continue;
      const e = email.toLowerCase();
      const owner = index.get(e);
      if (owner && owner !== self) throw new HttpError(409, hsError('CONFLICT', `Contact already exists. Existing ID: ${owner}`));
      if (seen.has(e) && seen.get(e) !== self) throw new HttpError(400, hsError('VALIDATION_ERROR', `Duplicate email in the batch: ${email}`));
      seen.set(e, self);
    }
  };

  // --- associations -------------------------------------------------------------------
  type AssociationInput = { toId: string; typeId: number; category: string };
  const parseAssociations = (type: string, raw: unknown): AssociationInput[] => {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) throw validation('associations must be an array');
    const out: AssociationInput[] = [];
    for (const a of raw as unknown[]) {
      const to = isObject(a) && isObject(a.to) ? asString(a.to.id) : '';
      const types = isObject(a) && Array.isArray(a.types) ? (a.types as unknown[]) : [];
      for (const t of types) {
        const typeId = isObject(t) ? Number(t.associationTypeId) : NaN;
        const category = isObject(t) ? asString(t.associationCategory) || 'HUBSPOT_DEFINED' : 'HUBSPOT_DEFINED';
        const spec = ASSOCIATION_TYPES[typeId];
        if (!spec || spec[0] !== type) throw validation(`association type id ${typeId} does not go from ${type}`);
        if (!find(spec[1], to)) throw validation(`${SINGULAR[spec[1]] ?? spec[1]} ${to} is not valid: it does not exist`);
        out.push({ toId: to, typeId, category });
      }
    }
    return out;
  };
  const link = (type: string, id: string, a: AssociationInput) => {
    const [from, toType, inverse] = ASSOCIATION_TYPES[a.typeId];
    const add = (key: string, assoc: HsAssociation) => {
      const list = associations.get(key) ?? [];
      if (!list.some((x) => x.toId === assoc.toId && x.typeId === assoc.typeId)) list.push(assoc);
      associations.set(key, list);
    };
    add(`${from}:${id}`, { toType, toId: a.toId, typeId: a.typeId, category: a.category });
    add(`${toType}:${a.toId}`, { toType: type, toId: id, typeId: inverse, category: a.category });
  };

  // --- views --------------------------------------------------------------------------
  const alwaysReturned = (type: string) => ['hs_object_id', createdPropertyOf(type), ...modifiedPropertiesOf(type)];
  const pick = (rec: HsRecord, type: string, requested: string[] | null): HsProperties => {
    const names = requested && requested.length ? [...new Set([...requested, ...alwaysReturned(type)])] : (DEFAULT_PROPERTIES[type] ?? alwaysReturned(type));
    const out: HsProperties = {};
    for (const n of names) out[n] = rec.properties[n] ?? null;
    return out;
  };
  const view = (rec: HsRecord, type: string, requested: string[] | null | 'all', withAssociations: string[] = []) => {
    const out: Record<string, unknown> = { id: rec.id, properties: requested === 'all' ? { ...rec.properties } : pick(rec, type, requested), createdAt: rec.createdAt, updatedAt: rec.updatedAt, archived: rec.archived };
    if (rec.archivedAt) out.archivedAt = rec.archivedAt;
    const assoc: Record<string, unknown> = {};
    for (const raw of withAssociations) {
      const toType = typeOf(raw);
      const list = (associations.get(`${type}:${rec.id}`) ?? []).filter((a) => a.toType === toType);
      if (list.length) assoc[raw] = { results: list.map((a) => ({ id: a.toId, type: `${SINGULAR[type] ?? type}_to_${SINGULAR[toType] ?? toType}` })) };
    }
    if (Object.keys(assoc).length) out.associations = assoc;
    return out;
  };
  const ordered = <T>(items: T[]) => (settings.batchOrder === 'reversed' ? [...items].reverse() : items);
  const listParam = (url: URL, name: string) => {
    const all = url.searchParams.getAll(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
    return all.length ? all : null;
  };
  const stringList = (v: unknown): string[] | null => (Array.isArray(v) ? (v as unknown[]).map(asString).filter(Boolean) : null);
  const batchInputs = (body: unknown): Array<Record<string, unknown>> => {
    if (!isObject(body) || !Array.isArray(body.inputs)) throw validation('Invalid input JSON: inputs is required');
    const inputs = body.inputs as unknown[];
    if (inputs.length > MAX_BATCH) throw validation(`Too many inputs: ${inputs.length}, the maximum is ${MAX_BATCH}`);
    return inputs.map((i) => (isObject(i) ? i : {}));
  };
  const batchAnswer = (results: unknown[], errors: unknown[], startedAt: string) => ({
    status: 'COMPLETE',
    results: ordered(results),
    ...(errors.length ? { numErrors: errors.length, errors } : {}),
    startedAt,
    completedAt: new Date().toISOString(),
  });
  const notFoundError = (type: string, ids: string[]) => ({ status: 'error', category: 'OBJECT_NOT_FOUND', message: `Could not get some ${(SINGULAR[type] ?? type).toUpperCase()} objects, they may be deleted or not exist. Check that ids are valid.`, context: { ids }, errors: [] });

  // --- search -------------------------------------------------------------------------
  type Test = (r: HsRecord) => boolean;
  function compileFilter(f: unknown): Test {
    if (!isObject(f)) throw validation('a filter must be an object');
    const prop = asString(f.propertyName);
    const op = asString(f.operator).toUpperCase();
    if (!prop) throw validation('filter propertyName is required');
    const get = (r: HsRecord) => (prop === 'hs_object_id' ? r.id : r.properties[prop]);
    const one = comparable(asString(f.value));
    const cmp = (r: HsRecord, pass: (c: number) => boolean, absent = false) => {
      const a = comparable(get(r));
      if (a === null || one === null) return absent;
      return pass(compare(a, one));
    };
    switch (op) {
      case 'EQ':
        return (r) => cmp(r, (c) => c === 0);
      case 'NEQ':
        return (r) => cmp(r, (c) => c !== 0, true);
      case 'GT':
        return (r) => cmp(r, (c) => c > 0);
      case 'GTE':
        return (r) => cmp(r, (c) => c >= 0);
      case 'LT':
        return (r) => cmp(r, (c) => c < 0);
      case 'LTE':
        return (r) => cmp(r, (c) => c <= 0);
      case 'BETWEEN': {
        const high = comparable(asString(f.highValue));
        return (r) => {
          const a = comparable(get(r));
          return a !== null && one !== null && high !== null && compare(a, one) >= 0 && compare(a, high) <= 0;
        };
      }
      case 'IN':
      case 'NOT_IN': {
        const values = (stringList(f.values) ?? []).map(comparable).filter((v): v is number | string => v !== null);
        if (!values.length) throw validation(`${op} needs values`);
        return (r) => {
          const a = comparable(get(r));
          const hit = a !== null && values.some((v) => compare(a, v) === 0);
          return op === 'IN' ? hit : !hit;
        };
      }
      case 'HAS_PROPERTY':
        return (r) => comparable(get(r)) !== null;
      case 'NOT_HAS_PROPERTY':
        return (r) => comparable(get(r)) === null;
      case 'CONTAINS_TOKEN':
      case 'NOT_CONTAINS_TOKEN': {
        const token = asString(f.value).toLowerCase();
        const re = new RegExp(`(^|[^a-z0-9])${token.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^ ]*')}($|[^a-z0-9])`);
        return (r) => {
          const hit = re.test((get(r) ?? '').toLowerCase());
          return op === 'CONTAINS_TOKEN' ? hit : !hit;
        };
      }
      default:
        throw validation(`Unknown filter operator: ${op}`);
    }
  }

  function search(type: string, body: unknown) {
    calls.search++;
    if (!isObject(body)) throw validation('Invalid input JSON');
    const limit = body.limit === undefined ? 10 : Number(body.limit);
    if (!Number.isInteger(limit) || limit < 1) throw validation(`limit must be a positive integer, was ${asString(body.limit)}`);
    if (limit > MAX_SEARCH_LIMIT) throw validation(`limit: must be less than or equal to ${MAX_SEARCH_LIMIT}, was ${limit}`);
    const after = body.after === undefined || body.after === null || body.after === '' ? 0 : Number(body.after);
    if (!Number.isInteger(after) || after < 0) throw validation(`after must be a non-negative integer, was ${asString(body.after)}`);
    if (after + limit > settings.searchCap) throw validation(`Search results are limited to ${settings.searchCap} records: after (${after}) + limit (${limit}) is past the ${settings.searchCap}th result. Narrow the filters instead of paging further.`);
    const groups = body.filterGroups === undefined ? [] : body.filterGroups;
    if (!Array.isArray(groups)) throw validation('filterGroups must be an array');
    if (groups.length > 5) throw validation(`Too many filter groups: ${groups.length}, the maximum is 5`);
    let total = 0;
    for (const g of groups as unknown[]) {
      const n = isObject(g) && Array.isArray(g.filters) ? g.filters.length : 0;
      if (n > 6) throw validation(`Too many filters in a group: ${n}, the maximum is 6`);
      total += n;
    }
    if (total > 18) throw validation(`Too many filters: ${total}, the maximum is 18`);
    const sorts = body.sorts === undefined ? [] : body.sorts;
    if (!Array.isArray(sorts)) throw validation('sorts must be an array');
    if (sorts.length > 1) throw validation('Only one sort is allowed');
    const query = typeof body.query === 'string' ? body.query.trim().toLowerCase() : '';

    const map = ensureType(type);
    const key = JSON.stringify([type, groups, sorts, query]);
    let entry = searchCache.get(key);
    if (!entry || entry.version !== map.version) {
      const tests = (groups as unknown[]).map((g) => {
        const filters = isObject(g) && Array.isArray(g.filters) ? (g.filters as unknown[]).map(compileFilter) : [];
        return (r: HsRecord) => filters.every((t) => t(r));
      });
      const rows: HsRecord[] = [];
      for (const r of map.values()) {
        if (r.archived) continue;
        if (tests.length && !tests.some((t) => t(r))) continue;
        if (query && !SEARCHABLE.some((p) => (r.properties[p] ?? '').toLowerCase().includes(query))) continue;
        rows.push(r);
      }
      const sort = sorts[0] as unknown;
      let prop = 'hs_object_id';
      let desc = false;
      if (typeof sort === 'string') {
        desc = sort.startsWith('-');
        prop = sort.replace(/^-/, '');
      } else if (isObject(sort)) {
        prop = asString(sort.propertyName) || 'hs_object_id';
        desc = asString(sort.direction).toUpperCase() === 'DESCENDING';
      }
      const decorated = rows.map((r) => ({ r, k: comparable(prop === 'hs_object_id' ? r.id : r.properties[prop]), id: Number(r.id) }));
      decorated.sort((a, b) => {
        if (a.k !== b.k) {
          if (a.k === null) return desc ? 1 : -1;
          if (b.k === null) return desc ? -1 : 1;
          const c = compare(a.k, b.k);
          if (c !== 0) return desc ? -c : c;
        }
        return a.id - b.id;
      });
      entry = { version: map.version, rows: decorated.map((d) => d.r) };
      searchCache.delete(key);
      searchCache.set(key, entry);
      while (searchCache.size > 32) searchCache.delete(searchCache.keys().next().value as string);
    }
    const requested = stringList(body.properties);
    const rows = entry.rows.slice(after, after + limit);
    const next = after + rows.length;
    return {
      total: entry.rows.length,
      results: rows.map((r) => view(r, type, requested)),
      ...(next < entry.rows.length ? { paging: { next: { after: String(next), link: `?after=${next}` } } } : {}),
    };
  }

  function list(type: string, url: URL) {
    calls.list++;
    const limit = Math.max(1, Math.min(100, Number(url.searchParams.get('limit') ?? 10) || 10));
    const afterText = url.searchParams.get('after');
    const after = afterText ? Number(afterText) : 0;
    if (!Number.isFinite(after)) throw validation(`after must be a paging cursor, was ${afterText}`);
    const archived = url.searchParams.get('archived') === 'true';
    const requested = listParam(url, 'properties');
    const withAssociations = listParam(url, 'associations') ?? [];
    const map = ensureType(type);
    const ids = idLists.get(type) ?? [];
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid] < after) lo = mid + 1;
      else hi = mid;
    }
    const results: HsRecord[] = [];
    let i = lo;
    for (; i < ids.length && results.length < limit; i++) {
      const r = map.get(String(ids[i]));
      if (r && r.archived === archived) results.push(r);
    }
    // Is there another one after this page?
    let more = false;
    for (let j = i; j < ids.length; j++) {
      const r = map.get(String(ids[j]));
      if (r && r.archived === archived) {
        more = true;
        break;
      }
    }
    const last = results.at(-1);
    const nextAfter = last ? String(Number(last.id) + 1) : '';
    return { results: results.map((r) => view(r, type, requested, withAssociations)), ...(more ? { paging: { next: { after: nextAfter, link: `${base}/crm/v3/objects/${type}?after=${nextAfter}` } } } : {}) };
  }

  // --- HTTP plumbing ------------------------------------------------------------------
  const rateHeaders = () => {
    const now = Date.now();
    if (now - rate.start >= 10_000) rate = { start: now, count: 0, searches: 0 };
    return {
      'x-hubspot-ratelimit-daily': String(apiUsage.max),
      'x-hubspot-ratelimit-daily-remaining': String(Math.max(0, apiUsage.max - apiUsage.used)),
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
      'x-hubspot-ratelimit-max': '190',
      'x-hubspot-ratelimit-remaining': String(Math.max(0, 190 - rate.count)),
      'x-hubspot-ratelimit-secondly': '19',
      'x-hubspot-ratelimit-secondly-remaining': String(Math.max(0, 19 - Math.min(19, rate.count))),
    };
  };
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const h: Record<string, string> = { ...rateHeaders(), ...headers };
    if (body === undefined) {
      res.writeHead(status, h);
      res.end();
      return;
    }
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json;charset=utf-8';
    res.writeHead(status, h);
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const readBody = async (req: IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw validation('Invalid input JSON on line 1: not JSON');
    }
  };
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/$/, '');
    const body = method === 'GET' || method === 'DELETE' ? undefined : await readBody(req);
    requests.push({ method, path: `${path}${url.search}`, headers: req.headers, body });
    if (requests.length > 1000) requests.splice(0, requests.length - 1000);
    calls.total++;

    const fault = faults.find((f) => !f.match || (typeof f.match === 'string' ? `${path}${url.search}`.includes(f.match) : f.match.test(`${path}${url.search}`)));
    if (fault) {
      fault.remaining--;
      if (fault.remaining <= 0) faults.splice(faults.indexOf(fault), 1);
      calls.failed++;
      const fallback = fault.status === 429 ? { status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName: 'SECONDLY' } : hsError('INTERNAL_ERROR', 'internal error');
      return send(res, fault.status, fault.body ?? fallback, fault.headers ?? {});
    }
    const auth = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!auth || !tokens.has(auth)) {
      calls.unauthorized++;
      if (auth && expiredTokens.has(auth)) return send(res, 401, hsError('EXPIRED_AUTHENTICATION', 'The OAuth token used to make this call expired 1 hour(s) ago.', { context: {} }));
      return send(res, 401, hsError('INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview'));
    }
    apiUsage.used++;
    if (Date.now() - rate.start >= 10_000) rate = { start: Date.now(), count: 0, searches: 0 };
    rate.count++;

    if (path === '/account-info/v3/details' && method === 'GET') {
      calls.accountInfo++;
      return send(res, 200, account);
    }
    if (path === '/account-info/v3/api-usage/daily/private-apps' && method === 'GET') {
      calls.usage++;
      const reset = new Date();
      reset.setUTCHours(24, 0, 0, 0);
      return send(res, 200, { results: [{ name: 'private-apps-api-calls-daily', usageLimit: apiUsage.max, currentUsage: apiUsage.used, collectedAt: new Date().toISOString(), fetchStatus: 'SUCCESS', resetsAt: reset.toISOString() }] });
    }

    // v4 batch read: each input's associated records of one type (the deals' contacts).
    const v4Batch = /^\/crm\/v4\/associations\/([^/]+)\/([^/]+)\/batch\/read$/.exec(path);
    if (v4Batch && method === 'POST') {
      calls.associations++;
      const from = knownType(decodeURIComponent(v4Batch[1]));
      const to = knownType(decodeURIComponent(v4Batch[2]));
      const inputs = isObject(body) && Array.isArray(body.inputs) ? (body.inputs as unknown[]) : [];
      if (inputs.length > 1000) throw validation('at most 1000 inputs');
      const results = inputs.flatMap((i) => {
        const id = asString(isObject(i) ? i.id : undefined);
        const found = (associations.get(`${from}:${id}`) ?? []).filter((x) => x.toType === to);
        return found.length ? [{ from: { id }, to: found.map((x) => ({ toObjectId: Number(x.toId), associationTypes: [{ category: x.category, typeId: x.typeId, label: null }] })) }] : [];
      });
      return send(res, 200, { status: 'COMPLETE', results, startedAt: new Date().toISOString(), completedAt: new Date().toISOString() });
    }

    const v4 = /^\/crm\/v4\/objects\/([^/]+)\/([^/]+)\/associations\/(?:(default)\/)?([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (v4) {
      calls.associations++;
      const [, rawFrom, fromId, isDefault, rawTo, toId] = v4.map((p) => (p === undefined ? p : decodeURIComponent(p))) as [string, string, string, string | undefined, string, string | undefined];
      const from = knownType(rawFrom);
      const to = knownType(rawTo);
      if (!find(from, fromId)) throw notFound(`${SINGULAR[from] ?? from} ${fromId} does not exist`);
      if (method === 'GET' && !toId) {
        const found = (associations.get(`${from}:${fromId}`) ?? []).filter((a) => a.toType === to);
        const byTarget = new Map<string, HsAssociation[]>();
        for (const a of found) byTarget.set(a.toId, [...(byTarget.get(a.toId) ?? []), a]);
        return send(res, 200, { results: [...byTarget].map(([id, specs]) => ({ toObjectId: Number(id), associationTypes: specs.map((s) => ({ category: s.category, typeId: s.typeId, label: null })) })) });
      }
      if (method === 'PUT' && toId) {
        if (!find(to, toId)) throw notFound(`${SINGULAR[to] ?? to} ${toId} does not exist`);
        const specs = isDefault
          ? Object.entries(ASSOCIATION_TYPES)
              .filter(([, [f, t]]) => f === from && t === to)
              .slice(0, 1)
              .map(([id]) => ({ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: Number(id) }))
          : Array.isArray(body)
            ? (body as unknown[])
            : [];
        const parsed = parseAssociations(from, [{ to: { id: toId }, types: specs }]);
        for (const a of parsed) link(from, fromId, a);
        if (isDefault) return send(res, 200, { status: 'COMPLETE', results: parsed.map((a) => ({ from: { id: fromId }, to: { id: toId }, associationSpec: { associationCategory: a.category, associationTypeId: a.typeId } })), startedAt: new Date().toISOString(), completedAt: new Date().toISOString() });
        return send(res, 201, { fromObjectTypeId: rawFrom, fromObjectId: Number(fromId), toObjectTypeId: rawTo, toObjectId: Number(toId), labels: [] });
      }
      throw new HttpError(405, hsError('VALIDATION_ERROR', `${method} is not supported here`));
    }

    const m = /^\/crm\/v3\/objects\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path);
    if (!m) return send(res, 404, hsError('NOT_FOUND', `Unable to route ${method} request to ${path}`));
    const type = knownType(decodeURIComponent(m[1]));
    const second = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    const third = m[3];

    if (second === 'search' && !third && method === 'POST') {
      if (settings.searchPerSecond !== null) {
        rate.searches++;
        if (rate.searches > settings.searchPerSecond * 10) {
          return send(res, 429, { status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName: 'SECONDLY' }, { 'retry-after': '1' });
        }
      }
      if (settings.delayMs) await sleep(settings.delayMs);
      return send(res, 200, search(type, body));
    }
    if (second === 'batch' && third && method === 'POST') {
      const startedAt = new Date().toISOString();
      const inputs = batchInputs(body);
      const at = nextStamp();
      switch (third) {
        case 'create': {
          calls.batchCreate++;
          const plans = inputs.map((i) => ({ props: cleanProps(i.properties), links: parseAssociations(type, i.associations) }));
          if (type === 'contacts') checkEmails(plans.map((p) => ({ email: p.props.email })));
          const results = plans.map((p) => {
            const rec = make(type, p.props, at);
            for (const a of p.links) link(type, rec.id, a);
            return view(rec, type, 'all');
          });
          return send(res, 201, batchAnswer(results, [], startedAt));
        }
        case 'update': {
          calls.batchUpdate++;
          const idProperty = (i: Record<string, unknown>) => (typeof i.idProperty === 'string' ? i.idProperty : undefined);
          const found = inputs.map((i) => ({ input: i, rec: find(type, asString(i.id), { idProperty: idProperty(i) }), props: cleanProps(i.properties) }));
          if (type === 'contacts') checkEmails(found.filter((f) => f.rec && f.props.email !== undefined).map((f) => ({ email: f.props.email, self: f.rec?.id })));
          const missing = found.filter((f) => !f.rec).map((f) => asString(f.input.id));
          const results = found.flatMap((f) => (f.rec ? [view(change(type, f.rec, f.props, at), type, 'all')] : []));
          return send(res, missing.length ? 207 : 200, batchAnswer(results, missing.length ? [notFoundError(type, missing)] : [], startedAt));
        }
        case 'upsert': {
          calls.batchUpsert++;
          const plans = inputs.map((i) => {
            const idProperty = typeof i.idProperty === 'string' ? i.idProperty : 'hs_object_id';
            const key = asString(i.id);
            const props = cleanProps(i.properties);
            if (idProperty !== 'hs_object_id') props[idProperty] = key;
            return { rec: find(type, key, { idProperty }), props, idProperty, key };
          });
          if (plans.some((p) => !p.rec && p.idProperty === 'hs_object_id')) throw validation('Upserting by hs_object_id needs existing records: use a unique property as idProperty to create');
          if (type === 'contacts') checkEmails(plans.filter((p) => p.props.email !== undefined).map((p) => ({ email: p.props.email, self: p.rec?.id })));
          const results = plans.map((p) => ({ ...view(p.rec ? change(type, p.rec, p.props, at) : make(type, p.props, at), type, 'all'), new: !p.rec }));
          return send(res, 200, batchAnswer(results, [], startedAt));
        }
        case 'read': {
          calls.batchRead++;
          const b = isObject(body) ? body : {};
          const idProperty = typeof b.idProperty === 'string' ? b.idProperty : undefined;
          const archived = url.searchParams.get('archived') === 'true';
          const requested = stringList(b.properties);
          const found = inputs.map((i) => ({ id: asString(i.id), rec: find(type, asString(i.id), { idProperty, archived }) }));
          const missing = found.filter((f) => !f.rec).map((f) => f.id);
          const results = found.flatMap((f) => (f.rec ? [view(f.rec, type, requested)] : []));
          return send(res, missing.length ? 207 : 200, batchAnswer(results, missing.length ? [notFoundError(type, missing)] : [], startedAt));
        }
        case 'archive': {
          calls.batchArchive++;
          for (const i of inputs) {
            const rec = find(type, asString(i.id));
            if (rec) archiveRecord(type, rec, at);
          }
          return send(res, 204, undefined);
        }
        default:
          return send(res, 404, hsError('NOT_FOUND', `Unable to route ${method} request to ${path}`));
      }
    }
    if (second === undefined && method === 'GET') {
      if (settings.delayMs) await sleep(settings.delayMs);
      return send(res, 200, list(type, url));
    }
    if (second === undefined && method === 'POST') {
      calls.create++;
      const b = isObject(body) ? body : {};
      const props = cleanProps(b.properties);
      const links = parseAssociations(type, b.associations);
      if (type === 'contacts') checkEmails([{ email: props.email }]);
      const rec = make(type, props, nextStamp());
      for (const a of links) link(type, rec.id, a);
      return send(res, 201, view(rec, type, 'all'));
    }
    if (second !== undefined && !third) {
      const idProperty = url.searchParams.get('idProperty') ?? undefined;
      if (method === 'GET') {
        calls.get++;
        const rec = find(type, second, { idProperty, archived: url.searchParams.get('archived') === 'true' });
        if (!rec) throw notFound();
        return send(res, 200, view(rec, type, listParam(url, 'properties'), listParam(url, 'associations') ?? []));
      }
      if (method === 'PATCH') {
        calls.update++;
        const rec = find(type, second, { idProperty });
        if (!rec) throw notFound();
        const props = cleanProps(isObject(body) ? body.properties : undefined);
        if (type === 'contacts' && props.email !== undefined) checkEmails([{ email: props.email, self: rec.id }]);
        return send(res, 200, view(change(type, rec, props, nextStamp()), type, 'all'));
      }
      if (method === 'DELETE') {
        calls.archive++;
        const rec = find(type, second);
        if (rec) archiveRecord(type, rec, nextStamp());
        return send(res, 204, undefined);
      }
    }
    return send(res, 404, hsError('NOT_FOUND', `Unable to route ${method} request to ${path}`));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return res.end();
      if (err instanceof HttpError) return send(res, err.status, err.body);
      return send(res, 500, hsError('INTERNAL_ERROR', String(err)));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const stampOf = (at: string | Date | number | undefined) => (at === undefined ? nextStamp() : new Date(at).getTime());
  const existing = (type: string, id: string) => {
    const rec = objects.get(typeOf(type))?.get(id);
    if (!rec) throw new Error(`no fake HubSpot ${type} ${id}`);
    return rec;
  };

  return {
    /** The client's `basePath`. */
    url: base,
    /** A valid private-app token (also in `tokens`). */
    token,
    tokens,
    expiredTokens,
    /** Per object type, id → record (archived ones stay, flagged). */
    objects: objects as Map<string, Map<string, HsRecord>>,
    associations,
    /** `X-HubSpot-RateLimit-Daily(-Remaining)` and the usage endpoint read this; `used` counts authenticated calls. */
    apiUsage,
    /** What `account-info/v3/details` answers. */
    account,
    settings,
    calls,
    requests,
    /** Milliseconds every search and list page waits before answering. */
    get delayMs(): number {
      return settings.delayMs;
    },
    set delayMs(ms: number) {
      settings.delayMs = ms;
    },
    /** A new valid private-app token. */
    addToken(t = `pat-na1-${randomBytes(16).toString('hex')}`): string {
      tokens.add(t);
      expiredTokens.delete(t);
      return t;
    },
    /** This token stops working: 401 EXPIRED_AUTHENTICATION from now on. */
    expireToken(t: string) {
      tokens.delete(t);
      expiredTokens.add(t);
    },
    /** The next `count` requests (those matching `match`, if given) answer this instead. */
    failNext(count: number, fault: HsFault) {
      if (count > 0) faults.push({ ...fault, remaining: count });
    },
    clearFaults() {
      faults.length = 0;
    },
    /** Records of `type` made in HubSpot, all last modified (and created) at `modifiedAt`, else now. */
    seed(type: string, propertiesList: PropertyInput[], opts: { modifiedAt?: string | Date } = {}): HsRecord[] {
      const t = typeOf(type);
      ensureType(t);
      const at = stampOf(opts.modifiedAt);
      return propertiesList.map((p) => make(t, cleanProps(p), at));
    },
    /** Changes properties and bumps the modified date(s) and updatedAt (to now, or `modifiedAt`). */
    touch(type: string, id: string, props: PropertyInput = {}, opts: { modifiedAt?: string | Date } = {}): HsRecord {
      const t = typeOf(type);
      return change(t, existing(t, id), cleanProps(props), stampOf(opts.modifiedAt));
    },
    /** Archives (HubSpot's delete) a record, at `archivedAt` or now. */
    archive(type: string, id: string, opts: { archivedAt?: string | Date } = {}): HsRecord {
      const t = typeOf(type);
      return archiveRecord(t, existing(t, id), stampOf(opts.archivedAt));
    },
    /** Every record of `type`, archived ones included (check `archived`). */
    records(type: string): HsRecord[] {
      return [...(objects.get(typeOf(type))?.values() ?? [])];
    },
    get(type: string, id: string): HsRecord | undefined {
      return objects.get(typeOf(type))?.get(id);
    },
    associationsOf(type: string, id: string): HsAssociation[] {
      return associations.get(`${typeOf(type)}:${id}`) ?? [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeHubSpot = Awaited<ReturnType<typeof startFakeHubSpot>>;
