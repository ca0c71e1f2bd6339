/**
 * What every answer to a malformed request must look like (API.md): never a 5xx, every
 * error in exactly the `{error: {code, message, details, request_id}}` envelope with the
 * request id of the `X-Request-Id` header, and nothing internal in any body.
 */
import type { FuzzRequest } from './requests.ts';

export interface Outcome {
  status: number;
  headers: Headers | null;
  text: string;
  /** Set when no HTTP answer arrived (reset, timeout). */
  networkError?: string;
  ms: number;
}

export interface Problem {
  request: FuzzRequest;
  outcome: Outcome;
  reasons: string[];
}

const ENVELOPE_KEYS = ['code', 'details', 'message', 'request_id'];

/** Patterns that must never reach a client in any answer: internals, not data. */
const INTERNALS: ReadonlyArray<readonly [string, RegExp]> = [
  ['stack trace', /\n\s+at\s+\S/],
  ['stack frame', /\bat\s+(?:async\s+)?[\w$.<>[\]]*\s*\(?(?:file:\/\/)?\/?[\w./@-]+\.(?:ts|js|mjs|cjs):\d+/],
  ['source position', /\.(?:ts|mjs|cjs|js):\d+(?::\d+)?\b/],
  ['node_modules path', /node_modules\//],
  ['JWT secret name', /JWT_SECRET/],
  ['connection string', /postgres(?:ql)?:\/\//i],
  ['password hash value', /\$argon2(?:id|i|d)\$/],
];

/**
 * Patterns that must never appear in an error answer. Not checked in successful ones:
 * there a contact's notes may hold "SELECT … FROM" because a client stored exactly that
 * (this fuzzer, for one), and serializer leaks are caught by field name instead.
 */
const ERROR_LEAKS: ReadonlyArray<readonly [string, RegExp]> = [
  ['SQL select', /\bselect\s/i],
  ['SQL insert', /\binsert\s+into\b/i],
  ['SQL update', /\bupdate\s+"?\w+"?\s+set\b/i],
  ['SQL delete', /\bdelete\s+from\b/i],
  ['PostgreSQL syntax error', /syntax error at or near/i],
  ['PostgreSQL error text', /violates (?:unique|foreign key|not-null|check) constraint|invalid input syntax for|invalid byte sequence for encoding|unsupported Unicode escape sequence|invalid message format|relation "[^"]+" does not exist|column "[^"]+" (?:of relation|does not exist)|out of range|stack depth limit exceeded|time zone displacement/i],
  ['password hash', /password_hash|passwordHash/i],
  ['internal error name', /\b(?:TypeError|RangeError|ReferenceError|SyntaxError|DriverException|Maximum call stack)\b/],
];

/** Field names no answer may carry, whatever the data. */
const SECRET_KEYS = /^(?:password_?hash|passwordHash|password|token_?hash|tokenHash|jwt_?secret|secret)$/i;

/**
 * Strings of an error answer that the request itself contained are not leaks (a message
 * naming the unknown field `body.password_hash` the request sent). A string counts as an
 * echo when the request text contains it, or each of its dotted segments.
 */
function isEcho(value: string, requestText: string): boolean {
  const v = value.toLowerCase().trim().replace(/^(?:body|query|params|headers)\./, '');
  if (!v || requestText.includes(v)) return true;
  const segments = v.split('.').filter(Boolean);
  return segments.length > 1 && segments.every((s) => requestText.includes(s));
}

/** Objects whose keys a client chooses (a contact's custom fields): their keys are data, not schema. */
const CLIENT_MAPS = new Set(['custom_fields', 'metadata', 'extracted_data', 'result', 'progress', 'details']);

function walk(value: unknown, visit: (s: string, isKey: boolean) => void, inClientMap = false): void {
  if (typeof value === 'string') visit(value, false);
  else if (Array.isArray(value)) for (const v of value) walk(v, visit, inClientMap);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (!inClientMap) visit(k, true);
      walk(v, visit, inClientMap || CLIENT_MAPS.has(k));
    }
  }
}

export function leaksIn(text: string, requestText: string, isError: boolean, extraSecrets: string[] = []): string[] {
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: scanned as one string
  }
  const req = requestText.toLowerCase();
  const found = new Set<string>();
  const show = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
  walk(parsed, (s, isKey) => {
    if (isKey && SECRET_KEYS.test(s)) found.add(`field ${show(s)}`);
    if (isKey) return;
    for (const secret of extraSecrets) if (secret && s.includes(secret)) found.add('a configured secret');
    if (isError && isEcho(s, req)) return;
    for (const [name, re] of INTERNALS) if (re.test(s)) found.add(`${name} in ${show(s)}`);
    if (isError) for (const [name, re] of ERROR_LEAKS) if (re.test(s)) found.add(`${name} in ${show(s)}`);
  });
  return [...found];
}

