import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server that speaks the parts of Salesforce the product reaches through the real
 * `jsforce` (3.x), written from Salesforce's public REST/SOAP references and from what
 * jsforce sends:
 *
 * - SOAP `login` (`POST /services/Soap/u/<ver>`, password + security token; a wrong one is
 *   the `sf:INVALID_LOGIN` fault, HTTP 500) and `logout`;
 * - OAuth `POST /services/oauth2/token` (`refresh_token` and `password` grants,
 *   `invalid_grant`), `POST /services/oauth2/revoke`, and the identity URL `/id/<org>/<user>`;
 * - REST under `/services/data/v<ver>`: `query` with a small SOQL (SELECT fields | COUNT()
 *   FROM type [WHERE …] [ORDER BY …] [LIMIT n] [OFFSET n]) and `queryMore` through
 *   `nextRecordsUrl` (`Sforce-Query-Options: batchSize=N`), sObject create / retrieve /
 *   update / delete, sObject collections (`composite/sobjects`, at most 200 records),
 *   `sobjects/<T>/deleted` and `/updated`, `limits`, a minimal describe;
 * - `Sforce-Limit-Info: api-usage=<used>/<max>` on every REST answer, 401 `INVALID_SESSION_ID`
 *   for a missing or unknown token (jsforce then logs in again or refreshes by itself),
 *   and injected failures (`failNext`).
 *
 * A query's result is filtered and sorted once and kept under its query locator, so every
 * `queryMore` page costs O(page) (100,000 records sync at well over 2,000 records/s).
 */

/** A field value as Salesforce's JSON carries it. */
export type SfValue = string | number | boolean | null;
/** One stored record: Id and the system timestamps (Salesforce format), then its fields. */
export type SfRecord = { Id: string; SystemModstamp: string; LastModifiedDate: string; CreatedDate: string } & Record<string, SfValue>;
export interface SfDeletion {
  id: string;
  deletedDate: string;
}
export interface SfFault {
  status: number;
  /** JSON-encoded unless a string; default: Salesforce's error array for the status. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Only requests whose path (and query) this matches are failed; default: any REST request. */
  match?: string | RegExp;
}

const ORG_ID = '00D000000000001AAA';
const USER_ID = '005000000000001AAA';
const PREFIXES: Record<string, string> = { Account: '001', Contact: '003', Opportunity: '006', Lead: '00Q', Task: '00T', Event: '00U', User: '005', Case: '500' };
/** Fields every standard object has, so SELECT answers them by their proper names. */
const SYSTEM_FIELDS = ['Id', 'IsDeleted', 'CreatedDate', 'CreatedById', 'LastModifiedDate', 'LastModifiedById', 'SystemModstamp', 'OwnerId'];
const KNOWN_FIELDS: Record<string, string[]> = {
  Contact: ['FirstName', 'LastName', 'Name', 'Email', 'Phone', 'MobilePhone', 'Title', 'Department', 'AccountId', 'LeadSource', 'Description'],
  Lead: ['FirstName', 'LastName', 'Name', 'Email', 'Phone', 'MobilePhone', 'Title', 'Company', 'Status', 'LeadSource', 'Description', 'IsConverted'],
  Task: ['Subject', 'Status', 'Priority', 'ActivityDate', 'Description', 'WhoId', 'WhatId', 'TaskSubtype'],
  Account: ['Name', 'Phone', 'Website', 'Industry', 'Description'],
};
/** Fields Salesforce refuses a record without (REQUIRED_FIELD_MISSING). */
const DEFAULT_REQUIRED: Record<string, string[]> = { Contact: ['LastName'], Lead: ['LastName', 'Company'], Account: ['Name'] };
const READ_ONLY = new Set(['id', 'isdeleted', 'createddate', 'createdbyid', 'lastmodifieddate', 'lastmodifiedbyid', 'systemmodstamp']);

/** Salesforce's own timestamp format: `2026-12-04T05:00:00.000+0000`. */
export const sfDateTime = (at: number | string | Date = Date.now()): string => new Date(typeof at === 'string' ? parseInstant(at) : at).toISOString().replace('Z', '+0000');

const instantCache = new Map<string, number>();
/** An instant in any of the forms Salesforce and jsforce write (`Z`, `+0000`, `+00:00`); NaN if none. */
export function parseInstant(s: string): number {
  let ms = instantCache.get(s);
  if (ms === undefined) {
    ms = DATETIME_RE.test(s) || DATE_RE.test(s) ? Date.parse(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : NaN;
    if (instantCache.size > 500_000) instantCache.clear();
    instantCache.set(s, ms);
  }
  return ms;
}
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

const errorBody = (errorCode: string, message: string, fields?: string[]) => [{ message, errorCode, ...(fields ? { fields } : {}) }];
const xmlUnescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

class HttpError extends Error {
  status: number;
  body: unknown;
  constructor(status: number, body: unknown) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}
const malformed = (message: string) => new HttpError(400, errorBody('MALFORMED_QUERY', message));

// ---------------------------------------------------------------------------------------
// SOQL: exactly the subset the product writes.
// ---------------------------------------------------------------------------------------

type Literal = { kind: 'datetime'; ms: number } | { kind: 'date'; value: string } | { kind: 'string'; value: string } | { kind: 'number'; value: number } | { kind: 'boolean'; value: boolean } | { kind: 'null' };
type Token = { t: 'ident'; v: string } | { t: 'op'; v: string } | { t: 'punct'; v: string } | { t: 'literal'; v: Literal } | { t: 'eof' };
type Cond =
  | { k: 'and' | 'or'; items: Cond[] }
  | { k: 'not'; item: Cond }
  | { k: 'cmp'; field: string; op: string; value: Literal }
  | { k: 'in'; field: string; values: Literal[]; negate: boolean }
  | { k: 'like'; field: string; pattern: string };
export interface SoqlQuery {
  fields: string[];
  count: boolean;
  type: string;
  where: Cond | null;
  orderBy: Array<{ field: string; desc: boolean; nullsLast: boolean }>;
  limit: number | null;
  offset: number;
}

function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const rest = () => soql.slice(i);
  while (i < soql.length) {
    const c = soql[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= soql.length) throw malformed('unterminated string literal');
        const ch = soql[i];
        if (ch === '\\') {
          const next = soql[i + 1];
          value += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : (next ?? '');
          i += 2;
          continue;
        }
        i++;
        if (ch === "'") break;
        value += ch;
      }
      tokens.push({ t: 'literal', v: { kind: 'string', value } });
      continue;
    }
    const dt = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})/.exec(rest());
    if (dt) {
      tokens.push({ t: 'literal', v: { kind: 'datetime', ms: parseInstant(dt[0]) } });
      i += dt[0].length;
      continue;
    }
    const d = /^\d{4}-\d{2}-\d{2}(?![\dT])/.exec(rest());
    if (d) {
      tokens.push({ t: 'literal', v: { kind: 'date', value: d[0] } });
      i += d[0].length;
      continue;
    }
    const num = /^-?\d+(?:\.\d+)?(?![\w])/.exec(rest());
    if (num) {
      tokens.push({ t: 'literal', v: { kind: 'number', value: Number(num[0]) } });
      i += num[0].length;
      continue;
    }
    const op = /^(?:!=|<>|>=|<=|=|>|<)/.exec(rest());
    if (op) {
      tokens.push({ t: 'op', v: op[0] === '<>' ? '!=' : op[0] });
      i += op[0].length;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ t: 'punct', v: c });
      i++;
      continue;
    }
    const id = /^[A-Za-z_][\w.]*/.exec(rest());
    if (id) {
      const lower = id[0].toLowerCase();
      if (lower === 'true' || lower === 'false') tokens.push({ t: 'literal', v: { kind: 'boolean', value: lower === 'true' } });
      else if (lower === 'null') tokens.push({ t: 'literal', v: { kind: 'null' } });
      else tokens.push({ t: 'ident', v: id[0] });
      i += id[0].length;
      continue;
    }
    throw malformed(`unexpected character '${c}' at column ${i + 1}`);
  }
  tokens.push({ t: 'eof' });
  return tokens;
}

