import { valueAt } from './paths.ts';

/**
 * Automation conditions (pure): `all` / `any` / `not`, nested, over leaves that compare a
 * field of the run's context (a dotted path) with a value. Seed 002's shape:
 * `{all: [{type: "equals", field: "event.type", value: "appointment"}]}`.
 */
export const OPERATORS = ['equals', 'not_equals', 'contains', 'starts_with', 'in', 'gt', 'gte', 'lt', 'lte', 'exists', 'matches'] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Leaf {
  type: Operator;
  field: string;
  value?: unknown;
}
export type Condition = Leaf | { all: Condition[] } | { any: Condition[] } | { not: Condition };

/** `matches` reads at most this much of a value: with the pattern checks on save, a match stays fast. */
export const MATCH_INPUT_LIMIT = 10_000;

const isNumberLike = (v: unknown): v is number | string => (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)));
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Numbers compare as numbers, ISO dates as instants, anything else as text. */
function compare(a: unknown, b: unknown): number | null {
  if (isNumberLike(a) && isNumberLike(b)) return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string' && ISO_DATE.test(a) && ISO_DATE.test(b)) return Date.parse(a) - Date.parse(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return null;
}

const same = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (isNumberLike(a) && isNumberLike(b) && typeof a !== typeof b) return Number(a) === Number(b);
  if (a && b && typeof a === 'object' && typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return false;
};

function leaf(c: Leaf, context: unknown): boolean {
  const actual = valueAt(context, c.field);
  switch (c.type) {
    case 'exists':
      return c.value === false ? actual === undefined || actual === null : actual !== undefined && actual !== null;
    case 'equals':
      return same(actual, c.value);
    case 'not_equals':
      return !same(actual, c.value);
    case 'contains':
      if (Array.isArray(actual)) return actual.some((x) => same(x, c.value));
      return typeof actual === 'string' && typeof c.value === 'string' && actual.toLowerCase().includes(c.value.toLowerCase());
    case 'starts_with':
      return typeof actual === 'string' && typeof c.value === 'string' && actual.toLowerCase().startsWith(c.value.toLowerCase());
    case 'in':
      return Array.isArray(c.value) && c.value.some((x) => same(actual, x));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const d = compare(actual, c.value);
      if (d === null || Number.isNaN(d)) return false;
      return c.type === 'gt' ? d > 0 : c.type === 'gte' ? d >= 0 : c.type === 'lt' ? d < 0 : d <= 0;
    }
    case 'matches':
      return typeof actual === 'string' && typeof c.value === 'string' && new RegExp(c.value, 'i').test(actual.slice(0, MATCH_INPUT_LIMIT));
  }
}

export function evaluate(condition: Condition | null | undefined, context: unknown): boolean {
  if (!condition) return true;
  if ('all' in condition) return condition.all.every((c) => evaluate(c, context));
  if ('any' in condition) return condition.any.some((c) => evaluate(c, context));
  if ('not' in condition) return !evaluate(condition.not, context);
  return leaf(condition, context);
}

/**
 * Why a `matches` pattern is refused, or null. It must compile, be short, and have no
 * quantified group that itself contains a quantifier (`(a+)+`, `(a|aa)*`): the patterns
 * that backtrack exponentially. With the input capped, a match then takes microseconds,
 * which is the time limit a workflow can keep (it cannot interrupt a regex).
 */
export function patternProblem(pattern: string): string | null {
  if (pattern.length > 200) return 'must be at most 200 characters';
  try {
    new RegExp(pattern);
  } catch (err) {
    return `is not a valid regular expression (${err instanceof Error ? err.message : String(err)})`;
  }
  if (/\\[1-9]|\\k</.test(pattern)) return 'may not use back-references';
  // A group with a quantifier inside, itself quantified.
  const stack: boolean[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '[') {
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
      continue;
    }
    if (ch === '(') stack.push(false);
    else if (ch === ')') {
      const inner = stack.pop() ?? false;
      const next = pattern[i + 1];
      const quantified = next === '*' || next === '+' || next === '?' || next === '{';
      if (inner && quantified && next !== '?') return 'nests quantifiers (such as (a+)+), which can take exponential time';
      if (stack.length && (inner || quantified)) stack[stack.length - 1] = true;
    } else if ((ch === '*' || ch === '+' || ch === '{') && stack.length) {
      stack[stack.length - 1] = true;
    } else if (ch === '|' && stack.length) {
      // An alternation repeated can backtrack like a nested quantifier ((a|aa)*).
      stack[stack.length - 1] = true;
    }
  }
  return null;
}
