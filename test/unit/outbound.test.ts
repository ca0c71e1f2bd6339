import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { checkCustomHeaders, checkOutboundUrl, guardedGet, guardedPost, OutboundError, OutboundRefused, parseOutboundPolicy, type Resolver } from '../../lib/outbound.ts';

/** Local servers only: nothing here leaves 127.0.0.1. */
let server: Server;
let port: number;
const seen: Array<{ headers: Record<string, unknown>; body: string; method?: string }> = [];
/** Every byte value, twice: a body that is not UTF-8. */
const BINARY = Buffer.from([...Array.from({ length: 256 }, (_, i) => i), ...Array.from({ length: 256 }, (_, i) => 255 - i)]);

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body, method: req.method });
      if (req.url === '/cut') {
        res.writeHead(200, { 'content-type': 'text/html', 'content-length': '1000' });
        res.write('<p>half a page');
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      if (req.url === '/binary') {
        res.writeHead(200, { 'content-type': 'application/pdf' });
        return res.end(BINARY);
      }
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        return res.end();
      }
      if (req.url === '/big') {
        res.writeHead(200);
        return res.end('x'.repeat(1_000_000));
      }
      if (req.url === '/hang') return;
      res.writeHead(201, { 'x-reply': 'yes' });
      res.end('created');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const local = parseOutboundPolicy('127.0.0.1');
const none = parseOutboundPolicy(undefined);
const post = (url: string, policy = local, extra: { timeoutMs?: number; resolve?: Resolver } = {}) =>
  guardedPost(url, { headers: { 'content-type': 'application/json', 'x-test': '1' }, body: '{"a":1}', timeoutMs: extra.timeoutMs ?? 3000, maxBodyBytes: 1024, policy, resolve: extra.resolve });

/** A resolver that answers a made-up name, so no outside DNS is asked. */
const fakeDns = (address: string): Resolver => (_host, cb) => cb(null, [{ address, family: 4 }]);

describe('outbound guard: registration-time checks', () => {
  const refused = (url: string, policy = none) => {
    try {
      checkOutboundUrl(url, policy);
    } catch (err) {
      expect(err).toBeInstanceOf(OutboundRefused);
      return (err as OutboundRefused).reason;
    }
    return 'accepted';
  };

  it('refuses metadata, private and loopback addresses, plain http, other schemes and credentials', () => {
    expect(refused('http://169.254.169.254/latest/meta-data/')).toBe('scheme');
    expect(refused('https://169.254.169.254/latest/meta-data/')).toBe('address');
    expect(refused('https://10.0.0.1/hook')).toBe('address');
    expect(refused('https://[::1]/hook')).toBe('address');
    expect(refused('https://[::ffff:127.0.0.1]/hook')).toBe('address');
    expect(refused('https://[64:ff9b::a00:1]/hook')).toBe('address');
    expect(refused('https://[64:ff9b:1::a00:1]/hook')).toBe('address');
    expect(refused('http://localhost/hook')).toBe('scheme');
    expect(refused('ftp://example.com/')).toBe('scheme');
    expect(refused('https://user:pw@example.com/')).toBe('url');
    expect(refused('not a url')).toBe('url');
    expect(refused('https://example.com/hook')).toBe('accepted');
  });

  it('lets listed hosts and CIDRs through, over http too', () => {
    expect(refused(`http://127.0.0.1:${port}/`, local)).toBe('accepted');
    expect(refused('http://10.1.2.3/', parseOutboundPolicy('10.0.0.0/8'))).toBe('accepted');
    expect(refused('http://localhost/', parseOutboundPolicy('localhost'))).toBe('accepted');
    expect(() => parseOutboundPolicy('10.0.0.0/x')).toThrow();
  });

  it('keeps user headers off Host and the signature headers, whatever their case', () => {
    expect(() => checkCustomHeaders({ HOST: 'x' }, [])).toThrow(OutboundRefused);
    expect(() => checkCustomHeaders({ 'Webhook-Signature': 'x' }, ['webhook-signature'])).toThrow(OutboundRefused);
    expect(() => checkCustomHeaders({ 'X-Api-Key': 'x' }, ['webhook-signature'])).not.toThrow();
  });
});

