import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { evaluate, type Condition } from '../lib/automations/conditions.ts';
import { runDefinition } from '../lib/automations/definition.ts';
import { eventOffsetMs } from '../lib/automations/eventOffset.ts';
import { parseDuration } from '../lib/retrySchedule.ts';
import { fieldEquals, valueAt } from '../lib/automations/paths.ts';
import { isUuid } from '../lib/automations/ids.ts';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import { automationStartRequest, automationWorkflowId, runWorkflowId, type AwaitedEvent } from '../workflows/runAutomation.client.ts';

/**
 * The automations' share of the outbox relay's fan-out, in its transaction: a committed
 * event starts every enabled automation triggered by its type (once per automation and
 * event, however often the event is fanned out: the run row is unique on both), and
 * reaches every run whose `wait_for_event` step is listening for it (signalled after the
 * commit). A calendar event created or changed starts each time_based automation's run for
 * it (one per automation and calendar event), and a change or deletion tells the runs
 * waiting on it to plan again. Depth and concurrency limits are applied here, where runs are made.
 */
interface AutomationRow {
  id: string;
  tenant_id: string;
  trigger_type: 'event' | 'time_based' | 'sla';
  trigger_config: { event?: string; filter?: Condition; schedule?: string; after?: string };
  conditions: Condition | null;
  actions: Array<Record<string, unknown>>;
  version: number;
  max_concurrent_runs: number;
}
/** A waiting run to signal, by the workflow that carries it: an event it waits for, or null when its calendar event moved. */
export interface RunSignal {
  runId: string;
  workflowId: string;
  event: AwaitedEvent | null;
}

interface WatchRow {
  run_id: string;
  /** What of the run's context names its workflow (a cron run's Schedule's ID). */
  run_context: Record<string, unknown> | null;
  tenant_id: string;
  event_types: string[];
  match_field: string | null;
  match_value: string | null;
}
interface FullEvent {
  id: string;
  tenant_id: string;
  type: string;
  payload: Record<string, unknown>;
  created_at: Date;
  automation_depth: number;
}

/**
 * The id at `path` in an event's data, when it is one: events sent through
 * POST /webhooks/trigger carry whatever data their caller wrote, and one malformed
 * payload must never stall the relay's pass.
 */
const uuidAt = (data: unknown, path: string): string | null => {
  const v = valueAt(data, path);
  return isUuid(v) ? v : null;
};

const CALENDAR_EVENTS = new Set(['calendar.event.created', 'calendar.event.updated', 'calendar.event.deleted']);

export interface AutomationLimits {
  maxDepth: number;
  maxActiveRuns: number;
}

