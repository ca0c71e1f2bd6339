/** Pieces of malformed requests: paths, query values, bodies, and the transport-level pools (encodings, content types, ids). */
import { BAD_DATES, INJECTIONS, NUMERIC_STRINGS, UNICODE_STRINGS, describeValue, longString, mutateValue, nastyString, serializeJson, typeOf, unwrap, validValue, type JsonSchema, type Rng } from './generators.ts';
import { type FuzzWorld, type Items, type OpenApiParameter, type Operation } from './operations.ts';

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

export function validPathValue(rng: Rng, world: FuzzWorld, op: Operation, p: OpenApiParameter): string {
  const real = itemsFor(world.own, op, p.name).filter((id) => !world.protectedIds.has(id));
  if (real.length && rng.chance(0.6)) return real[rng.int(0, real.length - 1)];
  return String(validValue(rng, p.schema, p.name));
}

export function buildPath(op: Operation, values: Record<string, string>): string {
  return op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => values[name] ?? 'x');
}

export function baselinePath(rng: Rng, world: FuzzWorld, op: Operation): string {
  const values: Record<string, string> = {};
  for (const p of op.pathParams) values[p.name] = enc(validPathValue(rng, world, op, p));
  return buildPath(op, values);
}

/** Form encoding of an object: arrays as repeated keys, objects as JSON text. */
export function formOf(value: unknown): URLSearchParams {
  const form = new URLSearchParams();
  if (typeof value !== 'object' || value === null) return form;
  for (const [k, v] of Object.entries(value)) {
    const items = Array.isArray(v) ? v : [v];
    for (const item of items) form.append(k, typeof item === 'string' ? item : serializeJson(item));
  }
  return form;
}

export function bodyText(contentType: string, value: unknown): { text: string; form: URLSearchParams | null } {
  if (contentType.includes('x-www-form-urlencoded')) {
    const form = formOf(value);
    return { text: form.toString(), form };
  }
  return { text: serializeJson(value), form: null };
}

export const withAuth = (headers: Record<string, string>, value: string | null) => {
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

export function badPathValues(rng: Rng, world: FuzzWorld, op: Operation, p: OpenApiParameter): Array<readonly [number, () => PathValue & { foreign?: boolean }]> {
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

export function badQueryValue(rng: Rng, schema: JsonSchema | undefined): string {
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

export const CONTENT_TYPES = [
  'text/plain', 'text/html', 'application/xml', 'text/xml', 'multipart/form-data; boundary=----fuzz', 'multipart/form-data', 'application/x-www-form-urlencoded',
  'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/json; charset=utf-16le', 'application/json; charset=utf-7', 'application/json; charset=bogus',
  'application/json; charset="utf-8"', 'application/json;', 'application/json;;', 'APPLICATION/JSON', 'application/json, text/plain', 'application/vnd.api+json',
  'application/csp-report', 'application/merge-patch+json', 'application/json-patch+json', 'application/octet-stream', '*/*', 'json', 'application/', '/',
  'application/x-www-form-urlencoded; charset=bogus', 'application/json; boundary=x', 'application/json; charset=utf-8; charset=ascii', 'image/png',
] as const;

export const INVALID_JSON = [
  '{', '}', '[', '{"name":', '{"name": "x",}', "{'name':'x'}", '{name: "x"}', '[1,]', 'NaN', 'undefined', '{"a":1}{"b":2}', '{"a":1} trailing',
  '{"a":01}', '{"a":.5}', '{"a":+1}', '{"a":"\\x41"}', '{"a":"\\u12"}', '{"a":"\\ud800"}', '"x"', 'null', '1', '-1', 'true', '""', ' ', '\n\n', '\u0000',
  '/* c */ {}', '{"a":Infinity}', '{"a":"\t"}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"name":"a","name":{"$gt":""}}',
  '\ufeff{"name":"bom"}', `{"name":${'9'.repeat(400)}}`, '{"name":1e999999}', '['.repeat(100_000), '{"a":'.repeat(20_000), '{"name":"x"}\u0000',
  '{"name":"\\u0000"}', '{"":""}', '{"name":"x"}'.repeat(1_000), '[{"name":"x"}]', '{"name":"x"} // comment',
];

/** Byte sequences no UTF-8 decoder should accept silently. */
export const BAD_UTF8: ReadonlyArray<readonly [string, number[]]> = [
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

export const IDEMPOTENCY_KEYS = (rng: Rng, index: number, seed: number) => [
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

export const REQUEST_IDS = (rng: Rng, index: number) => [
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