describe('outbound guard: guardedPost', () => {
  it('posts to an allowed local server and returns its answer', async () => {
    const res = await post(`http://127.0.0.1:${port}/ok`);
    expect(res).toMatchObject({ status: 201, body: 'created', truncated: false, headers: { 'x-reply': 'yes' } });
    expect(seen.at(-1)).toMatchObject({ body: '{"a":1}', headers: { 'x-test': '1' } });
  });

  it('refuses, at connection time, a name that resolves to a loopback or metadata address', async () => {
    const before = seen.length;
    await expect(post(`https://evil.test:${port}/ok`, none, { resolve: fakeDns('127.0.0.1') })).rejects.toMatchObject({ kind: 'refused' });
    await expect(post('https://metadata.test/', none, { resolve: fakeDns('169.254.169.254') })).rejects.toMatchObject({ kind: 'refused' });
    expect(seen.length).toBe(before);
    // The same name is fine when the address is allowed: the check is on the address.
    await expect(post(`http://evil.test:${port}/ok`, parseOutboundPolicy('evil.test'), { resolve: fakeDns('127.0.0.1') })).resolves.toMatchObject({ status: 201 });
  });

  it('refuses http://localhost when localhost is not allowed, without connecting', async () => {
    const before = seen.length;
    await expect(post(`http://localhost:${port}/ok`, none)).rejects.toBeInstanceOf(OutboundRefused);
    expect(seen.length).toBe(before);
  });

  it('does not follow redirects', async () => {
    const res = await post(`http://127.0.0.1:${port}/redirect`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toContain('169.254.169.254');
  });

  it('reads the answer only up to the cap', async () => {
    const res = await post(`http://127.0.0.1:${port}/big`);
    expect(res.truncated).toBe(true);
    expect(res.body.length).toBeLessThanOrEqual(1024);
  });

  it('gives up on a server that never answers, and tells a closed port apart', async () => {
    await expect(post(`http://127.0.0.1:${port}/hang`, local, { timeoutMs: 300 })).rejects.toMatchObject({ kind: 'timeout' });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await post(`http://127.0.0.1:${deadPort}/`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundError);
    expect((err as OutboundError).kind).toBe('connection');
  });
});

describe('outbound guard: guardedGet', () => {
  const get = (url: string, policy = local, extra: { timeoutMs?: number; resolve?: Resolver; maxBodyBytes?: number } = {}) =>
    guardedGet(url, { headers: { accept: 'text/html' }, timeoutMs: extra.timeoutMs ?? 3000, maxBodyBytes: extra.maxBodyBytes ?? 1024, policy, resolve: extra.resolve });

  it('gets the answer as bytes, intact, without a body of its own', async () => {
    const res = await get(`http://127.0.0.1:${port}/binary`);
    expect(res).toMatchObject({ status: 200, truncated: false, headers: { 'content-type': 'application/pdf' } });
    expect(Buffer.compare(res.body, BINARY)).toBe(0);
    expect(seen.at(-1)).toMatchObject({ method: 'GET', body: '', headers: { accept: 'text/html' } });
    expect(seen.at(-1)?.headers['content-length']).toBeUndefined();
  });

  it('caps the bytes it reads', async () => {
    const res = await get(`http://127.0.0.1:${port}/binary`, local, { maxBodyBytes: 100 });
    expect(res.truncated).toBe(true);
    expect(Buffer.compare(res.body, BINARY.subarray(0, 100))).toBe(0);
  });

  it('refuses private addresses by default, at connection time too', async () => {
    const before = seen.length;
    await expect(get(`http://127.0.0.1:${port}/ok`, none)).rejects.toBeInstanceOf(OutboundRefused);
    await expect(get(`https://intranet.test:${port}/`, none, { resolve: fakeDns('10.1.2.3') })).rejects.toMatchObject({ kind: 'refused' });
    expect(seen.length).toBe(before);
  });

  it('fails, rather than answering part of a page, when the connection breaks off mid-body', async () => {
    await expect(get(`http://127.0.0.1:${port}/cut`)).rejects.toMatchObject({ kind: 'connection', message: expect.stringContaining('broke off') });
  });

  it('answers a redirect as it is, and gives up on a server that never answers', async () => {
    expect((await get(`http://127.0.0.1:${port}/redirect`)).status).toBe(302);
    await expect(get(`http://127.0.0.1:${port}/hang`, local, { timeoutMs: 300 })).rejects.toMatchObject({ kind: 'timeout' });
  });
});