export async function automationFanOut(
  db: pg.PoolClient,
  events: Array<{ id: string; tenant_id: string; type: string }>,
  limits: AutomationLimits,
): Promise<{ starts: StartRequest[]; signals: RunSignal[] }> {
  const none = { starts: [], signals: [] };
  const tenants = [...new Set(events.map((e) => e.tenant_id))];
  const types = [...new Set(events.map((e) => e.type))];
  const calendar = types.some((t) => CALENDAR_EVENTS.has(t));
  const { rows: automations } = await db.query<AutomationRow>(
    `select id, tenant_id, trigger_type, trigger_config, conditions, actions, version, max_concurrent_runs from automations
     where enabled and tenant_id = any($1::uuid[]) and ((trigger_type = 'event' and trigger_config->>'event' = any($2::text[])) or (trigger_type = 'time_based' and $3 and trigger_config ? 'schedule') or (trigger_type = 'sla' and $4))`,
    [tenants, types, calendar, types.includes('message.received')],
  );
  const { rows: watches } = await db.query<WatchRow>(
    `select w.run_id, w.tenant_id, w.event_types, w.match_field, w.match_value, jsonb_build_object('schedule', r.context->'schedule') as run_context
     from automation_watches w left join automation_runs r on r.id = w.run_id and r.tenant_id = w.tenant_id
     where w.tenant_id = any($1::uuid[]) and w.event_types && $2::text[] and w.expires_at > now()`,
    [tenants, types],
  );
  const triggers = (e: { tenant_id: string; type: string }) =>
    automations.filter(
      (a) =>
        a.tenant_id === e.tenant_id &&
        (a.trigger_type === 'event' ? a.trigger_config.event === e.type : a.trigger_type === 'sla' ? e.type === 'message.received' : e.type === 'calendar.event.created' || e.type === 'calendar.event.updated'),
    );
  // Runs waiting on a calendar event that changed plan their time again.
  const moved = events.filter((e) => e.type === 'calendar.event.updated' || e.type === 'calendar.event.deleted');
  const listeners = (e: { tenant_id: string; type: string }) => watches.filter((w) => w.tenant_id === e.tenant_id && w.event_types.includes(e.type));
  const wanted = events.filter((e) => triggers(e).length || listeners(e).length || moved.includes(e)).map((e) => e.id);
  if (!wanted.length) return none;
  const { rows: full } = await db.query<FullEvent>('select id, tenant_id, type, payload, created_at, automation_depth from events where id = any($1::uuid[]) order by created_at', [wanted]);

  // Runs running now, per automation and per tenant, counted once and kept up to date as runs are made.
  const running = new Map<string, number>();
  if (automations.length) {
    const { rows } = await db.query<{ key: string; n: string }>(
      "select automation_id::text as key, count(*) as n from automation_runs where status = 'running' and tenant_id = any($1::uuid[]) group by automation_id union all select 'tenant:' || tenant_id, count(*) from automation_runs where status = 'running' and tenant_id = any($1::uuid[]) group by tenant_id",
      [tenants],
    );
    for (const r of rows) running.set(r.key, Number(r.n));
  }
  const count = (key: string) => running.get(key) ?? 0;

  const starts: StartRequest[] = [];
  const signals: RunSignal[] = [];
  const movedIds = full.filter((e) => moved.some((m) => m.id === e.id)).flatMap((e) => uuidAt(e.payload, 'event.id') ?? []);
  if (movedIds.length) {
    const { rows: waiting } = await db.query<{ id: string }>(
      "select id from automation_runs where tenant_id = any($1::uuid[]) and trigger = 'time_based' and status = 'running' and trigger_event_id = any($2::uuid[])",
      [tenants, movedIds],
    );
    for (const r of waiting) signals.push({ runId: r.id, workflowId: automationWorkflowId(r.id), event: null });
  }
  for (const e of full) {
    const awaited: AwaitedEvent = { id: e.id, type: e.type, data: e.payload, created_at: e.created_at.toISOString() };
    for (const w of listeners(e)) {
      if (fieldEquals(e.payload, w.match_field, w.match_value)) signals.push({ runId: w.run_id, workflowId: runWorkflowId({ id: w.run_id, context: w.run_context }), event: awaited });
    }
    for (const a of triggers(e)) {
      const timed = a.trigger_type === 'time_based';
      const offsetMs = timed ? eventOffsetMs(a.trigger_config.schedule ?? '') : null;
      const calendarEventId = timed ? uuidAt(e.payload, 'event.id') : null;
      if (timed && (offsetMs === null || !calendarEventId)) continue;
      // An sla run waits on its message (one per automation and message).
      const messageId = a.trigger_type === 'sla' ? uuidAt(e.payload, 'message_id') : null;
      if (a.trigger_type === 'sla' && !messageId) continue;
      const context = timed ? { event: e.payload.event, trigger_event: { id: e.id, type: e.type, created_at: awaited.created_at } } : { ...e.payload, trigger_event: { id: e.id, type: e.type, created_at: awaited.created_at } };
      if (a.trigger_config.filter && !evaluate(a.trigger_config.filter, context)) continue;
      const depth = e.automation_depth + 1;
      const refusal =
        depth > limits.maxDepth
          ? `not run: automations led to one another ${e.automation_depth} times (AUTOMATION_MAX_DEPTH ${limits.maxDepth})`
          : a.max_concurrent_runs > 0 && count(a.id) >= a.max_concurrent_runs
            ? `not run: ${a.max_concurrent_runs} runs of this automation were running (max_concurrent_runs)`
            : count(`tenant:${a.tenant_id}`) >= limits.maxActiveRuns
              ? `not run: ${limits.maxActiveRuns} automation runs were running in this account (AUTOMATION_MAX_ACTIVE_RUNS)`
              : null;
      const runId = randomUUID();
      // One run per automation and event; a time_based one per automation and calendar event (it follows the event's changes).
      const { rows: made } = await db.query<{ id: string }>(
        `insert into automation_runs (id, created_at, updated_at, tenant_id, automation_id, version, trigger, trigger_event_id, depth, status, context, steps, error, finished_at)
         values ($1, now(), now(), $2, $3, $4, $5, $6, $7, $8, $9::jsonb, '[]'::jsonb, $10, $11)
         on conflict (automation_id, trigger_event_id) do nothing returning id`,
        [runId, a.tenant_id, a.id, a.version, a.trigger_type, calendarEventId ?? messageId ?? e.id, depth, refusal ? 'skipped' : 'running', JSON.stringify(context), refusal, refusal ? new Date() : null],
      );
      if (!made.length || refusal) continue;
      running.set(a.id, count(a.id) + 1);
      running.set(`tenant:${a.tenant_id}`, count(`tenant:${a.tenant_id}`) + 1);
      const definition = runDefinition({ conditions: a.conditions, actions: a.actions }, a.version);
      starts.push(
        automationStartRequest({
          tenantId: a.tenant_id,
          runId,
          automationId: a.id,
          definition,
          context,
          triggeredAt: e.created_at.toISOString(),
          ...(timed && calendarEventId && offsetMs !== null ? { timing: { calendarEventId, offsetMs } } : {}),
          ...(messageId ? { sla: { messageId, afterMs: parseDuration(a.trigger_config.after ?? '0') } } : {}),
        }),
      );
    }
  }
  return { starts, signals };
}