/** Parses SOQL; throws a 400 MALFORMED_QUERY HttpError when it is not in the supported subset. */
export function parseSoql(soql: string): SoqlQuery {
  const tokens = tokenize(soql);
  let p = 0;
  const peek = () => tokens[p];
  const isKw = (kw: string, tok: Token = peek()) => tok.t === 'ident' && tok.v.toUpperCase() === kw;
  const describe = (tok: Token) => (tok.t === 'eof' ? 'end of query' : tok.t === 'literal' ? 'a value' : `'${tok.v}'`);
  const expectKw = (kw: string) => {
    if (!isKw(kw)) throw malformed(`expected ${kw} but found ${describe(peek())}`);
    p++;
  };
  const expectPunct = (v: string) => {
    const tok = peek();
    if (tok.t !== 'punct' || tok.v !== v) throw malformed(`expected '${v}' but found ${describe(tok)}`);
    p++;
  };
  const KEYWORDS = new Set(['SELECT', 'FROM', 'WHERE', 'ORDER', 'BY', 'LIMIT', 'OFFSET', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'ASC', 'DESC', 'NULLS', 'FIRST', 'LAST']);
  const field = () => {
    const tok = peek();
    if (tok.t !== 'ident' || KEYWORDS.has(tok.v.toUpperCase())) throw malformed(`expected a field name but found ${describe(tok)}`);
    p++;
    return tok.v;
  };
  const literal = (): Literal => {
    const tok = peek();
    if (tok.t !== 'literal') throw malformed(`expected a value but found ${describe(tok)}`);
    p++;
    return tok.v;
  };

  expectKw('SELECT');
  const fields: string[] = [];
  let count = false;
  if (isKw('COUNT') && tokens[p + 1]?.t === 'punct') {
    p++;
    expectPunct('(');
    expectPunct(')');
    count = true;
  } else {
    const seen = new Set<string>();
    for (;;) {
      const f = field();
      if (seen.has(f.toLowerCase())) throw malformed(`duplicate field selected: ${f}`);
      seen.add(f.toLowerCase());
      fields.push(f);
      const tok = peek();
      if (tok.t === 'punct' && tok.v === ',') {
        p++;
        continue;
      }
      break;
    }
  }
  expectKw('FROM');
  const type = field();

  const orExpr = (): Cond => {
    const items = [andExpr()];
    while (isKw('OR')) {
      p++;
      items.push(andExpr());
    }
    return items.length === 1 ? items[0] : { k: 'or', items };
  };
  const andExpr = (): Cond => {
    const items = [notExpr()];
    while (isKw('AND')) {
      p++;
      items.push(notExpr());
    }
    return items.length === 1 ? items[0] : { k: 'and', items };
  };
  const notExpr = (): Cond => {
    if (isKw('NOT')) {
      p++;
      return { k: 'not', item: notExpr() };
    }
    return primary();
  };
  const primary = (): Cond => {
    const tok = peek();
    if (tok.t === 'punct' && tok.v === '(') {
      p++;
      const inner = orExpr();
      expectPunct(')');
      return inner;
    }
    const f = field();
    let negate = false;
    if (isKw('NOT') && isKw('IN', tokens[p + 1])) {
      p++;
      negate = true;
    }
    if (isKw('IN')) {
      p++;
      expectPunct('(');
      const values = [literal()];
      for (;;) {
        const next = peek();
        if (next.t === 'punct' && next.v === ',') {
          p++;
          values.push(literal());
          continue;
        }
        break;
      }
      expectPunct(')');
      return { k: 'in', field: f, values, negate };
    }
    if (isKw('LIKE')) {
      p++;
      const v = literal();
      if (v.kind !== 'string') throw malformed('LIKE needs a string');
      return { k: 'like', field: f, pattern: v.value };
    }
    const op = peek();
    if (op.t !== 'op') throw malformed(`expected an operator after ${f} but found ${describe(op)}`);
    p++;
    return { k: 'cmp', field: f, op: op.v, value: literal() };
  };

  let where: Cond | null = null;
  if (isKw('WHERE')) {
    p++;
    where = orExpr();
  }
  const orderBy: SoqlQuery['orderBy'] = [];
  if (isKw('ORDER')) {
    p++;
    expectKw('BY');
    for (;;) {
      const f = field();
      let desc = false;
      if (isKw('ASC')) p++;
      else if (isKw('DESC')) {
        p++;
        desc = true;
      }
      let nullsLast = desc;
      if (isKw('NULLS')) {
        p++;
        if (isKw('FIRST')) nullsLast = false;
        else if (isKw('LAST')) nullsLast = true;
        else throw malformed('expected FIRST or LAST after NULLS');
        p++;
      }
      orderBy.push({ field: f, desc, nullsLast });
      const tok = peek();
      if (tok.t === 'punct' && tok.v === ',') {
        p++;
        continue;
      }
      break;
    }
  }
  let limit: number | null = null;
  let offset = 0;
  const intAfter = (kw: string) => {
    const v = literal();
    if (v.kind !== 'number' || !Number.isInteger(v.value) || v.value < 0) throw malformed(`${kw} needs a non-negative integer`);
    return v.value;
  };
  if (isKw('LIMIT')) {
    p++;
    limit = intAfter('LIMIT');
  }
  if (isKw('OFFSET')) {
    p++;
    offset = intAfter('OFFSET');
    if (offset > 2000) throw new HttpError(400, errorBody('NUMBER_OUTSIDE_VALID_RANGE', 'Maximum SOQL offset allowed is 2000'));
  }
  if (peek().t !== 'eof') throw malformed(`unexpected token: ${describe(peek())}`);
  return { fields, count, type, where, orderBy, limit, offset };
}

