import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { forEachConcurrent, latencyStats, waitUntil } from './load.ts';
import type { Log } from './stack.ts';

/**
 * Reminder benchmark pieces: reminders scheduled through the API and fired by their
 * workflows (sent through the local sink), against bare workflows that sleep on a timer
 * until the same due time and run one no-op activity.
 */
export interface FireResult {
  n: number;
  /** Sends per second, from the due time to the last send. */
  perSecond: number;
  /** Send time minus due time, per reminder. */
  latenessMs: ReturnType<typeof latencyStats>;
}

export interface ScheduleResult {
  n: number;
  perSecond: number;
}

const post = async (apiBaseUrl: string, token: string, body: unknown) => {
  const res = await fetch(`${apiBaseUrl}/api/v1/reminders`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as { data: { id: string } };
  if (res.status !== 201) throw new Error(`POST /reminders: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json.data.id;
};

/** N reminders through the API, due at `dueAt(i)`; returns their ids and the scheduling rate. */
export async function scheduleReminders(opts: { apiBaseUrl: string; token: string; n: number; concurrency: number; dueAt: (i: number) => number }): Promise<{ ids: string[]; perSecond: number }> {
  const ids: string[] = new Array(opts.n);
  const started = performance.now();
  await forEachConcurrent(opts.n, opts.concurrency, async (i) => {
    ids[i] = await post(opts.apiBaseUrl, opts.token, { to: `+1415555${String(1000 + (i % 9000)).padStart(4, '0')}`, message: `Bench reminder ${i}`, send_at: new Date(opts.dueAt(i)).toISOString() });
  });
  return { ids, perSecond: opts.n / ((performance.now() - started) / 1000) };
}

/** Waits until every reminder sent, then reads each send's lateness from the outbox rows. */
export async function collectSends(opts: { db: pg.Pool; tenantId: string; ids: string[]; firstDue: number; timeoutMs: number; log: Log }): Promise<FireResult> {
  const sent = async () =>
    (
      await opts.db.query<{ due: Date; sent: Date }>(
        `select (cause->>'occurrence')::timestamptz as due, sent_at as sent from outbound_messages where tenant_id = $1 and cause->>'reminder_id' = any($2) and sent_at is not null`,
        [opts.tenantId, opts.ids],
      )
    ).rows;
  await waitUntil(`${opts.ids.length} reminders to send`, async () => (await sent()).length >= opts.ids.length, opts.timeoutMs, opts.log);
  const rows = await sent();
  const last = Math.max(...rows.map((r) => r.sent.getTime()));
  return { n: rows.length, perSecond: rows.length / ((last - opts.firstDue) / 1000), latenessMs: latencyStats(rows.map((r) => r.sent.getTime() - r.due.getTime())) };
}

/** The baseline: bare timer workflows due at the same times, started `concurrency` at a time (`onStarted` once all are). */
export async function runBareTimers(opts: { client: Client; taskQueue: string; n: number; concurrency: number; dueAt: (i: number) => number; timeoutMs: number; onStarted?: () => void }): Promise<{ fire: FireResult; schedulePerSecond: number }> {
  const handles: Array<{ due: number; result: () => Promise<number> }> = new Array(opts.n);
  const started = performance.now();
  await forEachConcurrent(opts.n, opts.concurrency, async (i) => {
    const due = opts.dueAt(i);
    const handle = await opts.client.workflow.start('benchTimerWorkflow', { taskQueue: opts.taskQueue, workflowId: `bench-timer-${randomUUID()}`, args: [{ dueAt: due }] });
    handles[i] = { due, result: () => handle.result() as Promise<number> };
  });
  const schedulePerSecond = opts.n / ((performance.now() - started) / 1000);
  opts.onStarted?.();
  const fired = await Promise.all(handles.map(async (h) => ({ due: h.due, at: await h.result() })));
  const firstDue = Math.min(...fired.map((f) => f.due));
  const last = Math.max(...fired.map((f) => f.at));
  return {
    schedulePerSecond,
    fire: { n: opts.n, perSecond: opts.n / ((last - firstDue) / 1000), latenessMs: latencyStats(fired.map((f) => f.at - f.due)) },
  };
}
