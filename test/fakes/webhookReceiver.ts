import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Answer {
  status: number;
  body?: string;
  /** Hold the answer this long (a slow endpoint). */
  delayMs?: number;
  /** Never answer (a hung endpoint); the socket is closed when the receiver stops. */
  hang?: boolean;
}

/** Decides the answer to the n-th request (from 1) on a path. */
export type Script = (n: number, req: Received) => Answer;

/**
 * A local webhook receiver on 127.0.0.1: records every request raw (so tests verify
 * signatures over the exact bytes) and answers each path by its script (200 when none).
 */
export async function startWebhookReceiver() {
  const received: Received[] = [];
  const scripts = new Map<string, Script>();
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      const entry: Received = { path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(entry);
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const answer = scripts.get(path)?.(n, entry) ?? { status: 200, body: 'ok' };
      if (answer.hang) return;
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'text/plain' });
        res.end(answer.body ?? '');
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    port,
    received,
    on(path: string, script: Script) {
      scripts.set(path, script);
    },
    at: (path: string) => received.filter((r) => r.path === path),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
