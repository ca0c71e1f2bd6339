import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Client } from '@temporalio/client';
import type { Logger } from '../lib/logger.ts';
import { startQueued, type QueuedStart } from '../lib/workflowClient.ts';
import { subscribes } from '../lib/webhookMatch.ts';
import { reconcileCrmSchedules } from '../lib/crmSchedules.ts';
import { reconcileAutomationSchedule } from '../lib/automationSchedules.ts';
import { webhookKind, webhookStartRequest, webhookWorkflowId } from '../workflows/deliverWebhook.client.ts';
import { automationEventSignal, automationReplanSignal } from '../workflows/runAutomation.client.ts';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import { firstTaskDelayMs, rerunWaitsForClose } from '../workflows/registry.ts';
import { automationFanOut, type AutomationLimits, type RunSignal } from './automationFanOut.ts';

/**
 * The outbox relay, one per worker process (any number may run: rows are claimed with
 * SKIP LOCKED). It does two jobs, woken by a NOTIFY on each committed event and by a
 * poll as a fallback:
 *
 * 1. Fan-out: undispatched events become webhook deliveries and automation runs, each
 *    with its workflow start row, in one transaction that marks the events dispatched;
 *    runs waiting for an event (`wait_for_event`) are signalled after the commit. An
 *    event nobody subscribes to is only marked: it costs no workflow.
 * 2. Starts: start rows that nobody started (the API's fast path failed because
 *    Temporal was down, or a process died between commit and start) are started.
 *    Workflow IDs are business keys, so a start made twice is still one run.
 *
 * Why a relay in the worker rather than a Temporal Schedule or a dispatcher workflow:
 * it keeps working while Temporal is down (deliveries are prepared, starts wait), it
 * reacts in milliseconds (webhook latency) where a schedule ticks, and an event with no
 * subscriber costs one UPDATE instead of workflow and activity tasks on the server that
 * bounds throughput here (README, figures).
 */
export interface RelayOptions {
  databaseUrl: string;
  client: Client;
  taskQueue: string;
  /** Retry schedule and attempt timeout every delivery starts with. */
  webhookPlan: { scheduleMs: number[]; attemptTimeoutMs: number };
  log: Logger;
  /** Fallback poll when no notification comes (ms). */
  pollMs: number;
  /** Start rows younger than this are left to the writer's own fast path (ms). */
  startGraceMs: number;
  /** How deep automations may retrigger one another, and the runs a tenant may have running (workers/automationFanOut.ts). */
  automationLimits: AutomationLimits;
  /** Failed attempts in a row after which an endpoint's new deliveries are paused (its circuit is open). */
  breakerFailures: number;
  /** How often expired rows (idempotency keys, rate-limit counters, old start rows) are deleted (ms). */
  housekeepingMs: number;
  batchSize?: number;
}

interface EventRow {
  id: string;
  tenant_id: string;
  type: string;
}
interface EndpointRow {
  id: string;
  tenant_id: string;
  events: string[];
  consecutive_failures: number;
}
interface StartRow {
  id: string;
  tenant_id: string;
  workflow_type: string;
  workflow_id: string;
  args: unknown[];
  entity_type: string;
  entity_id: string;
  request_id: string | null;
  rerunnable: boolean;
  signal: string | null;
}

const START_DEADLINE_MS = 5_000;
const START_CONCURRENCY = 16;

const toQueued = (r: StartRow): QueuedStart => ({
  tenantId: r.tenant_id,
  workflowType: r.workflow_type,
  workflowId: r.workflow_id,
  args: r.args,
  entityType: r.entity_type,
  entityId: r.entity_id,
  requestId: r.request_id,
  rerunnable: r.rerunnable,
  rerunAfterClose: rerunWaitsForClose(r.workflow_type),
  signal: r.signal,
  startDelayMs: firstTaskDelayMs(r.workflow_type, r.args),
});

/** The gap before a pass asked for while another ran: a burst's events go out in one batch. */
const COALESCE_MS = 20;

