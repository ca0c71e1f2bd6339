/**
 * What each part of a reminder's RRULE may say (RFC 5545 §3.3.10), checked before the
 * rrule library sees the text: it loops forever on a negative INTERVAL, throws only when
 * expanding an unknown weekday, and quietly ignores a FREQ it does not know. A reminder
 * repeats at most hourly, so BYMINUTE and BYSECOND take one value each.
 */
const FREQS = ['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'] as const;
type Freq = (typeof FREQS)[number];
const WEEKDAY = '(MO|TU|WE|TH|FR|SA|SU)';

type Check = (value: string, freq: Freq) => string | null;

const numbers = (opts: { min: number; max: number; signed?: boolean; one?: boolean }): Check => (value) => {
  const items = value.split(',');
  if (opts.one && items.length > 1) return 'takes one value (a reminder repeats at most hourly)';
  const range = opts.signed ? `${opts.min} to ${opts.max} or -${opts.max} to -${opts.min}` : `${opts.min} to ${opts.max}`;
  for (const item of items) {
    const n = /^[+-]?\d{1,6}$/.test(item) ? Number(item) : NaN;
    const ok = Number.isInteger(n) && (opts.signed ? Math.abs(n) >= opts.min && Math.abs(n) <= opts.max : n >= opts.min && n <= opts.max && !item.startsWith('-'));
    if (!ok) return `takes whole numbers from ${range}`;
  }
  return null;
};

const onlyYearly: (check: Check) => Check = (check) => (value, freq) => (freq === 'YEARLY' ? check(value, freq) : 'is only for FREQ=YEARLY');

const byDay: Check = (value, freq) => {
  for (const item of value.split(',')) {
    const m = new RegExp(`^([+-]?\\d{1,2})?${WEEKDAY}$`).exec(item);
    if (!m) return 'takes weekdays: MO, TU, WE, TH, FR, SA, SU (with an ordinal, e.g. 1MO or -1FR, for FREQ=MONTHLY or YEARLY)';
    if (m[1] === undefined) continue;
    const n = Math.abs(Number(m[1]));
    const max = freq === 'MONTHLY' ? 5 : freq === 'YEARLY' ? 53 : 0;
    if (max === 0) return 'takes an ordinal (1MO, -1FR) only with FREQ=MONTHLY or YEARLY';
    if (n < 1 || n > max) return `ordinals run from 1 to ${max} (or -1 to -${max}) with FREQ=${freq}`;
  }
  return null;
};

const PARTS: Record<string, Check> = {
  INTERVAL: numbers({ min: 1, max: 1000 }),
  COUNT: numbers({ min: 1, max: 100_000 }),
  UNTIL: (v) => (/^\d{8}(T\d{6}Z?)?$/.test(v) ? null : 'must be a date (20270101) or a time (20270101T090000Z)'),
  BYSECOND: numbers({ min: 0, max: 59, one: true }),
  BYMINUTE: numbers({ min: 0, max: 59, one: true }),
  BYHOUR: numbers({ min: 0, max: 23 }),
  BYDAY: byDay,
  BYMONTHDAY: numbers({ min: 1, max: 31, signed: true }),
  BYYEARDAY: onlyYearly(numbers({ min: 1, max: 366, signed: true })),
  BYWEEKNO: onlyYearly(numbers({ min: 1, max: 53, signed: true })),
  BYMONTH: numbers({ min: 1, max: 12 }),
  BYSETPOS: numbers({ min: 1, max: 366, signed: true }),
  WKST: (v) => (new RegExp(`^${WEEKDAY}$`).test(v) ? null : 'must be a weekday: MO, TU, WE, TH, FR, SA or SU'),
};

/** The first problem with an RRULE body (`FREQ=…;…`, no `RRULE:` prefix), or null when every part is sound. */
export function rruleProblem(body: string): string | null {
  const parts = new Map<string, string>();
  for (const part of body.split(';')) {
    const m = /^([A-Z]+)=(.+)$/i.exec(part.trim());
    if (!m) return `"${part}" is not a NAME=value part`;
    const name = m[1].toUpperCase();
    if (parts.has(name)) return `${name} is given twice`;
    parts.set(name, m[2].toUpperCase());
  }
  const freq = parts.get('FREQ');
  if (freq === undefined) return 'an RRULE needs FREQ';
  if (freq === 'SECONDLY' || freq === 'MINUTELY') return 'FREQ must be HOURLY or longer';
  if (!(FREQS as readonly string[]).includes(freq)) return `FREQ must be one of ${FREQS.join(', ')}`;
  if (parts.has('COUNT') && parts.has('UNTIL')) return 'give COUNT or UNTIL, not both';
  const byParts = [...parts.keys()].filter((k) => k.startsWith('BY') && k !== 'BYSETPOS');
  if (parts.has('BYSETPOS') && byParts.length === 0) return 'BYSETPOS picks from what another BY… part gives; it needs one';
  for (const [name, value] of parts) {
    if (name === 'FREQ') continue;
    const check = PARTS[name];
    if (!check) return `${name} is not an RRULE part this API takes (${['FREQ', ...Object.keys(PARTS)].join(', ')})`;
    const problem = check(value, freq as Freq);
    if (problem) return `${name} ${problem}`;
  }
  return null;
}
