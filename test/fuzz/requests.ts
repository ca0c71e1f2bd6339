/**
 * Malformed requests built from the API's own OpenAPI document: every documented
 * path and method, with broken path parameters, query strings, bodies (mutated from
 * the operation's request-body schema), raw bytes and headers. Request n depends only
 * on the seed, n and the world, so one failing case can be rebuilt on its own.
 */
import { METHODS } from 'node:http';
import { gzipSync, deflateSync } from 'node:zlib';
import { INJECTIONS, createRng, describeValue, mutateObject, serializeJson, validValue, wrongBody } from './generators.ts';
import { type AuthVariant, type FuzzRequest, type FuzzWorld, type Operation } from './operations.ts';
import { BAD_UTF8, CONTENT_TYPES, IDEMPOTENCY_KEYS, INVALID_JSON, REQUEST_IDS, badPathValues, badQueryValue, baselinePath, bodyText, buildPath, enc, formOf, headerSafe, replayKey, validPathValue, withAuth } from './pieces.ts';

export { badAuthorizations, operationsOf, type FuzzRequest, type FuzzWorld, type Items, type OpenApiDoc, type Operation } from './operations.ts';
export { replayKey } from './pieces.ts';

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

  const badAuth = world.badAuthFor?.(op) ?? world.badAuth;
  // Who is calling: mostly the valid tenant (so validation and handlers are reached), sometimes nobody or a broken token.
  const auth = rng.weighted<AuthVariant>([
    [op.secured ? 7.5 : 4, { value: `Bearer ${world.tokenFor?.(op) ?? world.token}`, label: 'valid token', invalid: false }],
    [op.secured ? 1.2 : 5, { value: null, label: 'no token', invalid: true }],
    [1.3, rng.pick(badAuth)],
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
          const a = rng.pick(badAuth);
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


