/** Mutations of values and bodies, driven by the JSON Schema of an operation's request body. */
import type { Rng } from './rng.ts';
import {
  BAD_DATES,
  EDGE_DATES,
  JSON_CONTAINERS,
  JSON_SCALARS,
  NUMERIC_STRINGS,
  SQL_INJECTIONS,
  STORAGE_HOSTILE,
  deepArray,
  deepJson,
  deepObject,
  isRaw,
  longString,
  nastyString,
} from './values.ts';

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
      // The schema's own edges are valid values too, and where a column is narrower than
      // its schema they are what fails (a lead value of 5e10 once answered 500).
      if (rng.chance(0.2)) return rng.pick([min, max]);
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
      [3, () => {
        const value = rng.pick(numberEdges(s));
        return { value, label: `schema edge ${value}` };
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

/** The schema's own bounds and the values just past them: where validation and storage disagree. */
function numberEdges(s: JsonSchema): number[] {
  const edges: number[] = [];
  for (const bound of [s.minimum, s.maximum, s.exclusiveMinimum, s.exclusiveMaximum]) {
    if (bound === undefined) continue;
    edges.push(bound, bound + 1, bound - 1, bound + 0.01, bound - 0.01, bound * 10);
  }
  return edges.length ? edges : [0, 2 ** 31, 1e10];
}