/** Node's HTTP parser refuses a request line plus headers over 16 KB (its default maxHeaderSize) before the app sees it. */
export const NODE_MAX_HEADER_BYTES = 16 * 1024;

export function headerBytes(req: FuzzRequest): number {
  // As sent: the URL parser percent-encodes what the fuzzer left raw (a quote becomes %27).
  const url = new URL(req.path, 'http://127.0.0.1');
  return Buffer.byteLength(`${req.method} ${url.pathname}${url.search} HTTP/1.1\r\n`) + Object.entries(req.headers).reduce((n, [k, v]) => n + Buffer.byteLength(`${k}: ${v}\r\n`, 'latin1'), 0) + 200;
}

/**
 * A bare 431 from Node's HTTP parser for a request whose head is over its limit: the app
 * never saw it, so it cannot shape it (see the report; FUZZ_STRICT_TRANSPORT=1 counts these).
 */
export const isTransportRejection = (req: FuzzRequest, out: Outcome) =>
  !out.networkError && out.status === 431 && !out.headers?.get('x-request-id') && headerBytes(req) > NODE_MAX_HEADER_BYTES - 1_024;

/** Why this answer breaks the contract, or [] when it is fine. */
export function problemsWith(req: FuzzRequest, out: Outcome, secrets: string[] = []): string[] {
  if (out.networkError) return [`no HTTP answer: ${out.networkError}`];
  const reasons: string[] = [];
  // A 501 NOT_IMPLEMENTED is an answer the API documents (Outlook calendars, Google on a server without its keys).
  const documentedNotImplemented = out.status === 501 && /"code":"NOT_IMPLEMENTED"/.test(out.text);
  if (out.status >= 500 && !documentedNotImplemented) reasons.push(`status ${out.status}`);
  const headerId = out.headers?.get('x-request-id') ?? null;
  if (!headerId) reasons.push('no X-Request-Id header');
  if (req.mustNotSucceed && out.status >= 200 && out.status < 300) reasons.push(req.mustNotSucceed);

  if (out.status >= 400 && req.method !== 'HEAD') {
    let body: unknown;
    try {
      body = JSON.parse(out.text);
    } catch {
      reasons.push('error body is not JSON');
    }
    if (body !== undefined) {
      const b = body as { error?: Record<string, unknown> };
      const top = body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : null;
      if (!top || top.length !== 1 || top[0] !== 'error' || !b.error || typeof b.error !== 'object') {
        reasons.push(`not the error envelope (top-level keys: ${top ? top.join(', ') : typeof body})`);
      } else {
        const keys = Object.keys(b.error).sort();
        if (keys.join() !== ENVELOPE_KEYS.join()) reasons.push(`envelope keys are [${keys.join(', ')}]`);
        if (typeof b.error.code !== 'string' || !/^[A-Z][A-Z_]+$/.test(b.error.code)) reasons.push(`error.code ${JSON.stringify(b.error.code)}`);
        if (typeof b.error.message !== 'string' || !b.error.message) reasons.push('error.message is not a non-empty string');
        if (b.error.request_id !== headerId) reasons.push(`error.request_id ${JSON.stringify(b.error.request_id)} ≠ X-Request-Id ${JSON.stringify(headerId)}`);
      }
    }
    const type = out.headers?.get('content-type') ?? '';
    if (!type.includes('application/json')) reasons.push(`error content-type ${JSON.stringify(type)}`);
  }
  for (const leak of leaksIn(out.text, req.echoText, out.status >= 400, secrets)) reasons.push(`leak: ${leak}`);
  return reasons;
}

