/**
 * Malformed requests built from the API's own OpenAPI document: every documented
 * path and method, with broken path parameters, query strings, bodies (mutated from
 * the operation's request-body schema), raw bytes and headers. Request n depends only
 * on the seed, n and the world, so one failing case can be rebuilt on its own.
 */
import { METHODS } from 'node:http';
import jwt from 'jsonwebtoken';
import { gzipSync, deflateSync } from 'node:zlib';
import {
  BAD_DATES,
  INJECTIONS,
  NUMERIC_STRINGS,
  UNICODE_STRINGS,
  createRng,
  describeValue,
  longString,
  mutateObject,
  mutateValue,
  nastyString,
  serializeJson,
  typeOf,
  unwrap,
  validValue,
  wrongBody,
  type JsonSchema,
  type Rng,
} from './generators.ts';

// ---------------------------------------------------------------------------------
// The OpenAPI document

interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
}

interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  security?: unknown[];
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

export interface Operation {
  method: string;
  /** The template, `/api/v1/contacts/{id}`. */
  path: string;
  summary: string;
  secured: boolean;
  pathParams: OpenApiParameter[];
  queryParams: OpenApiParameter[];
  headerParams: OpenApiParameter[];
  body?: { contentType: string; schema: JsonSchema };
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

/** Every operation of the document, in document order. */
export function operationsOf(doc: OpenApiDoc, undocumentedBodies: Record<string, { contentType: string; schema: JsonSchema }> = {}): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!HTTP_METHODS.includes(method)) continue;
      const params = op.parameters ?? [];
      const content = Object.entries(op.requestBody?.content ?? {})[0];
      const key = `${method.toUpperCase()} ${path}`;
      ops.push({
        method: method.toUpperCase(),
        path,
        summary: op.summary ?? '',
        secured: Boolean(op.security?.length),
        pathParams: params.filter((p) => p.in === 'path'),
        queryParams: params.filter((p) => p.in === 'query'),
        headerParams: params.filter((p) => p.in === 'header'),
        body: content ? { contentType: content[0], schema: content[1].schema ?? {} } : undocumentedBodies[key],
      });
    }
  }
  return ops;
}

// ---------------------------------------------------------------------------------
// What the fuzzer knows about the system under test

export type Items = Array<Record<string, unknown>>;

export interface AuthVariant {
  /** The Authorization header value, or null for none. */
  value: string | null;
  label: string;
  /** True when no route that needs a caller may accept it. */
  invalid: boolean;
}

export interface FuzzWorld {
  seed: number;
  /** A valid access token of the fuzzing tenant's admin. */
  token: string;
  /** Broken, forged, expired and oddly formatted Authorization headers. */
  badAuth: AuthVariant[];
  /** Collection path (`/api/v1/contacts`) → its items, as the fuzzing tenant lists them: real ids to aim at. */
  own: Record<string, Items>;
  /** The same for another tenant: its ids must never be reachable. */
  foreign: Record<string, Items>;
  /** Ids never to use as a path parameter (the sentinel whose integrity is checked). */
  protectedIds: Set<string>;
  /** Extra headers a route's own authentication needs (a webhook signature), given the final URL and form. */
  sign?: (op: Operation, url: string, form: URLSearchParams | null) => Record<string, string>;
}

export interface FuzzRequest {
  index: number;
  kind: string;
  operation: string;
  method: string;
  /** Path and query, as sent (already percent-encoded where needed). */
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** Human-readable description of what is malformed. */
  input: string;
  /** Why this request must not succeed (another tenant's id, an invalid token on a private route). */
  mustNotSucceed?: string;
  /** Text the response may echo back (stored odd values): excluded from leak scans. */
  echoText: string;
}

/**
 * Authorization headers that must not authenticate anyone (invalid: true), plus odd but
 * acceptable spellings of a valid one (invalid: false: accepting or refusing is fine).
 */
