import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { reminderWorkflowId } from '../../workflows/sendReminder.client.ts';
import { postJson } from './http.ts';
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
  /** From the first due time to the last send. */
  spanMs: number;
  /** Send time minus due time, per reminder. */
  latenessMs: ReturnType<typeof latencyStats>;
  /** The same, one value per send (pooled across rounds; left out of the JSON). */
  lateness: number[];
  /** From the first due time until every workflow had closed, as its client saw it (result() resolved). */
  drainSpanMs?: number;
}

function fireResult(sends: Array<{ due: number; at: number }>, firstDue: number, closedAt?: number[]): FireResult {
  const spanMs = Math.max(...sends.map((s) => s.at)) - firstDue;
  const lateness = sends.map((s) => s.at - s.due);
  const drainSpanMs = closedAt?.length ? Math.max(...closedAt) - firstDue : undefined;
  return { n: sends.length, perSecond: sends.length / (spanMs / 1000), spanMs, latenessMs: latencyStats(lateness), lateness, drainSpanMs };
}

/** Workflows closed per second, from the first due time to the last close. */
export const drainedPerSecond = (f: FireResult): number | undefined => (f.drainSpanMs === undefined ? undefined : f.n / (f.drainSpanMs / 1000));

/** Rounds of the same phase as one: sends over the time they took, lateness over every send. */
export function pooledFire(results: FireResult[]): FireResult {
  const n = results.reduce((a, r) => a + r.n, 0);
  const spanMs = results.reduce((a, r) => a + r.spanMs, 0);
  const lateness = results.flatMap((r) => r.lateness);
  const drains = results.map((r) => r.drainSpanMs);
  const drainSpanMs = drains.every((d) => d !== undefined) ? drains.reduce((a: number, d) => a + (d ?? 0), 0) : undefined;
  return { n, perSecond: n / (spanMs / 1000), spanMs, latenessMs: latencyStats(lateness), lateness, drainSpanMs };
}

/** N reminders through the API, due at `dueAt(i)`; returns their ids and the scheduling rate. */
export async function scheduleReminders(opts: { apiBaseUrl: string; token: string; n: number; concurrency: number; dueAt: (i: number) => number }): Promise<{ ids: string[]; perSecond: number; elapsedMs: number }> {
  const ids: string[] = new Array(opts.n);
  const started = performance.now();
  await forEachConcurrent(opts.n, opts.concurrency, async (i) => {
    ids[i] = (await postJson<{ id: string }>(`${opts.apiBaseUrl}/api/v1/reminders`, opts.token, { to: `+1415555${String(1000 + (i % 9000)).padStart(4, '0')}`, message: `Bench reminder ${i}`, send_at: new Date(opts.dueAt(i)).toISOString() }, 201)).id;
  });
  const elapsedMs = performance.now() - started;
  return { ids, perSecond: opts.n / (elapsedMs / 1000), elapsedMs };
}

/** When each reminder's workflow closed, as the bare timers' client sees theirs: a result() wait per run, held from its start. */
export function whenClosed(client: Client, ids: string[]): Promise<number[]> {
  return Promise.all(ids.map(async (id) => {
    await client.workflow.getHandle(reminderWorkflowId(id)).result();
    return Date.now();
  }));
}

/**
 * Waits until every reminder sent, then reads each send's lateness from the outbox rows.
 * Given `closed` (the runs' result() waits, as the bare side is watched), it reads them once
 * every run has closed: polling the table meanwhile put the benchmark's own queries on the
 * database under test, which the bare side does not.
 */
export async function collectSends(opts: { db: pg.Pool; tenantId: string; ids: string[]; firstDue: number; timeoutMs: number; log: Log; closed?: Promise<number[]> }): Promise<FireResult> {
  const sent = async () =>
    (
      await opts.db.query<{ due: Date; sent: Date }>(
        `select (cause->>'occurrence')::timestamptz as due, sent_at as sent from outbound_messages where tenant_id = $1 and cause->>'reminder_id' = any($2) and sent_at is not null`,
        [opts.tenantId, opts.ids],
      )
    ).rows;
  const closedAt = await opts.closed;
  await waitUntil(`${opts.ids.length} reminders to send`, async () => (await sent()).length >= opts.ids.length, opts.timeoutMs, opts.log);
  return fireResult((await sent()).map((r) => ({ due: r.due.getTime(), at: r.sent.getTime() })), opts.firstDue, closedAt);
}

/** The baseline: bare timer workflows due at the same times, started `concurrency` at a time (`onStarted` once all are). */
export async function runBareTimers(opts: { client: Client; taskQueue: string; n: number; concurrency: number; dueAt: (i: number) => number; timeoutMs: number; onStarted?: () => void }): Promise<{ fire: FireResult; schedulePerSecond: number; scheduleMs: number }> {
  const handles: Array<{ due: number; result: () => Promise<number> }> = new Array(opts.n);
  const started = performance.now();
  await forEachConcurrent(opts.n, opts.concurrency, async (i) => {
    const due = opts.dueAt(i);
    const handle = await opts.client.workflow.start('benchTimerWorkflow', { taskQueue: opts.taskQueue, workflowId: `bench-timer-${randomUUID()}`, args: [{ dueAt: due }] });
    handles[i] = { due, result: () => handle.result() as Promise<number> };
  });
  const scheduleMs = performance.now() - started;
  opts.onStarted?.();
  const fired = await Promise.all(handles.map(async (h) => ({ due: h.due, at: await h.result(), closedAt: Date.now() })));
  return { schedulePerSecond: opts.n / (scheduleMs / 1000), scheduleMs, fire: fireResult(fired, Math.min(...fired.map((f) => f.due)), fired.map((f) => f.closedAt)) };
}
