import { ApplicationFailure } from '@temporalio/activity';
import { LockMode } from '@mikro-orm/core';
import { tenantEm, type EntityManager } from '../lib/db.ts';
import { fieldEquals } from '../lib/automations/paths.ts';
import { guardedRequest, OutboundError } from '../lib/outbound.ts';
import { AutomationRunSchema, AutomationSchema, newAutomationRunRow, type AutomationRun, type AutomationRunStatus, type StepRecord } from '../entities/Automation.ts';
import { runDefinition, type RunDefinition } from '../lib/automations/definition.ts';
import { uuidOf } from '../lib/automations/ids.ts';
import { calendarEventSnapshot, contactSnapshot } from '../lib/snapshots.ts';
import { fireTime } from '../lib/automations/eventOffset.ts';
import { CalendarEventSchema } from '../entities/CalendarEvent.ts';
import type { Contact } from '../entities/Contact.ts';
import { EventSchema, recordEvent, type Event } from '../entities/Event.ts';
import { MessageSchema } from '../entities/Message.ts';
import type { AwaitedEvent } from '../workflows/runAutomation.client.ts';
import { databaseActions, refuse, sendKeyed, str, type AutomationDeps, type Fields, type RunRef, type StepOutcome } from './automationActions.ts';

export type { AutomationDeps, StepOutcome } from './automationActions.ts';

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};

/** The recorded outcome of a step already done (a retry after its effect committed). */
const recordedOf = (steps: StepRecord[], id: string): StepOutcome | null => {
  const s = steps.find((x) => x.id === id && x.status === 'completed');
  return s ? { status: 'completed', output: s.output, error: null } : null;
};

/** A message in these is still waiting for a person (the sla trigger). */
const SLA_OPEN: readonly string[] = ['new', 'triaged', 'needs_review'];

/** Events read at a time by a `wait_for_event` step looking back for one that already came. */
const LOOK_BACK_PAGE = 200;

/**
 * The run's row, or a failure no retry changes: the automation was deleted with its runs
 * while this one was going (its workflow then ends instead of retrying for ever).
 */