export function badAuthorizations(validToken: string, refreshToken: string, secret: string): AuthVariant[] {
  const claims = jwt.decode(validToken) as Record<string, unknown>;
  const { exp: _exp, iat: _iat, ...rest } = claims;
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const [head, payload, sig] = validToken.split('.');
  const now = Math.floor(Date.now() / 1000);
  const bad = (label: string, value: string | null): AuthVariant => ({ label, value, invalid: true });
  return [
    bad('Bearer', 'Bearer'),
    bad('Bearer a.b.c', 'Bearer a.b.c'),
    bad('Basic', 'Basic eHh4Onl5eQ=='),
    bad('Basic with the token', `Basic ${validToken}`),
    bad('Token scheme', `Token ${validToken}`),
    bad('8000-char token', `Bearer ${'x'.repeat(8_000)}`),
    bad('8000-char JWT-shaped token', `Bearer ${'a'.repeat(3_000)}.${'b'.repeat(3_000)}.${'c'.repeat(2_000)}`),
    bad('tampered signature', `Bearer ${head}.${payload}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`),
    bad('tampered payload', `Bearer ${head}.${b64({ ...claims, role: 'admin', tenant_id: '00000000-0000-0000-0000-000000000000' })}.${sig}`),
    bad('alg none', `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`),
    bad('alg none, no dot', `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${payload}`),
    bad('HS512 with the real secret', `Bearer ${jwt.sign(rest, secret, { algorithm: 'HS512', expiresIn: 600 })}`),
    bad('signed with another secret', `Bearer ${jwt.sign(rest, 'another-secret-that-is-at-least-32-characters', { algorithm: 'HS256', expiresIn: 600 })}`),
    bad('expired', `Bearer ${jwt.sign({ ...rest, exp: now - 3_600 }, secret, { algorithm: 'HS256' })}`),
    bad('not yet valid', `Bearer ${jwt.sign({ ...rest, nbf: now + 3_600 }, secret, { algorithm: 'HS256', expiresIn: 7_200 })}`),
    bad('kid path traversal', `Bearer ${jwt.sign(rest, 'k'.repeat(32), { algorithm: 'HS256', header: { alg: 'HS256', kid: '../../../../dev/null' } })}`),
    bad('refresh token as access token', `Bearer ${refreshToken}`),
    bad('token with a suffix', `Bearer ${validToken}.x`),
    bad('two tokens', `Bearer ${validToken} ${validToken}`),
    bad('template string', 'Bearer {{7*7}}'),
    bad('SQL injection', "Bearer ' OR 1=1 --"),
    bad('empty JSON parts', `Bearer ${b64({})}.${b64({})}.${sig}`),
    bad('header is not JSON', `Bearer ${Buffer.from('not json').toString('base64url')}.${payload}.${sig}`),
    bad('latin-1 bytes', 'Bearer \u00e9\u00e9\u00e9'),
    { label: 'lower-case scheme', value: `bearer ${validToken}`, invalid: false },
    { label: 'upper-case scheme', value: `BEARER ${validToken}`, invalid: false },
    { label: 'two spaces', value: `Bearer  ${validToken}`, invalid: false },
    { label: 'tab separator', value: `Bearer\t${validToken}`, invalid: false },
  ];
}

// ---------------------------------------------------------------------------------
// Helpers

/** The items of the collection a path parameter points into: `/contacts/{id}` → `/contacts`. */
function itemsFor(pool: Record<string, Items>, op: Operation, param: string): string[] {
  const at = op.path.indexOf(`/{${param}}`);
  if (at < 0) return [];
  const items = pool[op.path.slice(0, at)] ?? [];
  return items.map((it) => it[param] ?? it.id).filter((v): v is string => typeof v === 'string');
}

/** Percent-encodes text for a URL; lone surrogates (which encodeURIComponent refuses) become U+FFFD. */
export const enc = (text: string) => encodeURIComponent(text.toWellFormed());

/** Header values fetch can carry: bytes 0x00–0xFF minus NUL/CR/LF, no surrounding whitespace. */
export function headerSafe(text: string): string {
  const out = [...text.toWellFormed()].map((c) => (c.charCodeAt(0) > 0xff || c.length > 1 || /[\0\r\n]/.test(c) ? '?' : c)).join('');
  return out.trim();
}

function validPathValue(rng: Rng, world: FuzzWorld, op: Operation, p: OpenApiParameter): string {
  const real = itemsFor(world.own, op, p.name).filter((id) => !world.protectedIds.has(id));
  if (real.length && rng.chance(0.6)) return real[rng.int(0, real.length - 1)];
  return String(validValue(rng, p.schema, p.name));
}

