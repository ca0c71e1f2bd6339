/** Value pools of the bad-input fuzzer: strings, dates and JSON a careless server might choke on. Nothing here knows HTTP. */
import type { Rng } from './rng.ts';

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
export const JSON_SCALARS: readonly unknown[] = [null, true, false, 0, -1, 1, 1.5, -0.0001, 1e308, -1e308, 2 ** 53 + 1, -(2 ** 63), 5e-324, '', ' ', 'x'];
export const JSON_CONTAINERS: readonly unknown[] = [[], {}, [null], [1, 'a', null], { a: 1 }, { '': '' }, [[[]]], { $gt: '' }, { $ne: null }];

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

export const isRaw = (v: unknown): v is RawJson => typeof v === 'object' && v !== null && '__fuzzRaw' in v;

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

