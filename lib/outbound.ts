import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * The one guard for every request the product makes to a URL a user gave (webhooks,
 * knowledge-base URLs, automation HTTP steps): SSRF protection.
 *
 * - `https` only, except hosts and CIDRs listed in `OUTBOUND_ALLOWED_HOSTS` (tests and
 *   local development list `127.0.0.1`), which may also use plain `http`.
 * - The address is checked when the connection opens, on every A/AAAA record the name
 *   resolves to (a custom `lookup` for the socket, so there is no gap between check and
 *   connect): loopback, private, CGNAT, link-local (cloud metadata), multicast and
 *   unspecified space are refused unless allowed. Ranges use Node's own `net.BlockList`.
 * - Redirects are never followed (a 3xx is just an answer), the answer is read up to a
 *   cap, the whole exchange has a timeout, and user headers cannot replace ours or `Host`.
 */
export interface OutboundPolicy {
  allowed: string[];
}

export class OutboundRefused extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = 'OutboundRefused';
    this.reason = reason;
  }
}

export class OutboundError extends Error {
  readonly kind: 'timeout' | 'connection' | 'refused';
  constructor(kind: OutboundError['kind'], message: string) {
    super(message);
    this.name = 'OutboundError';
    this.kind = kind;
  }
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  // NAT64 for local use (RFC 8215): a deployment's own gateway maps it onto private IPv4.
  ['64:ff9b:1::', 48],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

const family = (address: string): 'ipv4' | 'ipv6' => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

/** An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is judged as the IPv4 address it carries. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1] : address;
}

export function parseOutboundPolicy(text: string | undefined): OutboundPolicy {
  const allowed = (text ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const entry of allowed) {
    const [net, prefix] = entry.split('/');
    if (prefix !== undefined && (!isIP(net) || !/^\d{1,3}$/.test(prefix))) throw new Error(`"${entry}" is neither a host name, an IP address nor a CIDR`);
  }
  return { allowed };
}

function allowList(policy: OutboundPolicy) {
  const list = new BlockList();
  const names = new Set<string>();
  for (const entry of policy.allowed) {
    const [net, prefix] = entry.split('/');
    if (isIP(net)) {
      if (prefix === undefined) list.addAddress(net, family(net));
      else list.addSubnet(net, Number(prefix), family(net));
    } else {
      names.add(entry);
    }
  }
  return { list, names };
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();

function addressAllowed(address: string, host: string, policy: OutboundPolicy): boolean {
  const a = unmapped(address);
  const { list, names } = allowList(policy);
  if (names.has(host) || list.check(a, family(a))) return true;
  return !blocked.check(a, family(a));
}

/** Synchronous checks usable at registration time: parses, scheme rule, literal-IP rule, credentials in URL refused. */
export function checkOutboundUrl(url: string, policy: OutboundPolicy): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OutboundRefused('url', 'must be an absolute http(s) URL');
  }
  if (parsed.username || parsed.password) throw new OutboundRefused('url', 'must not carry credentials; use a custom header');
  const host = hostOf(parsed);
  const { list, names } = allowList(policy);
  const listed = names.has(host) || (isIP(unmapped(host)) > 0 && list.check(unmapped(host), family(unmapped(host))));
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && listed)) throw new OutboundRefused('scheme', 'must use https');
  if (isIP(host) && !addressAllowed(host, host, policy)) throw new OutboundRefused('address', 'points at a private, loopback or link-local address');
  return parsed;
}

const ALWAYS_RESERVED = ['host', 'content-length', 'transfer-encoding', 'connection'];

/** Headers a user may set: refuses Host, Content-Length, Transfer-Encoding, Connection, and any in `reserved` (case-insensitive). */
export function checkCustomHeaders(headers: Record<string, string>, reserved: string[]): void {
  const taken = new Set([...ALWAYS_RESERVED, ...reserved.map((h) => h.toLowerCase())]);
  for (const name of Object.keys(headers)) {
    if (taken.has(name.toLowerCase())) throw new OutboundRefused('header', `the header ${name} is set by the product and cannot be replaced`);
  }
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  /** first maxBodyBytes, utf8 */
  body: string;
  truncated: boolean;
  latencyMs: number;
}