async function runRow(em: EntityManager, runId: string, lock = false): Promise<AutomationRun> {
  const run = await em.findOne(AutomationRunSchema, runId, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  if (!run) throw ApplicationFailure.nonRetryable('the automation was deleted while this run was going', 'AutomationDeleted');
  return run;
}

export function createAutomationActivities(deps: AutomationDeps) {
  /** Appends (or replaces) a step's record on the run, in the caller's transaction. */
  async function writeStep(tx: EntityManager, runId: string, step: StepRecord, locked?: AutomationRun): Promise<void> {
    const run = locked ?? (await runRow(tx, runId, true));
    run.steps = [...run.steps.filter((s) => s.id !== step.id), step];
    run.currentStep = step.id;
  }

  /** A database action: its effect and its step record in one transaction, so a retry finds the record and does nothing twice. */
  async function inTransaction(ref: RunRef & { stepId: string; type: string; fields: Fields; startedAt: string }, effect: (tx: EntityManager, run: AutomationRun) => Promise<unknown>): Promise<StepOutcome> {
    return tenantEm(deps.orm, ref.tenantId).transactional(async (tx) => {
      const run = await runRow(tx, ref.runId, true);
      const recorded = recordedOf(run.steps, ref.stepId);
      if (recorded) return recorded;
      // Every event this step writes (a rescore's too) carries the run and its depth.
      await tx
        .getConnection()
        .execute("select set_config('app.automation_run_id', ?, true), set_config('app.automation_depth', ?, true)", [run.id, String(run.depth)], 'all', tx.getTransactionContext());
      const output = await effect(tx, run);
      await writeStep(tx, ref.runId, { id: ref.stepId, type: ref.type, status: 'completed', input: ref.fields, output, error: null, started_at: ref.startedAt, finished_at: new Date().toISOString() }, run);
      return { status: 'completed' as const, output, error: null };
    });
  }

  /** send_sms / send_email: an outbound message keyed by run and step (so a retry finds it) and delivered as the SMS send does. */
  async function send(ref: RunRef & { stepId: string; type: string; fields: Fields; startedAt: string }): Promise<StepOutcome> {
    const em = tenantEm(deps.orm, ref.tenantId);
    const run = await runRow(em, ref.runId);
    const recorded = recordedOf(run.steps, ref.stepId);
    if (recorded) return recorded;
    // Attempt 1 however often Temporal retries the step: a retry finds the row the last one
    // wrote (sent, or asked of Twilio whether it was) instead of sending a new attempt.
    const sent = await sendKeyed(deps.messaging, em, ref.tenantId, ref.type, ref.fields, `automation:${ref.runId}:${ref.stepId}`, { type: 'automation', run_id: ref.runId, step: ref.stepId, depth: run.depth }, 1);
    return finishStep(em, ref, sent);
  }

  async function finishStep(em: EntityManager, ref: RunRef & { stepId: string; type: string; fields: Fields; startedAt: string }, output: unknown): Promise<StepOutcome> {
    await em.transactional((tx) => writeStep(tx, ref.runId, { id: ref.stepId, type: ref.type, status: 'completed', input: ref.fields, output, error: null, started_at: ref.startedAt, finished_at: new Date().toISOString() }));
    return { status: 'completed', output, error: null };
  }

  /** http_request under the webhook rules; the run and step ride along as an idempotency key for the receiver. */
  async function httpRequest(ref: RunRef & { stepId: string; type: string; fields: Fields; startedAt: string }): Promise<StepOutcome> {
    const em = tenantEm(deps.orm, ref.tenantId);
    const recorded = recordedOf((await runRow(em, ref.runId)).steps, ref.stepId);
    if (recorded) return recorded;
    const method = (str(ref.fields.method) ?? 'POST') as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    const body = ref.fields.body === undefined || method === 'GET' ? undefined : typeof ref.fields.body === 'string' ? ref.fields.body : JSON.stringify(ref.fields.body);
    const headers: Record<string, string> = {
      'user-agent': 'AI-Secretary-Automations/1',
      'idempotency-key': `${ref.runId}:${ref.stepId}`,
      ...(body !== undefined ? { 'content-type': typeof ref.fields.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' } : {}),
      ...((ref.fields.headers as Record<string, string> | undefined) ?? {}),
    };
    let res;
    try {
      res = await guardedRequest(String(ref.fields.url), { method, headers, body, timeoutMs: deps.outbound.timeoutMs, maxBodyBytes: 64 * 1024, policy: deps.outbound.policy });
    } catch (err) {
      if (err instanceof OutboundError && err.kind === 'refused') throw refuse(`the request was refused: ${err.message}`);
      if (err instanceof Error && err.name === 'OutboundRefused') throw refuse(`the request was refused: ${err.message}`);
      throw err;
    }
    const text = res.body.toString('utf8');
    const json = parseJson(text);
    if (res.status >= 500 || res.status === 429) throw new Error(`the server answered ${res.status}`);
    if (res.status >= 400) throw refuse(`the server answered ${res.status}`);
    return finishStep(em, ref, { status: res.status, body: json ?? text.slice(0, 2_000) });
  }

  return {
    /** One action step (`automation-<runId>`), idempotent by run and step. */
    async runAction(ref: RunRef & { stepId: string; type: string; fields: Fields; startedAt: string }): Promise<StepOutcome> {
      try {
        if (ref.type === 'send_sms' || ref.type === 'send_email') return await send(ref);
        if (ref.type === 'http_request') return await httpRequest(ref);
        const effect = databaseActions[ref.type];
        if (!effect) throw refuse(`unknown action ${ref.type}`);
        return await inTransaction(ref, (tx, run) => effect(tx, { ...ref, depth: run.depth }, ref.fields, deps));
      } catch (err) {
        // A refusal is the run's end: the step is recorded failed, with why, before the run fails.
        if (err instanceof ApplicationFailure && err.nonRetryable) {
          await tenantEm(deps.orm, ref.tenantId).transactional((tx) =>
            writeStep(tx, ref.runId, { id: ref.stepId, type: ref.type, status: 'failed', input: ref.fields, output: null, error: err.message, started_at: ref.startedAt, finished_at: new Date().toISOString() }),
          );
        }
        throw err;
      }
    },

    /** A step the workflow took itself (branch, wait, stop, wait_for_event): its record. */
    async recordStep(ref: RunRef & { step: StepRecord }): Promise<void> {
      await tenantEm(deps.orm, ref.tenantId).transactional((tx) => writeStep(tx, ref.runId, ref.step));
    },

    /**
     * Starts listening for events for a `wait_for_event` step, then looks back for one that
     * already happened since the trigger: the watch row is committed first, so an event is
     * either found here or signalled by the outbox relay afterwards.
     */
    async watchEvents(ref: RunRef & { stepId: string; types: string[]; field: string | null; equals: string | null; since: string; until: string }): Promise<AwaitedEvent | null> {
      const em = tenantEm(deps.orm, ref.tenantId);
      await em.getConnection().execute(
        `insert into automation_watches (id, created_at, updated_at, tenant_id, run_id, step_id, event_types, match_field, match_value, expires_at)
         values (gen_random_uuid(), now(), now(), ?, ?, ?, ?::text[], ?, ?, ?) on conflict (run_id, step_id) do nothing`,
        [ref.tenantId, ref.runId, ref.stepId, `{${ref.types.join(',')}}`, ref.field, ref.equals, ref.until],
      );
      // Page by page, oldest first, through every event of those types since the trigger:
      // the one that matches may come after many that do not (a CRM sync's updates).
      const where = { type: { $in: ref.types }, createdAt: { $gte: new Date(ref.since) } };
      let after: { createdAt: Date; id: string } | null = null;
      for (;;) {
        const page: Event[] = await em.find(EventSchema, after ? { ...where, $or: [{ createdAt: { $gt: after.createdAt } }, { createdAt: after.createdAt, id: { $gt: after.id } }] } : where, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: LOOK_BACK_PAGE });
        const found = page.find((e) => fieldEquals(e.payload, ref.field, ref.equals));
        if (found) return { id: found.id, type: found.type, data: found.payload, created_at: found.createdAt.toISOString() };
        if (page.length < LOOK_BACK_PAGE) return null;
        after = page[page.length - 1];
        em.clear();
      }
    },

    /**
     * When a time_based run fires: its calendar event's start plus the offset, read now (the
     * event may have moved); gone when the event was deleted or cancelled, or started
     * before a run meant for before it could fire. Firing, the run's context is the event
     * (seed 002's `event.start_time`; `type` is `appointment` when someone is invited) and its contact.
     */
    async planTimedRun(ref: RunRef & { calendarEventId: string; offsetMs: number }): Promise<{ state: 'wait'; at: string } | { state: 'fire'; context: Record<string, unknown> } | { state: 'gone'; reason: string }> {
      const em = tenantEm(deps.orm, ref.tenantId);
      const e = await em.findOne(CalendarEventSchema, ref.calendarEventId, { populate: ['contact'] });
      if (!e) return { state: 'gone', reason: 'the calendar event was deleted' };
      if (e.status === 'cancelled') return { state: 'gone', reason: 'the calendar event was cancelled' };
      const now = new Date();
      const at = fireTime(e.startsAt, ref.offsetMs, now);
      if (!at) return { state: 'gone', reason: 'the calendar event had started before this could run' };
      if (at.getTime() > now.getTime() + 1_000) return { state: 'wait', at: at.toISOString() };
      const contact = e.contact ? (e.contact as unknown as Contact) : null;
      const context = {
        event: { ...calendarEventSnapshot(e), type: contact || e.attendees.length ? 'appointment' : 'event', description: e.description ?? null, timezone: e.timezone ?? null },
        contact: contact ? contactSnapshot(contact) : null,
      };
      await em.nativeUpdate(AutomationRunSchema, { id: ref.runId }, { context });
      return { state: 'fire', context };
    },

    /**
     * An sla run at its deadline: the message as it is now. Taken up (in progress, resolved,
     * spam) or gone: handled; else breached, and the run goes on with the message and its
     * contact as context.
     */
    async checkSla(ref: RunRef & { messageId: string }): Promise<{ state: 'handled'; reason: string } | { state: 'breached'; context: Record<string, unknown> }> {
      const em = tenantEm(deps.orm, ref.tenantId);
      const m = await em.findOne(MessageSchema, ref.messageId, { populate: ['contact'] });
      if (!m) return { state: 'handled', reason: 'the message was deleted' };
      if (!SLA_OPEN.includes(m.status)) return { state: 'handled', reason: `the message was taken up in time (${m.status})` };
      const contact = m.contact ? (m.contact as unknown as Contact) : null;
      const context = {
        message: { id: m.id, channel: m.channel, status: m.status, category: m.category ?? null, priority: m.priority ?? null, content: m.content.slice(0, 2_000), customer_email: m.customerEmail ?? null, customer_phone: m.customerPhone ?? null, received_at: m.receivedAt.toISOString() },
        contact: contact ? contactSnapshot(contact) : null,
      };
      await em.nativeUpdate(AutomationRunSchema, { id: ref.runId }, { context });
      return { state: 'breached', context };
    },

    /**
     * A cron firing's run row (once per firing: keyed by its Temporal run; two firings in one
     * second share a workflow ID),
     * with the automation's definition of this moment; null when the automation was
     * deleted, disabled or is no longer on a cron (its Schedule is being removed).
     */
    async openScheduledRun(ref: { tenantId: string; automationId: string; workflowId: string; firing?: string }): Promise<{ runId: string; definition: RunDefinition; context: Record<string, unknown>; triggeredAt: string } | null> {
      const em = tenantEm(deps.orm, ref.tenantId);
      const a = await em.findOne(AutomationSchema, ref.automationId);
      if (!a || !a.enabled || a.triggerType !== 'time_based' || typeof a.triggerConfig.cron !== 'string') return null;
      const key = uuidOf(ref.firing ?? ref.workflowId);
      let run = await em.findOne(AutomationRunSchema, { automation: a.id, triggerEventId: key });
      if (!run) {
        run = newAutomationRunRow(em, a, { trigger: 'schedule', context: { schedule: { cron: a.triggerConfig.cron, timezone: a.triggerConfig.timezone ?? 'UTC', workflow_id: ref.workflowId } }, triggerEventId: key, depth: 1 });
        await em.flush();
      }
      return { runId: run.id, definition: runDefinition({ conditions: a.conditions ?? null, actions: a.actions }, run.version), context: run.context, triggeredAt: run.createdAt.toISOString() };
    },

    /** Closes the run once: its status, the watches it no longer needs, and `automation.completed` or `automation.failed`. */
    async finishRun(ref: RunRef & { status: AutomationRunStatus; error: string | null }): Promise<void> {
      await tenantEm(deps.orm, ref.tenantId).transactional(async (tx) => {
        const run = await tx.findOne(AutomationRunSchema, ref.runId, { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['automation'] });
        await tx.getConnection().execute('delete from automation_watches where tenant_id = ? and run_id = ?', [ref.tenantId, ref.runId], 'run', tx.getTransactionContext());
        // Gone with its automation (DELETE): nothing is left to close.
        if (!run || run.finishedAt) return;
        Object.assign(run, { status: ref.status, error: ref.error, finishedAt: new Date(), currentStep: null });
        if (ref.status === 'completed' || ref.status === 'failed') {
          recordEvent(tx, {
            tenantId: ref.tenantId,
            type: ref.status === 'completed' ? 'automation.completed' : 'automation.failed',
            entityType: 'automation_run',
            entityId: run.id,
            payload: { automation_id: run.automation.id, run_id: run.id, version: run.version, status: ref.status, error: ref.error, depth: run.depth },
            // An automation triggered by another's end runs one level deeper, up to AUTOMATION_MAX_DEPTH.
            automation: { runId: run.id, depth: run.depth },
          });
        }
      });
    },
  };
}

export type AutomationActivities = ReturnType<typeof createAutomationActivities>;