function buildPath(op: Operation, values: Record<string, string>): string {
  return op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => values[name] ?? 'x');
}

function baselinePath(rng: Rng, world: FuzzWorld, op: Operation): string {
  const values: Record<string, string> = {};
  for (const p of op.pathParams) values[p.name] = enc(validPathValue(rng, world, op, p));
  return buildPath(op, values);
}

/** Form encoding of an object: arrays as repeated keys, objects as JSON text. */
function formOf(value: unknown): URLSearchParams {
  const form = new URLSearchParams();
  if (typeof value !== 'object' || value === null) return form;
  for (const [k, v] of Object.entries(value)) {
    const items = Array.isArray(v) ? v : [v];
    for (const item of items) form.append(k, typeof item === 'string' ? item : serializeJson(item));
  }
  return form;
}

function bodyText(contentType: string, value: unknown): { text: string; form: URLSearchParams | null } {
  if (contentType.includes('x-www-form-urlencoded')) {
    const form = formOf(value);
    return { text: form.toString(), form };
  }
  return { text: serializeJson(value), form: null };
}

const withAuth = (headers: Record<string, string>, value: string | null) => {
  if (value !== null) headers.authorization = headerSafe(value);
  return headers;
};

// ---------------------------------------------------------------------------------
// Pools for the transport-level mutations

interface PathValue {
  /** Inserted into the URL as is (may be deliberately malformed percent-encoding). */
  raw: string;
  label: string;
}