/** The same answer as raw bytes, for callers that read binary documents (PDFs). */
export type OutboundBytesResponse = Omit<OutboundResponse, 'body'> & { body: Buffer };

export type Resolver = (host: string, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;
const systemResolver: Resolver = (host, cb) => dnsLookup(host, { all: true }, cb);

/** The socket's lookup: resolve every record, refuse if any is out of bounds, connect to the first. */
function guardedLookup(host: string, policy: OutboundPolicy, resolve: Resolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const bad = addresses.find((a) => !addressAllowed(a.address, host, policy));
      if (bad || addresses.length === 0) {
        return callback(new OutboundRefused('address', `${hostname} resolves to a private, loopback or link-local address`) as NodeJS.ErrnoException, '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

interface GuardedRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBodyBytes: number;
  policy: OutboundPolicy;
  signal?: AbortSignal;
  resolve?: Resolver;
}

/** One request through the guard: connection-time address check, no redirects, timeout for the whole exchange, body capped. */
export function guardedRequest(url: string, opts: GuardedRequest): Promise<OutboundBytesResponse> {
  const target = checkOutboundUrl(url, opts.policy);
  const host = hostOf(target);
  const started = performance.now();
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err: Error | null, value?: OutboundBytesResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value!);
    };
    const req = transport.request(
      target,
      {
        method: opts.method,
        headers: opts.body === undefined ? opts.headers : { ...opts.headers, 'content-length': Buffer.byteLength(opts.body) },
        lookup: guardedLookup(host, opts.policy, opts.resolve ?? systemResolver),
        agent: false,
        signal: opts.signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        res.on('data', (chunk: Buffer) => {
          if (size >= opts.maxBodyBytes) {
            truncated = true;
            res.destroy();
            finish();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        const finish = () => {
          const buf = Buffer.concat(chunks);
          if (buf.length > opts.maxBodyBytes) truncated = true;
          const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]));
          done(null, { status: res.statusCode ?? 0, headers, body: buf.subarray(0, opts.maxBodyBytes), truncated, latencyMs: performance.now() - started });
        };
        res.on('end', finish);
        // A webhook's verdict is its status, whatever became of the body; a page cut off is not the page.
        res.on('error', (err) => (opts.method === 'GET' ? done(new OutboundError('connection', `the answer broke off: ${err.message}`)) : finish()));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done(new OutboundError('timeout', `no answer within ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    req.on('error', (err) => {
      if (err instanceof OutboundRefused) return done(new OutboundError('refused', err.message));
      done(new OutboundError('connection', (err as NodeJS.ErrnoException).code ?? err.message));
    });
    req.end(opts.body);
  });
}

/** POST through the guard (webhooks): the answer's first `maxBodyBytes` as UTF-8. */
export async function guardedPost(
  url: string,
  opts: { headers: Record<string, string>; body: string; timeoutMs: number; maxBodyBytes: number; policy: OutboundPolicy; signal?: AbortSignal; resolve?: Resolver },
): Promise<OutboundResponse> {
  const res = await guardedRequest(url, { ...opts, method: 'POST' });
  return { ...res, body: res.body.toString('utf8') };
}

/** GET through the guard (knowledge-base pages): the answer's bytes, for PDFs as much as pages. A redirect is answered as is, not followed. */
export async function guardedGet(
  url: string,
  opts: { headers?: Record<string, string>; timeoutMs: number; maxBodyBytes: number; policy: OutboundPolicy; signal?: AbortSignal; resolve?: Resolver },
): Promise<OutboundBytesResponse> {
  return guardedRequest(url, { ...opts, headers: opts.headers ?? {}, method: 'GET' });
}
