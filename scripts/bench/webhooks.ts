import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { startWorkflow } from '../../lib/workflowClient.ts';
import { forEachConcurrent, latencyStats, waitUntil } from './load.ts';
import type { Log } from './stack.ts';

/**
 * Webhook fan-out benchmark pieces: local receivers that note when each event first
 * arrives, the product path (POST /webhooks/trigger → outbox relay → one delivery
 * workflow per endpoint), and the baseline (a bare workflow doing one HTTP POST).
 */
export interface Receiver {
  url: string;
  /** First arrival (ms since epoch) by webhook-id. */
  firsts: Map<string, number>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const firsts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      if (id && !firsts.has(id)) firsts.set(id, Date.now());
      res.writeHead(200);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    firsts,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A port nothing listens on: every attempt is refused at once, as a dead receiver's is. */
export async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}/hook`;
}

export interface FanOutResult {
  events: number;
  deliveries: number;
  perSecond: number;
  firstAttemptMs: ReturnType<typeof latencyStats>;
}

/**
 * N test events triggered through the API (c clients); done when every healthy receiver
 * has seen every event. First-attempt latency: the trigger's answer → first arrival.
 */
export async function runFanOut(opts: {
  apiBaseUrl: string;
  token: string;
  receivers: Receiver[];
  events: number;
  concurrency: number;
  /** Events per second, evenly spaced; unset: as fast as `concurrency` clients go (a burst). */
  rate?: number;
  timeoutMs: number;
  log: Log;
}): Promise<FanOutResult> {
  const sent = new Map<string, number>();
  const t0 = Date.now();
  await forEachConcurrent(opts.events, opts.concurrency, async (i) => {
    if (opts.rate) {
      const due = t0 + (i * 1000) / opts.rate;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
    const res = await fetch(`${opts.apiBaseUrl}/api/v1/webhooks/trigger`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'webhook.test', data: { i } }),
    });
    const text = await res.text();
    if (res.status !== 202) throw new Error(`trigger: HTTP ${res.status} ${text.slice(0, 200)}`);
    sent.set((JSON.parse(text) as { data: { event_id: string } }).data.event_id, Date.now());
  });
  await waitUntil('every healthy delivery', () => opts.receivers.every((r) => [...sent.keys()].every((id) => r.firsts.has(id))), opts.timeoutMs, opts.log);
  const latencies: number[] = [];
  let last = 0;
  for (const r of opts.receivers) {
    for (const [id, at] of sent) {
      const first = r.firsts.get(id)!;
      latencies.push(first - at);
      last = Math.max(last, first);
    }
  }
  const deliveries = sent.size * opts.receivers.length;
  return { events: sent.size, deliveries, perSecond: (deliveries * 1000) / (last - t0), firstAttemptMs: latencyStats(latencies) };
}

/** The baseline: the same number of POSTs, each a bare workflow with one activity, started c at a time. */
export async function runBarePosts(opts: { client: Client; taskQueue: string; receiver: Receiver; n: number; concurrency: number; timeoutMs: number; log: Log }) {
  const tag = `bench-post-${randomUUID()}`;
  const ids = Array.from({ length: opts.n }, () => randomUUID());
  const startedAt = new Map<string, number>();
  const t0 = Date.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < opts.n; i = next++) {
      startedAt.set(ids[i], Date.now());
      await startWorkflow(
        { client: opts.client, taskQueue: opts.taskQueue, tenantId: tag },
        { workflowType: 'benchPostWorkflow', workflowId: `${tag}-${i}`, args: [{ url: opts.receiver.url, id: ids[i] }], entity: { type: 'bench', id: ids[i] } },
      );
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  await waitUntil('bare POSTs', () => ids.every((id) => opts.receiver.firsts.has(id)), opts.timeoutMs, opts.log);
  const last = Math.max(...ids.map((id) => opts.receiver.firsts.get(id)!));
  return { deliveries: opts.n, perSecond: (opts.n * 1000) / (last - t0), firstAttemptMs: latencyStats(ids.map((id) => opts.receiver.firsts.get(id)! - startedAt.get(id)!)) };
}
