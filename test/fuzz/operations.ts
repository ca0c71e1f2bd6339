/** The API's own OpenAPI document as the fuzzer reads it: operations, parameters, and the world it fuzzes in. */
import jwt from 'jsonwebtoken';
import type { JsonSchema } from './generators.ts';

export interface OpenApiParameter {
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
  /**
   * Another valid token for operations that end the caller's own session (logging out
   * everywhere ends its access tokens too), so they never cut the fuzzing user off.
   */
  tokenFor?: (op: Operation) => string | undefined;
  /** Broken, forged, expired and oddly formatted Authorization headers. */
  badAuth: AuthVariant[];
  /**
   * The same made from the `tokenFor` token, for those operations: some odd formats are
   * still valid ("BEARER x"), and one of them logging the fuzzing user out everywhere
   * would end its token halfway through the run.
   */
  badAuthFor?: (op: Operation) => AuthVariant[] | undefined;
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