type Resolve = (field: string) => string;
const isIdField = (key: string) => key === 'Id' || key.endsWith('Id');
/** Salesforce matches a 15-character id against its 18-character form. */
const idEquals = (stored: string, literal: string) => stored === literal || (literal.length === 15 && stored.slice(0, 15) === literal);

function compileCond(cond: Cond, resolve: Resolve): (r: SfRecord) => boolean {
  switch (cond.k) {
    case 'and': {
      const parts = cond.items.map((c) => compileCond(c, resolve));
      return (r) => parts.every((fn) => fn(r));
    }
    case 'or': {
      const parts = cond.items.map((c) => compileCond(c, resolve));
      return (r) => parts.some((fn) => fn(r));
    }
    case 'not': {
      const inner = compileCond(cond.item, resolve);
      return (r) => !inner(r);
    }
    case 'in': {
      const key = resolve(cond.field);
      const tests = cond.values.map((v) => compileCmp(key, '=', v));
      return cond.negate ? (r) => !tests.some((fn) => fn(r)) : (r) => tests.some((fn) => fn(r));
    }
    case 'like': {
      const key = resolve(cond.field);
      const re = new RegExp(`^${cond.pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 'is');
      return (r) => {
        const v = r[key];
        return v !== null && v !== undefined && re.test(String(v));
      };
    }
    case 'cmp':
      return compileCmp(resolve(cond.field), cond.op, cond.value);
  }
}

function ordered(op: string, c: number): boolean {
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    case '<':
      return c < 0;
    default:
      return c <= 0;
  }
}
const cmpOf = <T extends string | number>(a: T, b: T) => (a < b ? -1 : a > b ? 1 : 0);

function compileCmp(key: string, op: string, value: Literal): (r: SfRecord) => boolean {
  const absent = (v: SfValue | undefined) => v === null || v === undefined || v === '';
  if (value.kind === 'null') {
    if (op !== '=' && op !== '!=') throw malformed('null can only be compared with = or !=');
    return op === '=' ? (r) => absent(r[key]) : (r) => !absent(r[key]);
  }
  const missing = op === '!=';
  switch (value.kind) {
    case 'datetime':
      return (r) => {
        const v = r[key];
        if (absent(v)) return missing;
        const ms = typeof v === 'number' ? v : parseInstant(String(v));
        return Number.isNaN(ms) ? missing : ordered(op, cmpOf(ms, value.ms));
      };
    case 'date':
      return (r) => {
        const v = r[key];
        return absent(v) ? missing : ordered(op, cmpOf(String(v).slice(0, 10), value.value));
      };
    case 'number':
      return (r) => {
        const v = r[key];
        if (absent(v)) return missing;
        const n = Number(v);
        return Number.isNaN(n) ? missing : ordered(op, cmpOf(n, value.value));
      };
    case 'boolean':
      if (op !== '=' && op !== '!=') throw malformed('a boolean can only be compared with = or !=');
      return (r) => {
        const v = r[key];
        const b = v === true || v === 'true';
        return op === '=' ? b === value.value : b !== value.value;
      };
    case 'string':
      if (isIdField(key)) {
        return (r) => {
          const v = r[key];
          if (absent(v)) return missing;
          const s = String(v);
          if (op === '=' || op === '!=') return idEquals(s, value.value) === (op === '=');
          return ordered(op, cmpOf(s, value.value));
        };
      }
      {
        const lit = value.value.toLowerCase();
        return (r) => {
          const v = r[key];
          if (absent(v)) return missing;
          return ordered(op, cmpOf(String(v).toLowerCase(), lit));
        };
      }
  }
}

/** A sort key: instants as numbers, text case-insensitively, Ids as they are. */
function sortKey(key: string, v: SfValue | undefined): number | string | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (isIdField(key)) return v;
  if (DATETIME_RE.test(v)) return parseInstant(v);
  return v.toLowerCase();
}

// ---------------------------------------------------------------------------------------
// The server.
// ---------------------------------------------------------------------------------------

interface Cursor {
  type: string;
  rows: SfRecord[];
  select: Array<{ key: string; out: string }>;
  batchSize: number;
}

export async function startFakeSalesforce() {
  const startedAt = Date.now();
  const credentials = { username: 'owner@example.com', password: 'hunter2', securityToken: 'TOKEN123' };
  /** Valid access tokens (SOAP session ids and OAuth access tokens alike). */
  const sessions = new Set<string>();
  const refreshTokens = new Set<string>();
  const objects = new Map<string, Map<string, SfRecord>>();
  const deletedLog = new Map<string, SfDeletion[]>();
  const requiredFields: Record<string, string[]> = { ...DEFAULT_REQUIRED };
  const apiUsage = { used: 0, max: 15_000 };
  const calls = { login: 0, logout: 0, token: 0, refresh: 0, rest: 0, query: 0, queryMore: 0, retrieve: 0, create: 0, update: 0, delete: 0, deleted: 0, updated: 0, limits: 0, describe: 0, identity: 0, unauthorized: 0, failed: 0 };
  /** Every REST request as it arrived (method, path with query, body text), newest last; capped. */
  const requests: Array<{ method: string; path: string; headers: IncomingMessage['headers']; body: string }> = [];
  const faults: Array<SfFault & { remaining: number }> = [];
  const cursors = new Map<string, Cursor>();
  const counters = new Map<string, number>();
  const fieldNames = new Map<string, Map<string, string>>();
  let earliestDateAvailable = startedAt - 30 * 86_400_000;
  let delayMs = 0;
  let held: Promise<void> | null = null;
  let cursorSeq = 0;
  let lastModstamp = 0;

  /** The connected app; null: any client id and secret are accepted. */
  const state: { oauthClient: { id: string; secret: string } | null } = { oauthClient: null };

  const ensureType = (type: string) => {
    let map = objects.get(type);
    if (!map) {
      map = new Map();
      objects.set(type, map);
    }
    if (!deletedLog.has(type)) deletedLog.set(type, []);
    if (!fieldNames.has(type)) {
      const names = new Map<string, string>();
      for (const f of [...SYSTEM_FIELDS, ...(KNOWN_FIELDS[type] ?? [])]) names.set(f.toLowerCase(), f);
      for (const r of map.values()) for (const k of Object.keys(r)) if (!names.has(k.toLowerCase())) names.set(k.toLowerCase(), k);
      fieldNames.set(type, names);
    }
    return map;
  };
  for (const t of ['Contact', 'Lead', 'Task', 'Account']) ensureType(t);
  const prefixOf = (type: string) => {
    if (PREFIXES[type]) return PREFIXES[type];
    const known = [...objects.keys()].filter((t) => !PREFIXES[t]);
    return `a0${'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[Math.max(0, known.indexOf(type)) % 26]}`;
  };
  const newId = (type: string) => {
    const n = (counters.get(type) ?? 0) + 1;
    counters.set(type, n);
    // Digits only, so the 3-character case-safe suffix is always AAA and ids sort by age.
    return `${prefixOf(type)}${String(n).padStart(12, '0')}AAA`;
  };
  /** Now, but strictly later than the previous write (two writes never share a stamp by accident). */
  const nextStamp = () => {
    lastModstamp = Math.max(Date.now(), lastModstamp + 1);
    return lastModstamp;
  };
  const learnFields = (type: string, rec: Record<string, unknown>) => {
    const names = fieldNames.get(type);
    if (!names) return;
    for (const k of Object.keys(rec)) if (!names.has(k.toLowerCase())) names.set(k.toLowerCase(), k);
  };
  const resolverFor = (type: string): Resolve => {
    const names = fieldNames.get(type) ?? new Map<string, string>();
    return (f) => names.get(f.toLowerCase()) ?? f;
  };
  const canonical = (type: string, fields: Record<string, unknown>) => {
    const resolve = resolverFor(type);
    const out: Record<string, SfValue> = {};
    for (const [k, v] of Object.entries(fields)) {
      if (k === 'attributes') continue;
      out[resolve(k)] = v === undefined ? null : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? v : JSON.stringify(v);
    }
    return out;
  };

  type SaveError = { statusCode: string; message: string; fields: string[] };
  /** Why Salesforce would refuse these fields, or null. */
  const validate = (type: string, fields: Record<string, SfValue>, existing: SfRecord | null): SaveError | null => {
    const readOnly = Object.keys(fields).filter((k) => READ_ONLY.has(k.toLowerCase()));
    if (readOnly.length) return { statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', message: `Unable to create/update fields: ${readOnly.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`, fields: readOnly };
    const merged: Record<string, SfValue> = { ...(existing ?? {}), ...fields };
    const missing = (requiredFields[type] ?? []).filter((f) => merged[f] === null || merged[f] === undefined || merged[f] === '');
    if (missing.length) return { statusCode: 'REQUIRED_FIELD_MISSING', message: `Required fields are missing: [${missing.join(', ')}]`, fields: missing };
    return null;
  };
  const insert = (type: string, fields: Record<string, SfValue>, stamp: number) => {
    const map = ensureType(type);
    const at = sfDateTime(stamp);
    const rec = { ...fields, Id: newId(type), CreatedDate: at, LastModifiedDate: at, SystemModstamp: at, IsDeleted: false } as SfRecord;
    map.set(rec.Id, rec);
    learnFields(type, rec);
    return rec;
  };
  const modify = (type: string, existing: SfRecord, fields: Record<string, SfValue>, stamp: number) => {
    const at = sfDateTime(stamp);
    // A new object: open query cursors keep the version they read.
    const rec = { ...existing, ...fields, Id: existing.Id, LastModifiedDate: at, SystemModstamp: at } as SfRecord;
    ensureType(type).set(rec.Id, rec);
    learnFields(type, rec);
    return rec;
  };
  const erase = (type: string, id: string, at: number) => {
    const map = ensureType(type);
    if (!map.delete(id)) return false;
    deletedLog.get(type)?.push({ id, deletedDate: sfDateTime(at) });
    return true;
  };
  const findRecord = (type: string, id: string) => {
    const map = objects.get(type);
    if (!map) return undefined;
    const exact = map.get(id);
    if (exact || id.length !== 15) return exact;
    for (const [k, v] of map) if (k.startsWith(id)) return v;
    return undefined;
  };

  // --- HTTP plumbing ----------------------------------------------------------------
  const limitHeader = () => `api-usage=${apiUsage.used}/${apiUsage.max}`;
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, rest = true) => {
    const h: Record<string, string> = { ...(rest ? { 'sforce-limit-info': limitHeader() } : {}), ...headers };
    if (body === undefined) {
      res.writeHead(status, h);
      res.end();
      return;
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = typeof body === 'string' ? 'text/plain;charset=UTF-8' : 'application/json;charset=UTF-8';
    res.writeHead(status, h);
    res.end(text);
  };
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const parseJson = (text: string): unknown => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HttpError(400, errorBody('JSON_PARSER_ERROR', 'Unexpected character in the request body: not valid JSON'));
    }
  };
  const bearer = (req: IncomingMessage, url: URL) => /^(?:Bearer|OAuth) (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? url.searchParams.get('oauth_token') ?? undefined;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const idUrl = (base: string) => `${base}/id/${ORG_ID}/${USER_ID}`;

  // --- SOAP ---------------------------------------------------------------------------
  const soapFault = (code: string, message: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:${code}</faultcode><faultstring>${code}: ${xmlEscape(message)}</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>${code}</sf:exceptionCode><sf:exceptionMessage>${xmlEscape(message)}</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
  function soap(version: string, body: string, res: ServerResponse) {
    const xml = { 'content-type': 'text/xml;charset=UTF-8' };
    if (/<logout[\s/>]/.test(body)) {
      calls.logout++;
      const sid = /<sessionId>([^<]*)<\/sessionId>/.exec(body)?.[1];
      if (sid) sessions.delete(xmlUnescape(sid));
      return send(res, 200, '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com"><soapenv:Body><logoutResponse/></soapenv:Body></soapenv:Envelope>', xml, false);
    }
    if (!/<login[\s>]/.test(body)) return send(res, 500, soapFault('UNKNOWN_EXCEPTION', 'The fake speaks only login and logout over SOAP.'), xml, false);
    calls.login++;
    const username = xmlUnescape(/<username>([\s\S]*?)<\/username>/.exec(body)?.[1] ?? '');
    const password = xmlUnescape(/<password>([\s\S]*?)<\/password>/.exec(body)?.[1] ?? '');
    if (username.toLowerCase() !== credentials.username.toLowerCase() || password !== `${credentials.password}${credentials.securityToken}`) {
      return send(res, 500, soapFault('INVALID_LOGIN', 'Invalid username, password, security token; or user locked out.'), xml, false);
    }
    const sessionId = `${ORG_ID.slice(0, 15)}!AQ${randomBytes(24).toString('base64url')}`;
    sessions.add(sessionId);
    const serverUrl = `${base}/services/Soap/u/${version}/${ORG_ID.slice(0, 15)}`;
    const result = [
      `<metadataServerUrl>${base}/services/Soap/m/${version}/${ORG_ID.slice(0, 15)}</metadataServerUrl>`,
      '<passwordExpired>false</passwordExpired><sandbox>false</sandbox>',
      `<serverUrl>${serverUrl}</serverUrl><sessionId>${sessionId}</sessionId><userId>${USER_ID}</userId>`,
      '<userInfo><accessibilityMode>false</accessibilityMode><currencySymbol>$</currencySymbol><orgAttachmentFileSizeLimit>5242880</orgAttachmentFileSizeLimit>',
      `<orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode><orgDisallowHtmlAttachments>false</orgDisallowHtmlAttachments><orgHasPersonAccounts>false</orgHasPersonAccounts><organizationId>${ORG_ID}</organizationId>`,
      `<organizationMultiCurrency>false</organizationMultiCurrency><organizationName>Fake Org</organizationName><profileId>00e000000000001AAA</profileId><roleId xsi:nil="true"/><sessionSecondsValid>7200</sessionSecondsValid>`,
      `<userDefaultCurrencyIsoCode xsi:nil="true"/><userEmail>${xmlEscape(credentials.username)}</userEmail><userFullName>Fake Owner</userFullName><userId>${USER_ID}</userId><userLanguage>en_US</userLanguage><userLocale>en_US</userLocale>`,
      `<userName>${xmlEscape(credentials.username)}</userName><userTimeZone>America/New_York</userTimeZone><userType>Standard</userType><userUiSkin>Theme3</userUiSkin></userInfo>`,
    ].join('');
    return send(
      res,
      200,
      `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>${result}</result></loginResponse></soapenv:Body></soapenv:Envelope>`,
      xml,
      false,
    );
  }

  // --- OAuth --------------------------------------------------------------------------
  function token(form: URLSearchParams, res: ServerResponse) {
    calls.token++;
    const client = state.oauthClient;
    if (client && form.get('client_id') !== client.id) return send(res, 400, { error: 'invalid_client_id', error_description: 'client identifier invalid' }, {}, false);
    if (client && form.get('client_secret') !== null && form.get('client_secret') !== client.secret) return send(res, 400, { error: 'invalid_client', error_description: 'invalid client credentials' }, {}, false);
    const grant = form.get('grant_type');
    const issue = () => {
      const accessToken = `${ORG_ID.slice(0, 15)}!AR${randomBytes(24).toString('base64url')}`;
      sessions.add(accessToken);
      const issuedAt = String(Date.now());
      const signature = randomBytes(32).toString('base64');
      return { access_token: accessToken, signature, scope: 'refresh_token api', instance_url: base, id: idUrl(base), token_type: 'Bearer', issued_at: issuedAt };
    };
    if (grant === 'refresh_token') {
      calls.refresh++;
      if (!refreshTokens.has(form.get('refresh_token') ?? '')) return send(res, 400, { error: 'invalid_grant', error_description: 'expired access/refresh token' }, {}, false);
      return send(res, 200, issue(), {}, false);
    }
    if (grant === 'password') {
      calls.login++;
      if ((form.get('username') ?? '').toLowerCase() !== credentials.username.toLowerCase() || form.get('password') !== `${credentials.password}${credentials.securityToken}`) {
        return send(res, 400, { error: 'invalid_grant', error_description: 'authentication failure' }, {}, false);
      }
      return send(res, 200, issue(), {}, false);
    }
    return send(res, 400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' }, {}, false);
  }

  // --- REST ---------------------------------------------------------------------------
  const recordUrl = (version: string, type: string, id: string) => `/services/data/v${version}/sobjects/${type}/${id}`;
  const batchSizeOf = (req: IncomingMessage, fallback: number) => {
    const header = req.headers['sforce-query-options'];
    const m = /batchSize\s*=\s*(\d+)/i.exec(Array.isArray(header) ? header.join(',') : (header ?? ''));
    return m ? Math.max(200, Math.min(2000, Number(m[1]))) : fallback;
  };
  const page = (version: string, cursorId: string, cursor: Cursor, offset: number, batchSize: number) => {
    const rows = cursor.rows.slice(offset, offset + batchSize);
    const end = offset + rows.length;
    const done = end >= cursor.rows.length;
    if (done) cursors.delete(cursorId);
    else {
      // Recently used last; Salesforce keeps a bounded number of open cursors per user.
      cursors.delete(cursorId);
      cursors.set(cursorId, cursor);
      while (cursors.size > 100) cursors.delete(cursors.keys().next().value as string);
    }
    const records = rows.map((r) => {
      const out: Record<string, unknown> = { attributes: { type: cursor.type, url: recordUrl(version, cursor.type, r.Id) } };
      for (const s of cursor.select) out[s.out] = s.key.includes('.') ? null : (r[s.key] ?? null);
      return out;
    });
    return { totalSize: cursor.rows.length, done, ...(done ? {} : { nextRecordsUrl: `/services/data/v${version}/query/${cursorId}-${end}` }), records };
  };

  function runQuery(version: string, soql: string, req: IncomingMessage) {
    calls.query++;
    const q = parseSoql(soql);
    const map = objects.has(q.type) ? ensureType(q.type) : undefined;
    if (!map) throw new HttpError(400, errorBody('INVALID_TYPE', `\n${soql}\n^\nsObject type '${q.type}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name.`));
    const resolve = resolverFor(q.type);
    const test = q.where ? compileCond(q.where, resolve) : () => true;
    let rows: SfRecord[] = [];
    for (const r of map.values()) if (test(r)) rows.push(r);
    if (q.orderBy.length) {
      const keys = q.orderBy.map((o) => ({ ...o, key: resolve(o.field) }));
      const decorated = rows.map((r) => ({ r, k: keys.map((o) => sortKey(o.key, r[o.key])) }));
      decorated.sort((a, b) => {
        for (let i = 0; i < keys.length; i++) {
          const x = a.k[i];
          const y = b.k[i];
          if (x === y) continue;
          if (x === null) return keys[i].nullsLast ? 1 : -1;
          if (y === null) return keys[i].nullsLast ? -1 : 1;
          const c = typeof x === typeof y ? cmpOf(x, y) : cmpOf(String(x), String(y));
          if (c !== 0) return keys[i].desc ? -c : c;
        }
        return 0;
      });
      rows = decorated.map((d) => d.r);
    }
    if (q.offset || q.limit !== null) rows = rows.slice(q.offset, q.limit === null ? undefined : q.offset + q.limit);
    if (q.count) return { totalSize: rows.length, done: true, records: [] };
    const select = q.fields.map((f) => {
      const key = resolve(f);
      return { key, out: key.includes('.') ? key.split('.')[0] : key };
    });
    const cursorId = `01g${String(++cursorSeq).padStart(12, '0')}AAA`;
    const cursor: Cursor = { type: q.type, rows, select, batchSize: batchSizeOf(req, 2000) };
    cursors.set(cursorId, cursor);
    return page(version, cursorId, cursor, 0, cursor.batchSize);
  }

  function queryMore(version: string, locator: string, req: IncomingMessage) {
    calls.queryMore++;
    const m = /^(01g\w+)-(\d+)$/.exec(locator);
    const cursor = m ? cursors.get(m[1]) : undefined;
    if (!m || !cursor) throw new HttpError(400, errorBody('INVALID_QUERY_LOCATOR', 'invalid query locator'));
    return page(version, m[1], cursor, Number(m[2]), batchSizeOf(req, cursor.batchSize));
  }

  type SaveResult = { id?: string; success: boolean; errors: Array<{ statusCode: string; message: string; fields: string[] }> };
  function collection(method: 'POST' | 'PATCH', body: unknown): SaveResult[] {
    if (!isObject(body) || !Array.isArray(body.records)) throw new HttpError(400, errorBody('JSON_PARSER_ERROR', 'Expected a body with records'));
    const records = body.records as unknown[];
    if (records.length > 200) throw new HttpError(400, errorBody('EXCEEDED_ID_LIMIT', 'record limit reached. cannot submit more than 200 records into this call'));
    const allOrNone = body.allOrNone === true;
    const stamp = nextStamp();
    const plans = records.map((raw): { type: string; fields: Record<string, SfValue>; existing: SfRecord | null; error: SaveError | null; id?: string } => {
      if (!isObject(raw)) return { type: '', fields: {}, existing: null, error: { statusCode: 'INVALID_INPUT', message: 'not a record', fields: [] } };
      const attrs = isObject(raw.attributes) ? raw.attributes : {};
      const type = typeof attrs.type === 'string' ? attrs.type : '';
      if (!type || !objects.has(type)) return { type, fields: {}, existing: null, error: { statusCode: 'INVALID_TYPE', message: `sObject type '${type}' is not supported.`, fields: [] } };
      const { id: rawId, ...rest } = raw;
      const fields = canonical(type, rest);
      if (method === 'POST') return { type, fields, existing: null, error: validate(type, fields, null) };
      const id = typeof rawId === 'string' ? rawId : '';
      const existing = findRecord(type, id) ?? null;
      if (!existing) {
        const wasDeleted = (deletedLog.get(type) ?? []).some((d) => d.id === id || d.id.slice(0, 15) === id);
        return { type, fields, existing: null, id, error: wasDeleted ? { statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] } : { statusCode: 'MALFORMED_ID', message: `Record ID: id value of incorrect type: ${id}`, fields: ['Id'] } };
      }
      return { type, fields, existing, id: existing.Id, error: validate(type, fields, existing) };
    });
    const anyError = plans.some((p) => p.error);
    return plans.map((p) => {
      if (p.error) return { ...(p.id ? { id: p.id } : {}), success: false, errors: [p.error] };
      if (allOrNone && anyError) return { ...(p.id ? { id: p.id } : {}), success: false, errors: [{ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK', message: 'Record rolled back because not all records were valid and the request was using AllOrNone header', fields: [] }] };
      const rec = p.existing ? modify(p.type, p.existing, p.fields, stamp) : insert(p.type, p.fields, stamp);
      return { id: rec.Id, success: true, errors: [] };
    });
  }

  function describe(type: string) {
    const names = fieldNames.get(type) ?? new Map<string, string>();
    const typeOf = (f: string) => (f === 'Id' || f.endsWith('Id') ? 'id' : /Date$|Modstamp$/.test(f) ? 'datetime' : f.startsWith('Is') ? 'boolean' : 'string');
    return {
      name: type,
      label: type,
      keyPrefix: prefixOf(type),
      createable: true,
      updateable: true,
      queryable: true,
      fields: [...names.values()].map((name) => ({ name, label: name, type: typeOf(name), nillable: !(requiredFields[type] ?? []).includes(name) && name !== 'Id', createable: !READ_ONLY.has(name.toLowerCase()), updateable: !READ_ONLY.has(name.toLowerCase()) })),
    };
  }

  function replication(kind: 'deleted' | 'updated', type: string, url: URL) {
    calls[kind]++;
    if (!objects.has(type)) throw new HttpError(404, errorBody('NOT_FOUND', 'The requested resource does not exist'));
    const startText = url.searchParams.get('start');
    const endText = url.searchParams.get('end');
    if (!startText || !endText) throw new HttpError(400, errorBody('MISSING_ARGUMENT', 'start and end are both required'));
    const start = parseInstant(startText);
    const end = parseInstant(endText);
    if (Number.isNaN(start) || Number.isNaN(end)) throw new HttpError(400, errorBody('INVALID_REPLICATION_DATE', `Unable to parse the start or end date: ${startText}, ${endText}`));
    if (end < start) throw new HttpError(400, errorBody('INVALID_REPLICATION_DATE', 'startDate must chronologically precede endDate'));
    const latestDateCovered = sfDateTime(Math.min(end, Date.now()));
    if (kind === 'updated') {
      const ids: string[] = [];
      for (const r of objects.get(type)?.values() ?? []) {
        const at = parseInstant(r.SystemModstamp);
        if (at >= start && at <= end) ids.push(r.Id);
      }
      return { ids, latestDateCovered };
    }
    if (start < earliestDateAvailable) throw new HttpError(400, errorBody('INVALID_REPLICATION_DATE', `startDate before the earliest date available: ${sfDateTime(earliestDateAvailable)}`));
    const deletedRecords = (deletedLog.get(type) ?? []).filter((d) => {
      const at = parseInstant(d.deletedDate);
      return at >= start && at <= end;
    });
    return { deletedRecords, earliestDateAvailable: sfDateTime(earliestDateAvailable), latestDateCovered };
  }

  const limitsBody = () => ({
    ConcurrentAsyncGetReportInstances: { Max: 200, Remaining: 200 },
    DailyApiRequests: { Max: apiUsage.max, Remaining: Math.max(0, apiUsage.max - apiUsage.used) },
    DailyBulkApiBatches: { Max: 15_000, Remaining: 15_000 },
    DataStorageMB: { Max: 5, Remaining: 5 },
  });

  async function rest(req: IncomingMessage, res: ServerResponse, url: URL) {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const bodyText = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);
    requests.push({ method, path: `${path}${url.search}`, headers: req.headers, body: bodyText });
    if (requests.length > 1000) requests.splice(0, requests.length - 1000);

    const fault = faults.find((f) => !f.match || (typeof f.match === 'string' ? `${path}${url.search}`.includes(f.match) : f.match.test(`${path}${url.search}`)));
    if (fault) {
      fault.remaining--;
      if (fault.remaining <= 0) faults.splice(faults.indexOf(fault), 1);
      calls.failed++;
      return send(res, fault.status, fault.body ?? errorBody(fault.status === 429 ? 'REQUEST_LIMIT_EXCEEDED' : fault.status === 401 ? 'INVALID_SESSION_ID' : 'UNKNOWN_EXCEPTION', fault.status === 429 ? 'Too many requests' : fault.status === 401 ? 'Session expired or invalid' : 'An unexpected error occurred.'), fault.headers ?? {});
    }
    if (path === '/services/data' || path === '/services/data/') {
      return send(res, 200, ['50.0', '55.0', '58.0', '59.0', '60.0', '61.0', '62.0', '63.0', '64.0'].map((v) => ({ label: `v${v}`, url: `/services/data/v${v}`, version: v })));
    }
    const accessToken = bearer(req, url);
    if (!accessToken || !sessions.has(accessToken)) {
      calls.unauthorized++;
      return send(res, 401, errorBody('INVALID_SESSION_ID', 'Session expired or invalid'));
    }
    calls.rest++;
    apiUsage.used++;

    if (path.startsWith('/id/')) {
      calls.identity++;
      return send(res, 200, { id: idUrl(base), asserted_user: true, user_id: USER_ID, organization_id: ORG_ID, username: credentials.username, nick_name: 'owner', display_name: 'Fake Owner', email: credentials.username, active: true, user_type: 'STANDARD', language: 'en_US', locale: 'en_US', utcOffset: -18_000_000, last_modified_date: sfDateTime(startedAt), is_app_installed: true });
    }
    const m = /^\/services\/data\/v(\d+\.\d+)(\/.*)?$/.exec(path);
    if (!m) return send(res, 404, errorBody('NOT_FOUND', 'The requested resource does not exist'));
    const version = m[1];
    const sub = (m[2] ?? '').replace(/\/$/, '');
    const parts = sub.split('/').filter(Boolean).map(decodeURIComponent);

    if (sub === '' && method === 'GET') {
      const v = `/services/data/v${version}`;
      return send(res, 200, { sobjects: `${v}/sobjects`, query: `${v}/query`, search: `${v}/search`, limits: `${v}/limits`, composite: `${v}/composite`, identity: idUrl(base) });
    }
    if (sub === '/limits' && method === 'GET') {
      calls.limits++;
      return send(res, 200, limitsBody());
    }
    if (parts[0] === 'query' && method === 'GET') {
      if (delayMs) await sleep(delayMs);
      if (held) await held;
      if (parts.length === 1) {
        const q = url.searchParams.get('q');
        if (!q) throw new HttpError(400, errorBody('MALFORMED_QUERY', 'A query string has to be specified'));
        return send(res, 200, runQuery(version, q, req));
      }
      return send(res, 200, queryMore(version, parts[1], req));
    }
    if (parts[0] === 'composite' && parts[1] === 'sobjects') {
      if (parts.length === 2 && (method === 'POST' || method === 'PATCH')) {
        calls[method === 'POST' ? 'create' : 'update']++;
        return send(res, 200, collection(method, parseJson(bodyText)));
      }
      if (parts.length === 2 && method === 'DELETE') {
        calls.delete++;
        const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
        if (ids.length > 200) throw new HttpError(400, errorBody('EXCEEDED_ID_LIMIT', 'record limit reached. cannot submit more than 200 records into this call'));
        const at = nextStamp();
        return send(
          res,
          200,
          ids.map((id) => {
            const type = [...objects.keys()].find((t) => findRecord(t, id));
            const rec = type ? findRecord(type, id) : undefined;
            if (!type || !rec) return { id, success: false, errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }] };
            erase(type, rec.Id, at);
            return { id: rec.Id, success: true, errors: [] };
          }),
        );
      }
      if (parts.length === 3 && method === 'POST') {
        calls.retrieve++;
        const type = parts[2];
        const body = parseJson(bodyText);
        const ids = isObject(body) && Array.isArray(body.ids) ? (body.ids as unknown[]).map(String) : [];
        const fields = isObject(body) && Array.isArray(body.fields) ? (body.fields as unknown[]).map(String) : [];
        const resolve = resolverFor(type);
        return send(
          res,
          200,
          ids.map((id) => {
            const rec = findRecord(type, id);
            if (!rec) return null;
            const out: Record<string, unknown> = { attributes: { type, url: recordUrl(version, type, rec.Id) } };
            for (const f of fields) out[resolve(f)] = rec[resolve(f)] ?? null;
            return out;
          }),
        );
      }
    }
    if (parts[0] === 'sobjects') {
      if (parts.length === 1 && method === 'GET') {
        calls.describe++;
        return send(res, 200, { encoding: 'UTF-8', maxBatchSize: 200, sobjects: [...objects.keys()].map((name) => ({ name, label: name, keyPrefix: prefixOf(name), queryable: true, createable: true, updateable: true, deletable: true, urls: { sobject: `/services/data/v${version}/sobjects/${name}` } })) });
      }
      const type = parts[1];
      if (!objects.has(type)) throw new HttpError(404, errorBody('NOT_FOUND', 'The requested resource does not exist'));
      if (parts.length === 2 && method === 'POST') {
        calls.create++;
        const body = parseJson(bodyText);
        if (!isObject(body)) throw new HttpError(400, errorBody('JSON_PARSER_ERROR', 'Expected a JSON object'));
        const fields = canonical(type, body);
        const error = validate(type, fields, null);
        if (error) throw new HttpError(400, errorBody(error.statusCode, error.message, error.fields));
        const rec = insert(type, fields, nextStamp());
        return send(res, 201, { id: rec.Id, success: true, errors: [] });
      }
      if (parts.length === 3 && (parts[2] === 'deleted' || parts[2] === 'updated') && method === 'GET') return send(res, 200, replication(parts[2], type, url));
      if (parts.length === 3 && parts[2] === 'describe' && method === 'GET') {
        calls.describe++;
        return send(res, 200, describe(type));
      }
      if (parts.length === 3) {
        const rec = findRecord(type, parts[2]);
        if (method === 'GET') {
          calls.retrieve++;
          if (!rec) throw new HttpError(404, errorBody('NOT_FOUND', 'The requested resource does not exist'));
          const wanted = url.searchParams.get('fields');
          const resolve = resolverFor(type);
          const out: Record<string, unknown> = { attributes: { type, url: recordUrl(version, type, rec.Id) } };
          if (wanted) for (const f of wanted.split(',')) out[resolve(f.trim())] = rec[resolve(f.trim())] ?? null;
          else Object.assign(out, rec);
          return send(res, 200, out);
        }
        if (method === 'PATCH') {
          calls.update++;
          if (!rec) throw new HttpError(404, errorBody('NOT_FOUND', 'The requested resource does not exist'));
          const body = parseJson(bodyText);
          if (!isObject(body)) throw new HttpError(400, errorBody('JSON_PARSER_ERROR', 'Expected a JSON object'));
          const fields = canonical(type, body);
          const error = validate(type, fields, rec);
          if (error) throw new HttpError(400, errorBody(error.statusCode, error.message, error.fields));
          modify(type, rec, fields, nextStamp());
          return send(res, 204, undefined);
        }
        if (method === 'DELETE') {
          calls.delete++;
          if (!rec) throw new HttpError(404, errorBody('ENTITY_IS_DELETED', 'entity is deleted'));
          erase(type, rec.Id, nextStamp());
          return send(res, 204, undefined);
        }
      }
    }
    return send(res, 404, errorBody('NOT_FOUND', 'The requested resource does not exist'));
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const soapPath = /^\/services\/Soap\/u\/(\d+\.\d+)(?:\/[^/]+)?\/?$/.exec(url.pathname);
      if (req.method === 'POST' && soapPath) return soap(soapPath[1], await readBody(req), res);
      if (req.method === 'POST' && url.pathname === '/services/oauth2/token') return token(new URLSearchParams(await readBody(req)), res);
      if (req.method === 'POST' && url.pathname === '/services/oauth2/revoke') {
        const t = url.searchParams.get('token') ?? new URLSearchParams(await readBody(req)).get('token') ?? '';
        sessions.delete(t);
        refreshTokens.delete(t);
        return send(res, 200, undefined, {}, false);
      }
      if (url.pathname.startsWith('/services/data') || url.pathname.startsWith('/id/')) return rest(req, res, url);
      return send(res, 404, errorBody('NOT_FOUND', 'The requested resource does not exist'), {}, false);
    })().catch((err: unknown) => {
      if (res.headersSent) return res.end();
      if (err instanceof HttpError) return send(res, err.status, err.body);
      return send(res, 500, errorBody('UNKNOWN_EXCEPTION', String(err)));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const typeMap = (type: string) => {
    const map = objects.get(type);
    if (!map) throw new Error(`the fake Salesforce has no ${type} records (seed some first)`);
    return map;
  };
  const stampOf = (at: string | Date | number | undefined) => (at === undefined ? nextStamp() : typeof at === 'string' ? parseInstant(at) : new Date(at).getTime());

  return {
    /** Login URL and instance URL alike (SOAP login answers `${url}/services/Soap/u/<ver>/<org>`). */
    url: base,
    organizationId: ORG_ID,
    userId: USER_ID,
    /** What SOAP login and the OAuth password grant accept: `password + securityToken`. */
    credentials,
    sessions,
    refreshTokens,
    /** Per sObject type, id → record (Contact, Lead, Task, Account exist from the start). */
    objects,
    /** Per sObject type, the delete log `sobjects/<T>/deleted` reads. */
    deletedLog,
    /** Per sObject type, the fields a create (or an update blanking them) must have. */
    requiredFields,
    /** `Sforce-Limit-Info` and `limits` read this; `used` counts authenticated REST calls. */
    apiUsage,
    calls,
    requests,
    /** Set `oauthClient` to check the connected app's client id and secret on the token endpoint. */
    state,
    /** The oldest deletion the org still remembers; `deleted` from before it is INVALID_REPLICATION_DATE. */
    get earliestDateAvailable(): string {
      return sfDateTime(earliestDateAvailable);
    },
    set earliestDateAvailable(at: string | Date) {
      earliestDateAvailable = typeof at === 'string' ? parseInstant(at) : at.getTime();
    },
    /** Milliseconds every query and queryMore page waits before answering. */
    get delayMs(): number {
      return delayMs;
    },
    set delayMs(ms: number) {
      delayMs = ms;
    },
    /** Holds every query and queryMore page until the function it returns is called (a sync kept mid-pull for as long as a test needs). */
    hold(): () => void {
      let release = () => undefined as void;
      held = new Promise<void>((resolve) => {
        release = () => {
          held = null;
          resolve();
        };
      });
      return release;
    },
    /** A valid OAuth-style access token (`token` or a fresh one). */
    addSession(accessToken?: string): string {
      const t = accessToken ?? `${ORG_ID.slice(0, 15)}!AR${randomBytes(24).toString('base64url')}`;
      sessions.add(t);
      return t;
    },
    /** A refresh token the token endpoint honours. */
    issueRefreshToken(refreshToken?: string): string {
      const t = refreshToken ?? `5Aep861${randomBytes(30).toString('base64url')}`;
      refreshTokens.add(t);
      return t;
    },
    /** Every session and access token stops working now (refresh tokens still do). */
    expireSessions() {
      sessions.clear();
    },
    /** The next `count` REST requests (those matching `match`, if given) answer this instead. */
    failNext(count: number, fault: SfFault) {
      if (count > 0) faults.push({ ...fault, remaining: count });
    },
    clearFaults() {
      faults.length = 0;
    },
    /** Inserts records of `type` (made by someone at Salesforce), all stamped `modstamp` (else now). */
    seed(type: string, fieldsList: Array<Record<string, SfValue>>, opts: { modstamp?: string | Date } = {}): SfRecord[] {
      ensureType(type);
      const stamp = stampOf(opts.modstamp);
      return fieldsList.map((f) => insert(type, canonical(type, f), stamp));
    },
    /** Changes a record's fields and bumps SystemModstamp / LastModifiedDate (to now, or `modstamp`). */
    touch(type: string, id: string, fields: Record<string, SfValue> = {}, opts: { modstamp?: string | Date } = {}): SfRecord {
      const rec = typeMap(type).get(id);
      if (!rec) throw new Error(`no fake ${type} ${id}`);
      return modify(type, rec, canonical(type, fields), stampOf(opts.modstamp));
    },
    /** Deletes a record into the delete log (at `deletedDate`, else now). */
    remove(type: string, id: string, opts: { deletedDate?: string | Date } = {}) {
      if (!erase(type, id, stampOf(opts.deletedDate))) throw new Error(`no fake ${type} ${id}`);
    },
    records(type: string): SfRecord[] {
      return [...(objects.get(type)?.values() ?? [])];
    },
    get(type: string, id: string): SfRecord | undefined {
      return objects.get(type)?.get(id);
    },
    /** Open query cursors (each one's result is kept until its last page is read). */
    openCursors: () => cursors.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeSalesforce = Awaited<ReturnType<typeof startFakeSalesforce>>;