/** The figure a reason counts towards in the summary. */
export function categoryOf(reason: string): string {
  if (reason.startsWith('status ')) return '5xx';
  if (reason.startsWith('leak')) return 'leaks';
  if (reason.startsWith('no HTTP answer')) return 'no answer';
  if (reason.startsWith('replay')) return 'Idempotency-Key replay mismatches';
  if (reason.startsWith('no X-Request-Id')) return 'missing X-Request-Id';
  if (/answered 2xx/.test(reason)) return 'auth or tenancy breaches';
  return 'outside the error envelope';
}

/** Traits of a request that tend to be the cause of a 5xx, so different causes are listed apart. */
export function traitsOf(r: FuzzRequest): string[] {
  // Binary bodies (compressed, bad UTF-8) are judged by their headers, not their bytes.
  const all = `${r.path}\n${typeof r.body === 'string' ? r.body : ''}`;
  const traits: string[] = [];
  if (/\\u0000|%00/i.test(all) || all.includes(String.fromCharCode(0))) traits.push('NUL character');
  if (/\\ud[c-f][0-9a-f]{2}|\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/i.test(all)) traits.push('lone surrogate');
  if (/(?:\{"a":){500}|\[{500}/.test(all)) traits.push('deep JSON');
  if (/\b(?:0000|0001|9999)-\d\d-\d\dT/.test(decodeURIComponentSafe(all))) traits.push('edge date');
  if (r.headers['content-encoding']) traits.push(`content-encoding ${r.headers['content-encoding']}`);
  if (r.headers['idempotency-key']) traits.push('Idempotency-Key');
  return traits;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** What makes two bad answers "the same bug": status, kind of input, its suspicious traits and the problems (not the route). */
export const signatureOf = ({ request: r, outcome: o, reasons }: Problem) =>
  `${o.networkError ? 'no answer' : o.status} on ${r.kind}${o.status >= 500 ? ` [${traitsOf(r).filter((t) => t !== 'Idempotency-Key' || /deep/.test(traitsOf(r).join())).join(', ')}]` : ''}: ${reasons.map((x) => x.replace(/"[^"]*"|\d+/g, '…')).join('; ')}`;

/**
 * The first `limit` kinds of bad answer, one readable block each with its first example;
 * answers with the same signature (status, kind of input, problems) are counted on it
 * with the routes they hit, so twenty blocks show twenty different things.
 */
export function formatProblems(problems: Problem[], seed: number, limit = 20): string {
  const groups = new Map<string, { first: Problem; count: number; routes: Set<string> }>();
  for (const p of problems) {
    const key = signatureOf(p);
    const g = groups.get(key) ?? { first: p, count: 0, routes: new Set<string>() };
    g.count++;
    g.routes.add(p.request.operation);
    groups.set(key, g);
  }
  const lines = [...groups.values()].slice(0, limit).map(({ first: { request: r, outcome: o, reasons }, count, routes }) => {
    const excerpt = o.text.length > 300 ? `${o.text.slice(0, 300)}…` : o.text;
    const others = [...routes].filter((x) => x !== r.operation);
    return [
      `• #${r.index} ${r.method} ${r.path.length > 160 ? `${r.path.slice(0, 140)}…(${r.path.length} chars)` : r.path}`,
      `  route: ${r.operation}; kind: ${r.kind}${count > 1 ? `; ${count} answers like this${others.length ? `, also on ${others.slice(0, 4).join(', ')}${others.length > 4 ? ` and ${others.length - 4} more routes` : ''}` : ''}` : ''}`,
      `  input: ${r.input}${traitsOf(r).length ? ` {${traitsOf(r).join(', ')}}` : ''}`,
      `  status: ${o.networkError ? 'none' : o.status}; problems: ${reasons.join('; ')}`,
      `  body: ${excerpt.replace(/\s+/g, ' ')}`,
    ].join('\n');
  });
  const more = groups.size > limit ? `\n… and ${groups.size - limit} more kinds` : '';
  return `${problems.length} bad answers of ${groups.size} kinds (seed ${seed}; replay one with FUZZ_SEED=${seed} FUZZ_ONLY=<#>):\n${lines.join('\n')}${more}`;
}