export function startOutboxRelay(opts: RelayOptions) {
  const batchSize = opts.batchSize ?? 500;
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 3 });
  pool.on('error', (err) => opts.log.warn({ err: err.message }, 'outbox relay: idle connection lost'));
  let listener: pg.Client | null = null;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  let againFull = false;

  /** Start rows for `requests`, claimed by this relay for a moment: it starts them right after the commit. */
  async function insertStarts(db: pg.PoolClient, requests: StartRequest[]): Promise<StartRow[]> {
    const { rows } = await db.query<StartRow>(
      `insert into workflow_starts (id, created_at, updated_at, tenant_id, workflow_type, workflow_id, args, entity_type, entity_id, request_id, rerunnable, claimed_until, attempts)
       select s.id, now(), now(), s.tenant, s.type, s.wid, s.args, s.etype, s.eid, null, false, now() + interval '30 seconds', 1
       from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::text[]) as s(id, tenant, type, wid, args, etype, eid)
       returning id, tenant_id, workflow_type, workflow_id, args, entity_type, entity_id, request_id, rerunnable, signal`,
      [
        requests.map(() => randomUUID()),
        requests.map((r) => r.tenantId),
        requests.map((r) => r.workflowType),
        requests.map((r) => r.workflowId),
        requests.map((r) => JSON.stringify(r.args)),
        requests.map((r) => r.entity.type),
        requests.map((r) => r.entity.id),
      ],
    );
    return rows;
  }

  /** Runs waiting for these events hear of them (null: their calendar event changed); a run that has moved on (or ended) ignores them. */
  async function signal(signals: RunSignal[]): Promise<void> {
    await Promise.all(
      signals.map(({ runId, workflowId, event }) =>
        (event ? opts.client.workflow.getHandle(workflowId).signal(automationEventSignal, event) : opts.client.workflow.getHandle(workflowId).signal(automationReplanSignal))
          .catch((err: unknown) => opts.log.warn({ err: err instanceof Error ? err.message : String(err), runId, event: event?.id ?? 'replan' }, 'outbox relay: a waiting automation run was not signalled')),
      ),
    );
  }

  /** Creates deliveries and automation runs for a batch of events and marks them dispatched; returns the start rows it made and the waiting runs to signal. */
  async function fanOut(): Promise<{ events: number; starts: StartRow[]; signals: RunSignal[] }> {
    const db = await pool.connect();
    try {
      await db.query('begin');
      const { rows: events } = await db.query<EventRow>(
        'select id, tenant_id, type from events where dispatched_at is null order by created_at limit $1 for update skip locked',
        [batchSize],
      );
      if (events.length === 0) {
        await db.query('commit');
        return { events: 0, starts: [], signals: [] };
      }
      const tenants = [...new Set(events.map((e) => e.tenant_id))];
      const { rows: endpoints } = await db.query<EndpointRow>(
        'select id, tenant_id, events, consecutive_failures from webhook_endpoints where enabled and tenant_id = any($1::uuid[])',
        [tenants],
      );
      const pairs: Array<{ id: string; tenant: string; endpoint: string; event: string; type: string; status: 'pending' | 'paused' }> = [];
      for (const e of events) {
        for (const ep of endpoints) {
          if (ep.tenant_id !== e.tenant_id || !subscribes(ep.events, e.type)) continue;
          // An endpoint whose circuit is open gets its deliveries stored, paused: no workflow
          // and no attempt until a probe gets through, so it costs the others nothing.
          const status = ep.consecutive_failures >= opts.breakerFailures ? 'paused' : 'pending';
          pairs.push({ id: randomUUID(), tenant: e.tenant_id, endpoint: ep.id, event: e.id, type: e.type, status });
        }
      }
      const requests: StartRequest[] = [];
      if (pairs.length) {
        const { rows: inserted } = await db.query<{ id: string; tenant_id: string; status: string }>(
          `insert into webhook_deliveries (id, created_at, updated_at, tenant_id, endpoint_id, event_id, event_type, status, attempts)
           select d.id, now(), now(), d.tenant, d.endpoint, d.event, d.type, d.status, 0
           from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[]) as d(id, tenant, endpoint, event, type, status)
           on conflict (endpoint_id, event_id) do nothing returning id, tenant_id, status`,
          [pairs.map((p) => p.id), pairs.map((p) => p.tenant), pairs.map((p) => p.endpoint), pairs.map((p) => p.event), pairs.map((p) => p.type), pairs.map((p) => p.status)],
        );
        const created = inserted.filter((d) => d.status === 'pending');
        requests.push(...created.map((d) => webhookStartRequest({ tenantId: d.tenant_id, deliveryId: d.id, ...opts.webhookPlan, firstAttemptNo: 1 })));
      }
      const automations = await automationFanOut(db, events, opts.automationLimits);
      requests.push(...automations.starts);
      const starts = requests.length ? await insertStarts(db, requests) : [];
      await db.query('update events set dispatched_at = now() where id = any($1::uuid[])', [events.map((e) => e.id)]);
      await db.query('commit');
      return { events: events.length, starts, signals: automations.signals };
    } catch (err) {
      await db.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      db.release();
    }
  }

  /**
   * Start rows to start, claimed so two relays do not both try: rows left unstarted past
   * the grace period (the writer's own fast path had its chance), and rows whose writer
   * handed them over at once (claimed_until in the past: a replay of thousands).
   */
  async function claimStale(): Promise<StartRow[]> {
    const { rows } = await pool.query<StartRow>(
      `update workflow_starts set claimed_until = now() + interval '30 seconds', attempts = attempts + 1, updated_at = now()
       where id in (
         select id from workflow_starts
         where started_at is null
           and (claimed_until < now() or (claimed_until is null and created_at < now() - make_interval(secs => $1::double precision / 1000)))
         order by created_at limit $2 for update skip locked)
       returning id, tenant_id, workflow_type, workflow_id, args, entity_type, entity_id, request_id, rerunnable, signal`,
      [opts.startGraceMs, batchSize],
    );
    return rows;
  }

  async function start(rows: StartRow[]): Promise<{ started: number; failed: number }> {
    let started = 0;
    let failed = 0;
    const queue = [...rows];
    const work = async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        try {
          const run = await startQueued(opts.client, opts.taskQueue, toQueued(row), START_DEADLINE_MS);
          await pool.query('update workflow_starts set started_at = now(), run_id = $2, last_error = null, updated_at = now() where id = $1', [row.id, run.run_id]);
          started++;
        } catch (err) {
          failed++;
          // Retried on a later pass, a few seconds on: within a minute of Temporal coming back.
          const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
          await pool.query("update workflow_starts set last_error = $2, claimed_until = now() + interval '3 seconds', updated_at = now() where id = $1", [row.id, message]);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY, rows.length) }, work));
    return { started, failed };
  }

  /**
   * One paused delivery per open endpoint with nothing in flight becomes a probe: it gets
   * its workflow (and the retry schedule). Its success resumes the rest (activities/webhooks.ts).
   */
  async function probe(): Promise<void> {
    await pool.query(
      `with probes as (
         select distinct on (d.endpoint_id) d.id, d.tenant_id, d.attempts
         from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
         where d.status = 'paused' and e.enabled and e.consecutive_failures >= $1
           and not exists (select 1 from webhook_deliveries f where f.endpoint_id = d.endpoint_id and f.status in ('pending', 'retrying'))
         order by d.endpoint_id, d.created_at
         limit 100),
       resumed as (update webhook_deliveries w set status = 'pending', updated_at = now() from probes p where w.id = p.id returning w.id, w.tenant_id, w.attempts)
       insert into workflow_starts (id, created_at, updated_at, tenant_id, workflow_type, workflow_id, args, entity_type, entity_id, request_id, rerunnable, claimed_until, attempts)
       select gen_random_uuid(), now(), now(), r.tenant_id, $2, $3 || r.id,
              jsonb_build_array(jsonb_build_object('tenantId', r.tenant_id, 'deliveryId', r.id, 'scheduleMs', $4::jsonb, 'firstAttemptNo', r.attempts + 1, 'attemptTimeoutMs', $5::int)),
              'webhook_delivery', r.id, null, true, 'epoch', 0
       from resumed r`,
      [opts.breakerFailures, webhookKind.workflowType, webhookWorkflowId(''), JSON.stringify(opts.webhookPlan.scheduleMs), opts.webhookPlan.attemptTimeoutMs],
    );
  }

  /**
   * Expired rows go on a schedule rather than when the same key happens to come back:
   * idempotency answers after their 24 h, rate-limit counters after their window, start
   * rows a week after their start. In batches, so one pass never holds locks for long;
   * any worker may do it (the deletes are idempotent).
   */
  async function housekeeping(): Promise<void> {
    const batches = [
      'delete from idempotency_key where id in (select id from idempotency_key where expires_at < now() limit 5000)',
      'delete from rate_limits where key in (select key from rate_limits where expire < (extract(epoch from now()) * 1000)::bigint limit 5000)',
      "delete from workflow_starts where id in (select id from workflow_starts where started_at < now() - interval '7 days' limit 5000)",
    ];
    let removed = 0;
    for (const sql of batches) removed += (await pool.query(sql)).rowCount ?? 0;
    if (removed) opts.log.info({ removed }, 'housekeeping: expired rows deleted');
    await crmSchedules();
    await automationSchedules();
  }

  /**
   * Integrations whose Temporal Schedules the API could not set (Temporal was down when
   * they changed): set now. Left a few seconds to the API's own call first.
   */
  async function crmSchedules(): Promise<void> {
    const { rows } = await pool.query<{ id: string; tenant_id: string; status: string; data_types: string[]; sync_interval_minutes: number; updated_at: Date }>(
      "select id, tenant_id, status, data_types, sync_interval_minutes, updated_at from integrations where schedule_pending and updated_at < now() - interval '10 seconds' limit 50",
    );
    for (const r of rows) {
      await reconcileCrmSchedules(opts.client, opts.taskQueue, r.id, { id: r.id, tenantId: r.tenant_id, status: r.status, dataTypes: r.data_types, syncIntervalMinutes: r.sync_interval_minutes });
      await pool.query('update integrations set schedule_pending = false where id = $1 and updated_at = $2', [r.id, r.updated_at]);
    }
  }

  /** Cron automations whose Temporal Schedules the API could not set (Temporal was down when they changed): set now. */
  async function automationSchedules(): Promise<void> {
    const { rows } = await pool.query<{ id: string; tenant_id: string; enabled: boolean; trigger_type: string; trigger_config: { cron?: string; timezone?: string }; updated_at: Date }>(
      "select id, tenant_id, enabled, trigger_type, trigger_config, updated_at from automations where schedule_pending and updated_at < now() - interval '10 seconds' limit 50",
    );
    for (const r of rows) {
      await reconcileAutomationSchedule(opts.client, opts.taskQueue, r.id, { id: r.id, tenantId: r.tenant_id, enabled: r.enabled, triggerType: r.trigger_type, triggerConfig: r.trigger_config });
      await pool.query('update automations set schedule_pending = false where id = $1 and updated_at = $2', [r.id, r.updated_at]);
    }
  }

  /**
   * A notified pass only fans out new events; a timed pass (every OUTBOX_POLL_MS) also
   * probes paused endpoints and starts start rows the fast path missed, which need no
   * millisecond answer. Under a stream of events a pass per NOTIFY was most of the
   * worker's database traffic (bench:reminders).
   */
  async function pass(full: boolean): Promise<void> {
    for (;;) {
      const { events, starts, signals } = await fanOut();
      if (starts.length) await start(starts);
      if (signals.length) await signal(signals);
      if (events < batchSize || stopped) break;
    }
    if (!full) return;
    await probe();
    for (;;) {
      const stale = await claimStale();
      if (stale.length === 0 || stopped) break;
      const { started, failed } = await start(stale);
      opts.log.info({ started, failed }, 'outbox relay: started work the fast path missed');
      if (failed > 0 || stale.length < batchSize) break;
    }
  }

  /**
   * Runs a pass now, or once more shortly after the running one: notifications that
   * arrive meanwhile coalesce, and the short gap lets a burst of commits batch up.
   */
  function wake(full = false) {
    if (stopped) return;
    if (running) {
      again = true;
      againFull ||= full;
      return;
    }
    running = (async () => {
      let nextFull = full;
      for (;;) {
        await pass(nextFull).catch((err: unknown) => opts.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'outbox relay pass failed; retrying on the next wake'));
        if (!again || stopped) return;
        nextFull = againFull;
        again = false;
        againFull = false;
        await new Promise((resolve) => setTimeout(resolve, COALESCE_MS));
      }
    })().finally(() => {
      running = null;
    });
  }

  async function listen() {
    if (stopped) return;
    const client = new pg.Client({ connectionString: opts.databaseUrl });
    // 'starts': a writer handed start rows over (a replay), which only a full pass starts.
    client.on('notification', (n) => wake(n.payload === 'starts'));
    client.on('error', () => {
      // The connection dropped (database restart): listen again shortly; the poll covers the gap.
      listener = null;
      setTimeout(() => void listen().catch(() => undefined), 1_000).unref();
    });
    try {
      await client.connect();
      await client.query('listen outbox');
      listener = client;
    } catch {
      await client.end().catch(() => undefined);
      setTimeout(() => void listen().catch(() => undefined), 1_000).unref();
    }
  }

  const timer = setInterval(() => wake(true), opts.pollMs);
  // Apart from the passes: a slow or failing pass never holds housekeeping back.
  const sweep = () =>
    void housekeeping().catch((err: unknown) => opts.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'housekeeping failed; retrying on the next tick'));
  const housekeepingTimer = setInterval(sweep, opts.housekeepingMs);
  sweep();
  void listen();
  wake(true);

  return {
    /** Runs one pass now and waits for it (tests, bench). */
    async drain() {
      wake(true);
      while (running) await running;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearInterval(housekeepingTimer);
      while (running) await running;
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };
}

export type OutboxRelay = ReturnType<typeof startOutboxRelay>;