function badPathValues(rng: Rng, world: FuzzWorld, op: Operation, p: OpenApiParameter): Array<readonly [number, () => PathValue & { foreign?: boolean }]> {
  const text = (t: string, label = describeValue(t)): PathValue => ({ raw: enc(t), label });
  const raw = (r: string): PathValue => ({ raw: r, label: `raw ${JSON.stringify(r.length > 60 ? `${r.slice(0, 40)}…(${r.length})` : r)}` });
  const foreign = itemsFor(world.foreign, op, p.name);
  const uuid = rng.uuid();
  return [
    [3, () => text(rng.pick(['not-a-uuid', '1', '0', '-1', '9'.repeat(40), 'null', 'undefined', 'true', '[]', '{}', 'me', '*', '.', '~']))],
    [3, () => text(rng.pick(INJECTIONS))],
    [2, () => text(rng.pick(UNICODE_STRINGS))],
    [2, () => text(longString(rng, rng.pick([201, 1_000, 5_000])), 'very long')],
    [3, () => raw(rng.pick([
      '..%2F..%2F..%2Fetc%2Fpasswd', '%2e%2e', '%2E%2E%2F', '..;', '%00', `${uuid}%00`, `%00${uuid}`, '%E0%A4%A', '%', '%%', '%ZZ', '%C0%AE%C0%AE',
      '%FF%FE', '%2F', `${uuid}%2F..`, '%5C', '%20', `%20${uuid}`, `${uuid}%0D%0ASet-Cookie:%20x=1`, ';x=1', `${uuid};x=1`, '%u0041', '%EF%BB%BF', `${uuid}%09`,
      '%F0%9F%98', '%ED%A0%80', '..%252F', `${uuid}.json`,
    ]))],
    [2, () => text(rng.pick([uuid.toUpperCase(), `{${uuid}}`, uuid.replace(/-/g, ''), `${uuid}0`, uuid.slice(1), '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '6ba7b810-9dad-11d1-80b4-00c04fd430c8', `urn:uuid:${uuid}`]))],
    [foreign.length ? 3 : 0, () => ({ ...text(rng.pick(foreign), 'another tenant\'s id'), foreign: true })],
  ];
}

function badQueryValue(rng: Rng, schema: JsonSchema | undefined): string {
  const s = unwrap(schema);
  const t = typeOf(s);
  const pools: Array<readonly [number, () => string]> = [
    [3, () => nastyString(rng)],
    [1, () => longString(rng, rng.pick([201, 2_000, 6_000]))],
    [1, () => String(mutateValue(rng, s).value)],
  ];
  if (t === 'integer' || t === 'number') {
    pools.push([6, () => rng.pick([...NUMERIC_STRINGS, '-1', '0', '1.5', '1000001', '10001', '101', '2147483648', '1e6', '1e400', '-9999999999'])]);
  }
  if (t === 'enum' || s.enum) {
    const first = String(s.enum?.[0] ?? 'x');
    pools.push([5, () => rng.pick([first.toUpperCase(), `${first} `, `-${first}`, `${first},${first}`, 'password_hash', 'id; drop table x', 'created_at desc', '__proto__', 'constructor', 'toString'])]);
  }
  if (s.format === 'date-time' || /date/.test(JSON.stringify(s))) pools.push([6, () => rng.pick(BAD_DATES)]);
  if (s.format === 'uuid') pools.push([4, () => rng.pick(['not-a-uuid', rng.uuid().toUpperCase(), `${rng.uuid()}'--`, '00000000-0000-0000-0000-000000000000'])]);
  return rng.weighted(pools)();
}

const CONTENT_TYPES = [
  'text/plain', 'text/html', 'application/xml', 'text/xml', 'multipart/form-data; boundary=----fuzz', 'multipart/form-data', 'application/x-www-form-urlencoded',
  'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/json; charset=utf-16le', 'application/json; charset=utf-7', 'application/json; charset=bogus',
  'application/json; charset="utf-8"', 'application/json;', 'application/json;;', 'APPLICATION/JSON', 'application/json, text/plain', 'application/vnd.api+json',
  'application/csp-report', 'application/merge-patch+json', 'application/json-patch+json', 'application/octet-stream', '*/*', 'json', 'application/', '/',
  'application/x-www-form-urlencoded; charset=bogus', 'application/json; boundary=x', 'application/json; charset=utf-8; charset=ascii', 'image/png',
] as const;

const INVALID_JSON = [
  '{', '}', '[', '{"name":', '{"name": "x",}', "{'name':'x'}", '{name: "x"}', '[1,]', 'NaN', 'undefined', '{"a":1}{"b":2}', '{"a":1} trailing',
  '{"a":01}', '{"a":.5}', '{"a":+1}', '{"a":"\\x41"}', '{"a":"\\u12"}', '{"a":"\\ud800"}', '"x"', 'null', '1', '-1', 'true', '""', ' ', '\n\n', '\u0000',
  '/* c */ {}', '{"a":Infinity}', '{"a":"\t"}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"name":"a","name":{"$gt":""}}',
  '\ufeff{"name":"bom"}', `{"name":${'9'.repeat(400)}}`, '{"name":1e999999}', '['.repeat(100_000), '{"a":'.repeat(20_000), '{"name":"x"}\u0000',
  '{"name":"\\u0000"}', '{"":""}', '{"name":"x"}'.repeat(1_000), '[{"name":"x"}]', '{"name":"x"} // comment',
];

/** Byte sequences no UTF-8 decoder should accept silently. */
const BAD_UTF8: ReadonlyArray<readonly [string, number[]]> = [
  ['invalid continuation', [0xc3, 0x28]],
  ['lone 0xFF', [0xff]],
  ['0xFE 0xFF', [0xfe, 0xff]],
  ['overlong slash', [0xc0, 0xaf]],
  ['overlong 3-byte', [0xe0, 0x80, 0xaf]],
  ['encoded surrogate', [0xed, 0xa0, 0x80]],
  ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ['lone continuation', [0x80]],
  ['truncated 3-byte', [0xe2, 0x82]],
  ['truncated emoji', [0xf0, 0x9f, 0x98]],
  ['NUL byte', [0x00]],
  ['5-byte form', [0xf8, 0x88, 0x80, 0x80, 0x80]],
];

/** An Idempotency-Key used by request `index` alone: sending that request again must replay its answer. */
export const replayKey = (seed: number, index: number) => `fuzz-replay-${seed}-${index}`;

const IDEMPOTENCY_KEYS = (rng: Rng, index: number, seed: number) => [
  `fuzz-shared-${rng.int(1, 3)}`, // reused across different bodies: 409s
  replayKey(seed, index),
  'k'.repeat(255),
  'k'.repeat(256),
  'k'.repeat(4_000),
  ' leading',
  'with space',
  'é-latin1',
  "' OR 1=1 --",
  '{{7*7}}',
  '${7*7}',
  'a\tb',
  '\u00ff\u00fe',
  '"quoted"',
  ',',
];

const REQUEST_IDS = (rng: Rng, index: number) => [
  `fuzz-${index}-${rng.int(0, 1e9)}`,
  'x'.repeat(129),
  'x'.repeat(128),
  'x'.repeat(10_000),
  'short',
  'with spaces here',
  "' OR 1=1 --",
  '{{7*7}}',
  '<script>',
  '\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9',
  '../../etc/passwd',
  '12345678',
];

// ---------------------------------------------------------------------------------
// Building request n

export const KINDS = ['path-param', 'path-shape', 'query', 'body', 'body-shape', 'raw-body', 'bad-utf8', 'content-type', 'encoding', 'headers', 'method'] as const;
export type Kind = (typeof KINDS)[number];

/** Request number `index` for `op`: deterministic in (seed, index). */
export function buildRequest(world: FuzzWorld, op: Operation, index: number): FuzzRequest {
  const rng = createRng((world.seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const hasBody = op.method !== 'GET' && op.method !== 'HEAD';
  const kind = rng.weighted<Kind>([
    [op.pathParams.length ? 4 : 0, 'path-param'],
    [1, 'path-shape'],
    [op.queryParams.length ? 4 : 1, 'query'],
    [op.body ? 8 : 0, 'body'],
    [op.body ? 2 : 0, 'body-shape'],
    [hasBody ? 2 : 0, 'raw-body'],
    [hasBody ? 1.5 : 0, 'bad-utf8'],
    [hasBody ? 1.5 : 0, 'content-type'],
    [hasBody ? 0.7 : 0, 'encoding'],
    [2.5, 'headers'],
    [0.8, 'method'],
  ]);

  // Who is calling: mostly the valid tenant (so validation and handlers are reached), sometimes nobody or a broken token.
  const auth = rng.weighted<AuthVariant>([
    [op.secured ? 7.5 : 4, { value: `Bearer ${world.token}`, label: 'valid token', invalid: false }],
    [op.secured ? 1.2 : 5, { value: null, label: 'no token', invalid: true }],
    [1.3, rng.pick(world.badAuth)],
  ]);
  const headers: Record<string, string> = {};
  withAuth(headers, auth.value);
  let authLabel = auth.label;
  let method = op.method;
  let path = baselinePath(rng, world, op);
  let body: string | Uint8Array | undefined;
  let form: URLSearchParams | null = null;
  let input = '';
  let mustNotSucceed = op.secured && auth.invalid ? `private route answered 2xx with ${auth.label}` : undefined;
  const contentType = op.body?.contentType ?? 'application/json';
  const baselineBody = () => {
    if (!op.body) return undefined;
    const b = bodyText(contentType, validValue(rng, op.body.schema));
    form = b.form;
    headers['content-type'] = contentType;
    return b.text;
  };

  switch (kind) {
    case 'path-param': {
      const p = rng.pick(op.pathParams);
      const v = rng.weighted(badPathValues(rng, world, op, p))();
      const values: Record<string, string> = {};
      for (const q of op.pathParams) values[q.name] = q === p ? v.raw : enc(validPathValue(rng, world, op, q));
      path = buildPath(op, values);
      if (v.foreign) mustNotSucceed = "another tenant's id answered 2xx";
      input = `path ${p.name} = ${v.label}`;
      body = hasBody ? baselineBody() : undefined;
      break;
    }
    case 'path-shape': {
      const shapes: Array<readonly [string, (p: string) => string]> = [
        ['trailing slash', (p) => `${p}/`],
        ['double slash', (p) => p.replace('/api/v1/', '/api/v1//')],
        ['upper case', (p) => p.toUpperCase()],
        ['extra segment', (p) => `${p}/${enc(rng.pick(INJECTIONS))}`],
        ['.json suffix', (p) => `${p}.json`],
        ['encoded slash', (p) => p.replace(/\/(?=[^/]*$)/, '%2F')],
        ['matrix param', (p) => `${p};jsessionid=x`],
        ['dot segment', (p) => p.replace('/api/v1/', '/api/v1/%2e/')],
        ['backslash', (p) => p.replace('/api/v1/', '/api/v1\\')],
        ['other version', (p) => p.replace('/api/v1/', '/api/v2/')],
        ['no prefix', (p) => p.replace('/api/v1', '')],
        ['very long', (p) => `${p}/${'a'.repeat(6_000)}`],
        ['NUL', (p) => `${p}%00`],
      ];
      const [label, f] = rng.pick(shapes);
      path = f(path);
      input = `path shape: ${label}`;
      body = hasBody ? baselineBody() : undefined;
      break;
    }
    case 'query': {
      const pairs: string[] = [];
      const labels: string[] = [];
      const chosen = op.queryParams.length ? rng.sample(op.queryParams, rng.int(1, Math.min(3, op.queryParams.length))) : [];
      for (const p of chosen) {
        const style = rng.weighted<string>([[6, 'value'], [1, 'repeated'], [1, 'bracket'], [1, 'empty'], [1, 'bare'], [1, 'raw']]);
        const v = badQueryValue(rng, p.schema);
        if (style === 'value') pairs.push(`${enc(p.name)}=${enc(v)}`);
        else if (style === 'repeated') pairs.push(`${enc(p.name)}=${enc(v)}`, `${enc(p.name)}=${enc(String(validValue(rng, p.schema, p.name)))}`);
        else if (style === 'bracket') pairs.push(`${enc(p.name)}${rng.pick(['[]', '[0]', '[$ne]', '[a][b]'])}=${enc(v)}`);
        else if (style === 'empty') pairs.push(`${enc(p.name)}=`);
        else if (style === 'bare') pairs.push(enc(p.name));
        else pairs.push(`${enc(p.name)}=${rng.pick(['%', '%E0%A4%A', '%00', '%FF', '%ED%A0%80', '%2500', '+%2B+', '%0D%0A'])}`);
        labels.push(style === 'raw' ? `${pairs[pairs.length - 1]} (raw)` : style === 'empty' || style === 'bare' ? `${p.name} (${style})` : `${p.name} (${style}) = ${describeValue(v)}`);
      }
      if (!chosen.length || rng.chance(0.3)) {
        const extra = rng.pick(['__proto__[x]=1', 'constructor[prototype][x]=1', '$where=1', 'sort_by[$ne]=x', `${enc(rng.pick(INJECTIONS))}=1`, `x=${'y'.repeat(6_000)}`, '&&&', '==', '%=%', `${Array.from({ length: 300 }, (_, i) => `k${i}=${i}`).join('&')}`]);
        pairs.push(extra);
        labels.push(`extra ${JSON.stringify(extra.length > 50 ? `${extra.slice(0, 40)}…` : extra)}`);
      }
      path = `${path}?${pairs.join('&')}`;
      input = `query ${labels.join('; ')}`;
      body = hasBody ? baselineBody() : undefined;
      break;
    }
    case 'body': {
      const m = mutateObject(rng, op.body?.schema ?? {}, { validOnly: rng.chance(0.35) });
      const b = bodyText(contentType, m.value);
      body = b.text;
      form = b.form;
      headers['content-type'] = contentType;
      input = `body ${m.label}`;
      break;
    }
    case 'body-shape': {
      const m = wrongBody(rng, op.body?.schema ?? {});
      const b = bodyText(contentType, m.value);
      body = b.text;
      form = b.form;
      headers['content-type'] = contentType;
      input = `body shape: ${m.label}`;
      break;
    }
    case 'raw-body': {
      const which = rng.weighted<string>([[6, 'invalid'], [1, 'empty'], [1, 'huge'], [1, 'no-type']]);
      headers['content-type'] = op.body?.contentType ?? 'application/json';
      if (which === 'invalid') {
        body = rng.pick(INVALID_JSON);
        input = `raw body ${describeValue(body)}`;
      } else if (which === 'empty') {
        body = '';
        input = 'empty body with a JSON content type';
      } else if (which === 'huge') {
        body = serializeJson({ name: 'x', notes: 'y'.repeat(rng.pick([1_100_000, 3_000_000])) });
        input = `body of ${body.length} bytes (over the limit)`;
      } else {
        delete headers['content-type'];
        body = baselineBody() ?? '{"a":1}';
        delete headers['content-type'];
        input = 'JSON body without a content type';
      }
      break;
    }
    case 'bad-utf8': {
      const [label, bytes] = rng.pick(BAD_UTF8);
      const base = (op.body ? serializeJson(validValue(rng, op.body.schema)) : '{"a":"b"}') || '{}';
      const at = base.indexOf('":"') >= 0 ? base.indexOf('":"') + 3 : 1;
      const where = rng.weighted<string>([[5, 'in a string'], [1, 'as a key'], [1, 'whole body'], [1, 'utf-16 body']]);
      let buf: Buffer;
      if (where === 'in a string') buf = Buffer.concat([Buffer.from(base.slice(0, at)), Buffer.from(bytes), Buffer.from(base.slice(at))]);
      else if (where === 'as a key') buf = Buffer.concat([Buffer.from('{"'), Buffer.from(bytes), Buffer.from('":1}')]);
      else if (where === 'whole body') buf = Buffer.from(Array.from({ length: rng.int(1, 64) }, () => rng.int(0, 255)));
      else buf = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(base, 'utf16le')]);
      body = new Uint8Array(buf);
      headers['content-type'] = rng.pick([contentType, 'application/json; charset=utf-8', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16']);
      input = `bad UTF-8 (${label}, ${where}) as ${headers['content-type']}`;
      break;
    }
    case 'content-type': {
      headers['content-type'] = rng.pick(CONTENT_TYPES);
      const valid = op.body ? validValue(rng, op.body.schema) : { a: 1 };
      const flavour = rng.pick(['json', 'form', 'nested-form', 'xml', 'empty']);
      if (flavour === 'json') body = serializeJson(valid);
      else if (flavour === 'form') body = formOf(valid).toString();
      else if (flavour === 'nested-form') body = 'name=x&tags[]=a&tags[]=b&custom_fields[a][b][c][d][e][f][g]=1&a.b.c=d&__proto__[polluted]=1&metadata[x]=y&tags[999999]=z';
      else if (flavour === 'xml') body = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>';
      else body = '';
      input = `content-type ${JSON.stringify(headers['content-type'])} with ${flavour} body`;
      break;
    }
    case 'encoding': {
      const text = baselineBody() ?? '{"a":1}';
      headers['content-type'] = contentType;
      const [label, enc2, bytes] = rng.pick<readonly [string, string, Uint8Array]>([
        ['gzip, not compressed', 'gzip', Buffer.from(text)],
        ['deflate, not compressed', 'deflate', Buffer.from(text)],
        ['br, not compressed', 'br', Buffer.from(text)],
        ['gzip, valid', 'gzip', gzipSync(text)],
        ['deflate, valid', 'deflate', deflateSync(text)],
        ['gzip bomb (8 MB of spaces)', 'gzip', gzipSync(Buffer.alloc(8_000_000, 0x20))],
        ['gzip truncated', 'gzip', gzipSync(text).subarray(0, 12)],
        ['unknown coding', 'x-fuzz', Buffer.from(text)],
        ['compress', 'compress', Buffer.from(text)],
        ['double gzip header', 'gzip, gzip', gzipSync(gzipSync(text))],
        ['identity', 'identity', Buffer.from(text)],
      ]);
      headers['content-encoding'] = enc2;
      body = new Uint8Array(bytes);
      input = `content-encoding ${label}`;
      break;
    }
    case 'headers': {
      const labels: string[] = [];
      body = hasBody ? baselineBody() : undefined;
      for (let i = 0, n = rng.int(1, 3); i < n; i++) {
        const h = rng.pick(['authorization', 'idempotency', 'request-id', 'accept', 'forwarded', 'misc', 'many']);
        if (h === 'authorization') {
          const a = rng.pick(world.badAuth);
          delete headers.authorization;
          withAuth(headers, a.value);
          authLabel = a.label;
          mustNotSucceed = op.secured && a.invalid ? `private route answered 2xx with ${a.label}` : undefined;
          labels.push(`Authorization: ${a.label}`);
        } else if (h === 'idempotency') {
          const k = rng.pick(IDEMPOTENCY_KEYS(rng, index, world.seed));
          headers['idempotency-key'] = headerSafe(k);
          labels.push(`Idempotency-Key ${describeValue(k)}`);
        } else if (h === 'request-id') {
          const r = rng.pick(REQUEST_IDS(rng, index));
          headers['x-request-id'] = headerSafe(r);
          labels.push(`X-Request-Id ${describeValue(r)}`);
        } else if (h === 'accept') {
          headers.accept = rng.pick(['application/xml', 'text/html', '*/*;q=0', 'garbage', 'application/json;q=abc', '']);
          headers['accept-encoding'] = rng.pick(['gzip;q=abc', 'br, *;q=0', 'identity;q=0', 'x'.repeat(2_000)]);
          labels.push(`Accept ${JSON.stringify(headers.accept)}`);
        } else if (h === 'forwarded') {
          headers['x-forwarded-for'] = rng.pick(['x'.repeat(1_000), '127.0.0.1, ::1, garbage', '', "' OR 1=1 --", '999.999.999.999']);
          headers['x-forwarded-host'] = rng.pick(['evil.example', '', '{{7*7}}', 'a'.repeat(500)]);
          headers['x-forwarded-proto'] = rng.pick(['https', 'gopher', '']);
          labels.push('X-Forwarded-* garbage');
        } else if (h === 'misc') {
          headers.cookie = rng.pick(['a=b; koa.sess=garbage', '='.repeat(500), `token=${world.token}`]);
          headers.origin = rng.pick(['null', 'http://evil.example', '*']);
          headers['if-modified-since'] = rng.pick(['garbage', 'Mon, 01 Jan 0000 00:00:00 GMT']);
          headers.range = rng.pick(['bytes=abc', 'bytes=0-0,1-1,2-2', 'bytes=-1']);
          headers['x-twilio-signature'] = rng.pick(['', 'x', '='.repeat(200), 'AAAA']);
          headers['x-http-method-override'] = rng.pick(['DELETE', 'PUT', 'GET']);
          labels.push('Cookie/Origin/Range/If-Modified-Since/X-HTTP-Method-Override garbage');
        } else {
          for (let j = 0; j < 150; j++) headers[`x-fuzz-${j}`] = String(j);
          labels.push('150 extra headers');
        }
      }
      input = labels.join('; ');
      break;
    }
    case 'method': {
      const documented = new Set([op.method]);
      const candidates = METHODS.filter((m) => !documented.has(m) && !['CONNECT', 'TRACE', 'TRACK'].includes(m));
      method = rng.pick(candidates);
      mustNotSucceed = undefined; // another method on the same path may be a public route
      body = method !== 'GET' && method !== 'HEAD' && rng.chance(0.5) ? (baselineBody() ?? '{}') : undefined;
      if (body !== undefined) headers['content-type'] ??= 'application/json';
      input = `method ${method} (route documents ${op.method})`;
      break;
    }
  }

  // Cross-cutting extras, seldom enough not to drown the main mutation.
  if (!headers['x-request-id'] && rng.chance(0.25)) headers['x-request-id'] = `fuzz-${world.seed}-${index}`;
  if (method === 'POST' && !headers['idempotency-key'] && rng.chance(0.2)) {
    // Half of them a key of this request's own: the test sends those twice and compares.
    headers['idempotency-key'] = rng.chance(0.5) ? replayKey(world.seed, index) : headerSafe(rng.pick(IDEMPOTENCY_KEYS(rng, index, world.seed)));
  }
  if (world.sign && (kind === 'body' || kind === 'body-shape' || kind === 'query')) {
    Object.assign(headers, world.sign(op, path, form));
  }
  if (method === 'GET' || method === 'HEAD') body = undefined;

  const echoText = [decodeSafe(path), typeof body === 'string' ? body : body ? Buffer.from(body).toString('latin1') : '', ...Object.values(headers)].join('\n');
  return {
    index,
    kind,
    operation: `${op.method} ${op.path}`,
    method,
    path,
    headers,
    body,
    input: `${input} [${authLabel}]`,
    mustNotSucceed,
    echoText,
  };
}

function decodeSafe(path: string): string {
  try {
    return decodeURIComponent(path.replace(/\+/g, ' '));
  } catch {
    return path;
  }
}

/** One line for the failure list: enough to rebuild the case (FUZZ_SEED + FUZZ_ONLY=index). */
export function summarize(req: FuzzRequest): string {
  const p = req.path.length > 140 ? `${req.path.slice(0, 120)}…(${req.path.length} chars)` : req.path;
  return `#${req.index} ${req.method} ${p} — ${req.kind}: ${req.input}`;
}

