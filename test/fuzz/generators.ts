/**
 * Building blocks of the bad-input fuzzer: a seeded PRNG (so a failing run reproduces
 * with the same FUZZ_SEED) and value generators, each of which produces something a
 * careless server might choke on. Nothing here knows about HTTP.
 */

// ---------------------------------------------------------------------------------
// PRNG

/** mulberry32: a tiny, fast 32-bit PRNG; good enough to spread test inputs, not for crypto. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Rng {
  /** In [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** True with probability p. */
  chance(p: number): boolean;
  /** Picks by weight: `[[weight, value], ...]`. */
  weighted<T>(choices: ReadonlyArray<readonly [number, T]>): T;
  /** Up to n distinct items, in random order. */
  sample<T>(items: readonly T[], n: number): T[];
  /** A v4-shaped UUID drawn from this stream (reproducible, unlike crypto.randomUUID). */
  uuid(): string;
}

export function createRng(seed: number): Rng {
  const next = mulberry32(seed);
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[int(0, items.length - 1)];
  };
  const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[int(0, 15)]).join('');
  return {
    next,
    int,
    pick,
    chance: (p) => next() < p,
    weighted<T>(choices: ReadonlyArray<readonly [number, T]>): T {
      const total = choices.reduce((s, [w]) => s + w, 0);
      let r = next() * total;
      for (const [w, v] of choices) {
        if ((r -= w) < 0) return v;
      }
      return choices[choices.length - 1][1];
    },
    sample<T>(items: readonly T[], n: number): T[] {
      const copy = [...items];
      const out: T[] = [];
      while (copy.length && out.length < n) out.push(copy.splice(int(0, copy.length - 1), 1)[0]);
      return out;
    },
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`,
  };
}

// ---------------------------------------------------------------------------------
// Value pools

export const SQL_INJECTIONS = [
  "' OR 1=1 --",
  "' OR '1'='1",
  '" OR ""="',
  "'; DROP TABLE contacts; --",
  "1; SELECT pg_sleep(3)--",
  "' UNION SELECT email, password_hash FROM users --",
  "admin'--",
  "') OR ('a'='a",
  "1' AND (SELECT 1 FROM pg_catalog.pg_user)='1",
  "%' AND 1=1 AND '%'='",
  "\\'; COPY (SELECT 1) TO PROGRAM 'id'; --",
  "$$; SELECT 1; $$",
  "E'\\\\x00'",
  "TenantId = 'x' OR TenantId != ''",
] as const;

export const TEMPLATE_INJECTIONS = [
  '{{7*7}}',
  '${7*7}',
  '<%= 7*7 %>',
  '#{7*7}',
  '{{constructor.constructor("return process")()}}',
  '${{<%[%\'"}}%\\.',
  '{% raw %}{{7*7}}{% endraw %}',
  '[[${7*7}]]',
] as const;

export const OTHER_INJECTIONS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '../../../../etc/passwd',
  '..\\..\\..\\windows\\win.ini',
  '%s%s%s%s%n',
  '{"$gt": ""}',
  '$where',
  'javascript:alert(1)',
  '() { :; }; echo vulnerable',
  '`id`',
  '$(id)',
  '|id',
  'file:///etc/passwd',
  'http://169.254.169.254/latest/meta-data/',
  '\r\nSet-Cookie: x=1',
  '__proto__',
  'constructor',
] as const;

export const INJECTIONS: readonly string[] = [...SQL_INJECTIONS, ...TEMPLATE_INJECTIONS, ...OTHER_INJECTIONS];

/** Strings that are valid JSON strings but hard on encoders, collations and text columns. */
export const UNICODE_STRINGS = [
  'a\u0000b', // NUL: PostgreSQL text cannot hold it
  '\u0000',
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  'x\ud83dy', // broken emoji pair
  '\ufeffname', // BOM
  '\u202egnp.exe', // right-to-left override
  'zero\u200bwidth\u200d\u2060',
  'e\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301', // stacked combining marks
  'Z̷̢̛̺͇̖͚̳͇̺̥͍̅̇̓̆͐̈́͂̄̚ą̶̛̗̦̝̜̈́̄l̸̨̛̘̗̤̂̔͂͘g̷̗̣̺̎̅̊o',
  '🙂👩‍👩‍👧‍👦🏳️‍🌈',
  '中文テスト한국어',
  'ﷺ𒀱𝕿𝖊𝖘𝖙',
  '\u00a0\u2028\u2029',
  '\uffff\ufffe',
  '\u0001\u0002\u001f\u007f',
  'İıſK', // case-folding surprises
  '１２３', // full-width digits
] as const;

/** Strings that pass a plain `z.string()` but that PostgreSQL text and jsonb refuse (or that JSON encoders escape). */
export const STORAGE_HOSTILE = ['a\u0000b', '\u0000', 'x\u0000', '\udfff', '\ud800x', 'x\ud83dy', '\udc00\ud800', 'ok\u0000\udfff'] as const;

/** Date-times that match ISO-8601-with-zone (so validation lets them through) but sit at the edges of what the database stores. */
export const EDGE_DATES = [
  '0000-01-01T00:00:00Z',
  '0000-01-01T00:30:00+01:00', // year -1 in UTC
  '0001-01-01T00:00:00+23:59',
  '9999-12-31T23:59:59-23:59', // year 10000 in UTC
  '9999-12-31T23:59:59.999999999Z',
  '1969-12-31T23:59:59.999-00:00',
  '2024-02-29T00:00:00Z',
  '1900-02-28T12:00:00+14:00',
] as const;

export const NUMERIC_STRINGS = [
  'NaN', 'Infinity', '-Infinity', '1e309', '-1e309', '-0', '0x1F', '0b101', '0o17', '1_000', ' 5 ', '5 ', '+5', '1.', '.5',
  '1e2', '9007199254740993', '-9223372036854775809', '99999999999999999999999999', '1,5', '١٢٣', '', ' ', 'null', 'undefined', 'true',
] as const;

export const BAD_DATES = [
  '2024-02-30T00:00:00Z',
  '2023-02-29T00:00:00Z',
  '2024-13-01T00:00:00Z',
  '2024-00-10T00:00:00Z',
  '2024-01-01T24:00:00Z',
  '2024-01-01T23:60:00Z',
  '2024-01-01T23:59:60Z', // leap second
  '2024-01-01T00:00:00', // no zone
  '2024-01-01',
  '2024-01-01T00:00:00+99:99',
  '2024-01-01T00:00:00+14:00',
  '2024-01-01T00:00:00-23:59',
  '2024-01-01T00:00:00.1234567890123Z',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00+23:00',
  '9999-12-31T23:59:59-23:59',
  '+275760-09-13T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '2024-01-01T00:00:00z',
  '2024-01-01t00:00:00Z',
  '2024-01-01 00:00:00Z',
  '20240101T000000Z',
  'yesterday',
  'now()',
  '1704067200',
  '1704067200000',
  'Mon, 01 Jan 2024 00:00:00 GMT',
  '２０２４-01-01T00:00:00Z',
  ...EDGE_DATES,
] as const;

/** JSON values of every type; a field expecting one gets one of the others. */
const JSON_SCALARS: readonly unknown[] = [null, true, false, 0, -1, 1, 1.5, -0.0001, 1e308, -1e308, 2 ** 53 + 1, -(2 ** 63), 5e-324, '', ' ', 'x'];
const JSON_CONTAINERS: readonly unknown[] = [[], {}, [null], [1, 'a', null], { a: 1 }, { '': '' }, [[[]]], { $gt: '' }, { $ne: null }];

// ---------------------------------------------------------------------------------
// Raw JSON: values the fuzzer serializes itself (too deep for JSON.stringify, or not JSON at all)

/** A placeholder JSON.stringify can carry; `serializeJson` swaps it for the raw text. */
export interface RawJson {
  readonly __fuzzRaw: string;
  readonly label: string;
}

const rawRegistry: string[] = [];

/** A value that serializes to exactly `text` (which may be invalid or 100k levels deep). */
export function rawJson(text: string, label: string): RawJson {
  rawRegistry.push(text);
  return { __fuzzRaw: `__FUZZ_RAW_${rawRegistry.length - 1}__`, label };
}

const isRaw = (v: unknown): v is RawJson => typeof v === 'object' && v !== null && '__fuzzRaw' in v;

/** JSON.stringify, with RawJson placeholders replaced by their raw text. */
export function serializeJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (isRaw(v) ? v.__fuzzRaw : v));
  return text === undefined ? '' : text.replace(/"__FUZZ_RAW_(\d+)__"/g, (_m, i: string) => rawRegistry[Number(i)]);
}

export const deepArray = (depth: number) => rawJson('['.repeat(depth) + ']'.repeat(depth), `[[[…]]] ×${depth}`);
export const deepObject = (depth: number) => rawJson('{"a":'.repeat(depth) + '0' + '}'.repeat(depth), `{"a":{"a":…}} ×${depth}`);
export const deepJson = (rng: Rng) => (rng.chance(0.5) ? deepArray : deepObject)(rng.pick([64, 1_000, 10_000, 50_000]));

// ---------------------------------------------------------------------------------
// Strings

export function longString(rng: Rng, length?: number): string {
  const n = length ?? rng.pick([1_000, 10_001, 100_000, 100_000, 300_000]);
  const unit = rng.pick(['x', 'é', '🙂', "'", '\\', '%', 'ab ']);
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
}

/** Something nasty as a string: injection, odd Unicode, numeric-looking, a bad date, or very long. */
export function nastyString(rng: Rng): string {
  return rng.weighted<() => string>([
    [4, () => rng.pick(SQL_INJECTIONS)],
    [3, () => rng.pick(TEMPLATE_INJECTIONS)],
    [2, () => rng.pick(OTHER_INJECTIONS)],
    [4, () => rng.pick(UNICODE_STRINGS)],
    [3, () => rng.pick(STORAGE_HOSTILE)],
    [2, () => rng.pick(NUMERIC_STRINGS)],
    [2, () => rng.pick(BAD_DATES)],
    [1, () => longString(rng, rng.pick([256, 257, 1_025, 5_000]))],
    [1, () => `${rng.pick(INJECTIONS)}${rng.pick(UNICODE_STRINGS)}`],
  ])();
}

// ---------------------------------------------------------------------------------
// JSON Schema (the subset zod's toJSONSchema emits)

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  default?: unknown;
}

/** The branch that is not `null` (for `anyOf: [X, {type: null}]`). */
export function unwrap(schema: JsonSchema | undefined): JsonSchema {
  if (!schema) return {};
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches?.length) return unwrap(branches.find((b) => b.type !== 'null') ?? branches[0]);
  if (schema.allOf?.length) return unwrap(schema.allOf[0]);
  return schema;
}

export function typeOf(schema: JsonSchema): string {
  const s = unwrap(schema);
  if (s.enum) return 'enum';
  if (Array.isArray(s.type)) return s.type.find((t) => t !== 'null') ?? 'unknown';
  if (s.type) return s.type;
  if (s.properties) return 'object';
  return 'unknown';
}

/** A plausible valid value: the baseline a mutation then breaks in one place. */
export function validValue(rng: Rng, schema: JsonSchema | undefined, name = ''): unknown {
  const s = unwrap(schema);
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return rng.pick(s.enum);
  switch (typeOf(s)) {
    case 'string':
      return validString(rng, s, name);
    case 'integer':
    case 'number': {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 0);
      const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : min + 100);
      return Math.min(max, Math.max(min, rng.int(min, Math.min(max, min + 10))));
    }
    case 'boolean':
      return rng.chance(0.5);
    case 'array': {
      const n = Math.max(s.minItems ?? 0, rng.int(0, Math.min(2, s.maxItems ?? 2)));
      return Array.from({ length: n }, () => validValue(rng, s.items, name));
    }
    case 'object':
      return validObject(rng, s);
    default:
      return 'x';
  }
}

function validString(rng: Rng, s: JsonSchema, name: string): string {
  const n = name.toLowerCase();
  let v: string;
  if (s.format === 'email' || n.includes('email')) v = `fuzz-${rng.int(0, 1e9)}@example.com`;
  else if (s.format === 'uuid') v = rng.uuid();
  else if (s.format === 'date-time') v = new Date(Date.UTC(2025, rng.int(0, 11), rng.int(1, 28), rng.int(0, 23))).toISOString();
  else if (s.pattern && /\^\[A-Za-z0-9_.:-\]/.test(s.pattern)) v = `fuzz-${rng.int(0, 1e6)}`;
  else if (n.includes('phone') || n === 'from' || n === 'to') v = `+1202555${String(rng.int(0, 9999)).padStart(4, '0')}`;
  else if (n.includes('timezone') || n === 'tz') v = rng.pick(['Europe/Berlin', 'UTC', 'America/New_York']);
  else if (n.includes('password')) v = 'correct horse battery staple';
  else if (n.includes('sid')) v = `SM${rng.uuid().replace(/-/g, '')}`;
  else v = `fuzz ${n || 'value'} ${rng.int(0, 1e6)}`;
  if (s.minLength && v.length < s.minLength) v = v.padEnd(s.minLength, 'x');
  if (s.maxLength !== undefined && v.length > s.maxLength) v = v.slice(0, Math.max(s.maxLength, s.minLength ?? 0));
  return v;
}

function validObject(rng: Rng, s: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const required = new Set(s.required ?? []);
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    if (required.has(key) || rng.chance(0.35)) out[key] = validValue(rng, prop, key);
  }
  return out;
}

// ---------------------------------------------------------------------------------
// Mutations of one value

export interface Mutated {
  value: unknown;
  /** A short description for the failure report. */
  label: string;
}

const describe = (v: unknown): string => {
  if (isRaw(v)) return v.label;
  if (typeof v === 'string') return v.length > 60 ? `"${v.slice(0, 20)}…" (${v.length} chars)` : JSON.stringify(v);
  const text = JSON.stringify(v, (_k, x: unknown) => (isRaw(x) ? `<${x.label}>` : x));
  return text === undefined ? String(v) : text.length > 80 ? `${text.slice(0, 60)}… (${text.length} chars)` : text;
};

/** A value of some other JSON type than the schema wants. */
export function wrongType(rng: Rng, schema: JsonSchema | undefined): Mutated {
  const t = typeOf(schema ?? {});
  const pool = [...JSON_SCALARS, ...JSON_CONTAINERS].filter((v) => {
    if (t === 'string' || t === 'enum') return typeof v !== 'string';
    if (t === 'number' || t === 'integer') return typeof v !== 'number';
    if (t === 'boolean') return typeof v !== 'boolean';
    if (t === 'array') return !Array.isArray(v);
    if (t === 'object') return typeof v !== 'object' || Array.isArray(v) || v === null;
    return true;
  });
  const value = rng.pick(pool);
  return { value, label: `wrong type ${describe(value)}` };
}

/** Breaks one value in a way that fits what it is supposed to be. */
export function mutateValue(rng: Rng, schema: JsonSchema | undefined, name = ''): Mutated {
  const s = unwrap(schema);
  const t = typeOf(s);
  const generic: Array<readonly [number, () => Mutated]> = [
    [4, () => wrongType(rng, s)],
    [2, () => ({ value: null, label: 'null' })],
    [3, () => nastyStr(rng)],
    [1, () => {
      const deep = deepJson(rng);
      return { value: deep, label: `deep JSON ${deep.label}` };
    }],
    [1, () => ({ value: rng.pick(JSON_CONTAINERS), label: 'container' })],
  ];
  const specific: Array<readonly [number, () => Mutated]> = [];
  if (t === 'string') {
    specific.push(
      [3, () => ({ value: longString(rng), label: 'huge string' })],
      [1, () => ({ value: '', label: 'empty string' })],
      [1, () => ({ value: '   \t\n ', label: 'whitespace only' })],
      [1, () => ({ value: s.maxLength !== undefined ? 'y'.repeat(s.maxLength + 1) : longString(rng, 70_000), label: 'maxLength + 1' })],
      [2, () => ({ value: rng.pick(BAD_DATES), label: 'bad date' })],
      [1, () => ({ value: rng.pick(NUMERIC_STRINGS), label: 'numeric-looking string' })],
    );
    if (s.format === 'email' || /email/i.test(name)) {
      specific.push([3, () => {
        const value = rng.pick([
          'a@b', '@example.com', 'a@', 'a@@example.com', 'a b@example.com', `${'x'.repeat(320)}@example.com`, "o'brien@example.com",
          '"quoted"@example.com', 'a@example.com\u0000', 'ADMIN@EXAMPLE.COM', 'a@xn--bcher-kva.example', 'a@[127.0.0.1]', `${rng.pick(SQL_INJECTIONS)}@example.com`,
        ]);
        return { value, label: `bad email ${describe(value)}` };
      }]);
    }
    if (s.format === 'uuid') {
      specific.push([3, () => {
        const value = rng.pick(['not-a-uuid', '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', `{${rng.uuid()}}`, rng.uuid().toUpperCase(), rng.uuid().replace(/-/g, ''), `${rng.uuid()}x`]);
        return { value, label: `bad uuid ${describe(value)}` };
      }]);
    }
  } else if (t === 'integer' || t === 'number') {
    specific.push(
      [3, () => {
        const value = rng.pick([-1, 0, -0.5, 1.5, 1e308, -1e308, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 5e-324, (s.maximum ?? 100) + 1, (s.minimum ?? 0) - 1]);
        return { value, label: `out-of-range number ${value}` };
      }],
      [3, () => {
        const value = rng.pick(NUMERIC_STRINGS);
        return { value, label: `number as string ${describe(value)}` };
      }],
    );
  } else if (t === 'enum') {
    specific.push([4, () => {
      const first = String(s.enum?.[0] ?? 'x');
      const value = rng.pick([first.toUpperCase(), ` ${first}`, `${first} `, `${first}\u0000`, first.slice(0, -1), `${first},${first}`, 'other', '*', '%']);
      return { value, label: `near-miss enum ${describe(value)}` };
    }]);
  } else if (t === 'array') {
    specific.push(
      [2, () => ({ value: Array.from({ length: rng.pick([51, 1_000, 20_000]) }, (_, i) => `t${i}`), label: 'very long array' })],
      [2, () => {
        const value = Array.from({ length: rng.int(1, 4) }, () => mutateValue(rng, s.items).value);
        return { value, label: `array of bad items` };
      }],
      [1, () => ({ value: validValue(rng, s.items, name), label: 'single item instead of array' })],
    );
  } else if (t === 'object') {
    specific.push(
      [3, () => {
        const m = mutateObject(rng, s);
        return { value: m.value, label: `{${m.label}}` };
      }],
      [1, () => ({ value: Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`k${i}`, i])), label: '1000 keys' })],
      [1, () => ({ value: { ['x'.repeat(5_000)]: 'v' }, label: '5000-char key' })],
    );
  }
  return rng.weighted([...generic, ...specific])();
}

function nastyStr(rng: Rng): Mutated {
  const value = nastyString(rng);
  return { value, label: `nasty string ${describe(value)}` };
}

// ---------------------------------------------------------------------------------
// Mutations of an object body

/** An object schema with no declared properties: a map whose values the client chooses. */
const isFreeMap = (p: JsonSchema) => {
  const u = unwrap(p);
  return typeOf(u) === 'object' && !u.properties && (u.additionalProperties === undefined || typeof u.additionalProperties === 'object');
};

export const UNKNOWN_KEYS = [
  'is_admin', 'role', 'tenant_id', 'id', 'password_hash', '__proto__', 'constructor', 'prototype', '$where', 'a.b', '', ' ', 'name ', 'NAME',
  'x'.repeat(300), '\u0000', '🙂', "'; DROP TABLE users; --", '{{7*7}}', 'toString', 'hasOwnProperty',
] as const;

/**
 * A body derived from `schema` with one to three things wrong; with `validOnly`, only
 * odd-but-valid changes (strings PostgreSQL refuses, edge dates, deep free-form maps),
 * so the body gets past validation to the handler and the database.
 */
export function mutateObject(rng: Rng, schema: JsonSchema, { validOnly = false } = {}): Mutated {
  const s = unwrap(schema);
  const body = validObject(rng, s);
  const props = Object.entries(s.properties ?? {});
  // One label per field: a later change to the same field replaces the earlier one's label.
  const labelled = new Map<string, string>();
  const labels = { push: (text: string) => labelled.set(text.split(':')[0], text) };
  const steps = rng.int(1, 3);
  for (let i = 0; i < steps; i++) {
    const invalid = validOnly ? 0 : 1;
    const op = rng.weighted<string>([
      [props.length ? 6 * invalid : 0, 'field'],
      [props.length ? 3 : 0, 'nasty-valid'],
      [props.some(([, p]) => unwrap(p).format === 'date-time') ? 2 : 0, 'edge-date'],
      [props.some(([, p]) => isFreeMap(p)) ? 2 : 0, 'deep-map'],
      [2 * invalid, 'unknown'],
      [(s.required?.length ?? 0) ? 2 * invalid : 0, 'drop-required'],
      [1 * invalid, 'proto'],
      [0.01, 'nothing'],
    ]);
    if (op === 'nothing') continue;
    if (op === 'field') {
      const [key, prop] = rng.pick(props);
      const m = mutateValue(rng, prop, key);
      body[key] = m.value;
      labels.push(`${key}: ${m.label}`);
    } else if (op === 'nasty-valid') {
      // Strings that pass validation and so reach the database and the serializers.
      const strings = props.filter(([, p]) => typeOf(p) === 'string' && !unwrap(p).format && !unwrap(p).pattern);
      if (!strings.length) continue;
      const [key, prop] = rng.pick(strings);
      let value = validOnly && rng.chance(0.5) ? rng.pick(STORAGE_HOSTILE) : nastyString(rng);
      const max = unwrap(prop).maxLength;
      if (max !== undefined) value = value.slice(0, max);
      if (!value.trim()) value = `${value}x`;
      body[key] = value;
      labels.push(`${key}: odd string ${describe(value)}`);
    } else if (op === 'edge-date') {
      // Valid ISO-8601 with a zone, so it passes validation; then it meets the database.
      const [key] = rng.pick(props.filter(([, p]) => unwrap(p).format === 'date-time'));
      body[key] = rng.pick(EDGE_DATES);
      labels.push(`${key}: edge date ${describe(body[key])}`);
    } else if (op === 'deep-map') {
      // A free-form map (`metadata`) accepts any JSON: a deep or odd value reaches a jsonb column.
      const [key] = rng.pick(props.filter(([, p]) => isFreeMap(p)));
      const value = rng.pick<() => unknown>([
        () => ({ nested: deepObject(rng.pick([1_000, 5_000, 20_000])) }),
        () => ({ list: deepArray(rng.pick([1_000, 5_000, 20_000])) }),
        () => ({ [rng.pick(STORAGE_HOSTILE)]: rng.pick(STORAGE_HOSTILE) }),
        () => ({ big: 1e308, tiny: 5e-324, neg: -0, n: 2 ** 64 }),
        () => Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${i}`, 'v'])),
      ])();
      body[key] = value;
      labels.push(`${key}: ${describe(value)}`);
    } else if (op === 'unknown') {
      const key = rng.pick(UNKNOWN_KEYS);
      const value = rng.chance(0.5) ? nastyString(rng) : rng.pick([...JSON_SCALARS, ...JSON_CONTAINERS]);
      Object.defineProperty(body, key, { value, enumerable: true, configurable: true, writable: true });
      labels.push(`unknown field ${describe(key)}: ${describe(value)}`);
    } else if (op === 'drop-required') {
      const key = rng.pick(s.required ?? []);
      delete body[key];
      labels.push(`missing ${key}`);
    } else {
      const value = rng.pick([{ isAdmin: true }, { role: 'admin' }, { polluted: 'yes' }]);
      Object.defineProperty(body, rng.pick(['__proto__', 'constructor']), {
        value: rng.chance(0.5) ? value : { prototype: value },
        enumerable: true,
        configurable: true,
        writable: true,
      });
      labels.push(`prototype pollution ${describe(value)}`);
    }
  }
  return { value: body, label: [...labelled.values()].join(', ') || 'valid body' };
}

/** A whole body that is not the object the schema wants. */
export function wrongBody(rng: Rng, schema: JsonSchema): Mutated {
  const valid = validObject(rng, unwrap(schema));
  return rng.weighted<() => Mutated>([
    [2, () => ({ value: [valid], label: 'array of the body' })],
    [1, () => ({ value: [], label: 'empty array' })],
    [2, () => ({ value: {}, label: 'empty object' })],
    [1, () => ({ value: Object.fromEntries(Object.entries(valid).map(([k, v]) => [k, String(v)])), label: 'every field as a string' })],
    [1, () => ({ value: { data: valid }, label: 'wrapped in {data}' })],
    [2, () => {
      const deep = deepJson(rng);
      return { value: deep, label: `deep JSON body ${deep.label}` };
    }],
    [1, () => ({ value: { ...valid, nested: deepObject(10_000) }, label: 'valid body + 10k-deep unknown field' })],
  ])();
}

export const describeValue = describe;
