import { ActivityFailure, ApplicationFailure, CancellationScope, condition, isCancellation, patched, proxyActivities, proxyLocalActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { AutomationActivities, StepOutcome } from '../activities/automations.ts';
import { evaluate } from '../lib/automations/conditions.ts';
import { fieldEquals } from '../lib/automations/paths.ts';
import { targetOf } from '../lib/automations/steps.ts';
import { renderFields, renderTemplate } from '../lib/automations/template.ts';
import { parseDuration } from '../lib/retrySchedule.ts';
import { presets } from './activityOptions.ts';
import { automationEventSignal, automationProgressQuery, automationReplanSignal, type AutomationInput, type AutomationProgress, type AwaitedEvent } from './runAutomation.client.ts';

const remote = proxyActivities<AutomationActivities>(presets.database);
const local = proxyLocalActivities<AutomationActivities>({ startToCloseTimeout: '30 seconds', retry: presets.database.retry });
/**
 * Steps that only touch our own database run as local activities (in the worker that runs
 * the workflow: no task-queue round trip each); runs that began before this change replay
 * their history's remote ones (patch local-database-steps).
 */
const db = () => (patched('local-database-steps') ? local : remote);

/** A time_based run reads its calendar event again at least this often while it waits (a change it was not told of). */
const REPLAN_MS = 10 * 60_000;

/** Actions with an outside effect (a text, an email, a request): ordinary activities, retried as provider calls are. */
const OUTSIDE = new Set(['send_sms', 'send_email', 'http_request']);

/** Each action an activity with its own retry policy (`retry.max_attempts`, else five): local for database actions, once patched. */
const actionRunner = (maxAttempts: number, where: 'remote' | 'local') =>
  where === 'local'
    ? proxyLocalActivities<AutomationActivities>({ startToCloseTimeout: '30 seconds', retry: { ...presets.database.retry, maximumAttempts: maxAttempts } }).runAction
    : proxyActivities<AutomationActivities>({ ...presets.providerCall, startToCloseTimeout: '1 minute', retry: { ...presets.providerCall.retry, maximumAttempts: maxAttempts } }).runAction;
const runners = new Map<string, ReturnType<typeof actionRunner>>();
const runnerFor = (attempts: number, type: string) => {
  const where = !OUTSIDE.has(type) && patched('local-database-steps') ? 'local' : 'remote';
  const key = `${where}:${attempts}`;
  let r = runners.get(key);
  if (!r) runners.set(key, (r = actionRunner(attempts, where)));
  return r;
};

/** Steps the interpreter takes itself; every other type is an action activity. */
const FLOW = new Set(['branch', 'stop', 'wait', 'wait_for_event']);

/**
 * One run of a user-defined automation (ID `automation-<runId>`): the conditions checked
 * against the trigger's context, then the steps walked in order — each action an activity
 * (idempotent by run and step), waits durable timers, `wait_for_event` the first matching
 * event (including one that happened since the trigger), branches and jumps by step id.
 * Each step's output joins the context as `steps.<id>.output` for later templates.
 */
export async function runAutomationWorkflow(input: AutomationInput): Promise<AutomationProgress> {
  if (!input.scheduled) return interpret(input);
  // A firing of the automation's cron Schedule: its run row, with the definition of this moment.
  const opened = await db().openScheduledRun({ tenantId: input.tenantId, automationId: input.automationId, workflowId: workflowInfo().workflowId, firing: workflowInfo().runId });
  if (!opened) return { status: 'skipped', current_step: null, waiting_until: null, steps: [] };
  return interpret({ ...input, ...opened, scheduled: false });
}

async function interpret(input: AutomationInput): Promise<AutomationProgress> {
  const ref = { tenantId: input.tenantId, runId: input.runId };
  const { steps } = input.definition;
  const context: Record<string, unknown> = { ...input.context, steps: {} as Record<string, unknown> };
  const progress: AutomationProgress = { status: 'running', current_step: null, waiting_until: null, steps: [] };
  let awaited: { types: string[]; field: string | null; equals: string | null } | null = null;
  let arrived: AwaitedEvent | null = null;
  let replan = false;
  setHandler(automationProgressQuery, () => progress);
  setHandler(automationReplanSignal, () => {
    replan = true;
  });
  setHandler(automationEventSignal, (e) => {
    if (awaited && !arrived && matches(e, awaited)) arrived = e;
  });

  const done = (step: { id: string; type: string }, outcome: StepOutcome) => {
    (context.steps as Record<string, unknown>)[step.id] = { output: outcome.output, status: outcome.status };
    progress.steps.push({ id: step.id, type: step.type, status: outcome.status, error: outcome.error });
  };
  const flowStep = async (step: { id: string; type: string }, startedAt: Date, inputOf: unknown, output: unknown) => {
    const outcome: StepOutcome = { status: 'completed', output, error: null };
    await db().recordStep({ ...ref, step: { id: step.id, type: step.type, status: 'completed', input: inputOf, output, error: null, started_at: startedAt.toISOString(), finished_at: new Date().toISOString() } });
    done(step, outcome);
  };

  try {
    if (input.timing) {
      // Sleeps until its calendar event's start plus the offset, planned again whenever the event changes.
      for (;;) {
        replan = false;
        const plan = await db().planTimedRun({ ...ref, ...input.timing });
        if (plan.state === 'gone') {
          progress.status = 'skipped';
          await db().finishRun({ ...ref, status: 'skipped', error: plan.reason });
          return progress;
        }
        if (plan.state === 'fire') {
          Object.assign(context, plan.context);
          break;
        }
        Object.assign(progress, { status: 'waiting', waiting_until: plan.at });
        await condition(() => replan, Math.min(REPLAN_MS, Math.max(0, Date.parse(plan.at) - Date.now())));
      }
      Object.assign(progress, { status: 'running', waiting_until: null });
    }
    if (input.sla) {
      Object.assign(progress, { status: 'waiting', waiting_until: new Date(Date.parse(input.triggeredAt) + input.sla.afterMs).toISOString() });
      await sleep(Math.max(0, Date.parse(input.triggeredAt) + input.sla.afterMs - Date.now()));
      const seen = await db().checkSla({ ...ref, messageId: input.sla.messageId });
      if (seen.state === 'handled') {
        progress.status = 'skipped';
        await db().finishRun({ ...ref, status: 'skipped', error: seen.reason });
        return progress;
      }
      Object.assign(context, seen.context);
      Object.assign(progress, { status: 'running', waiting_until: null });
    }
    if (!evaluate(input.definition.conditions, context)) {
      progress.status = 'skipped';
      await db().finishRun({ ...ref, status: 'skipped', error: 'the conditions were not met' });
      return progress;
    }
    for (let i = 0; i >= 0 && i < steps.length; ) {
      const step = steps[i];
      const at = (id: string | undefined) => targetOf(steps, i, id);
      progress.current_step = step.id;
      const startedAt = new Date();
      if (step.type === 'branch') {
        const taken = evaluate(step.condition, context);
        await flowStep(step, startedAt, { condition: step.condition }, { taken: taken ? 'then' : 'else' });
        i = at(taken ? step.then : step.else);
      } else if (step.type === 'stop') {
        await flowStep(step, startedAt, {}, { reason: step.reason ? renderTemplate(step.reason, context) : null });
        i = -1;
      } else if (step.type === 'wait') {
        const until = step.duration ? startedAt.getTime() + parseDuration(step.duration) : Date.parse(renderTemplate(step.until ?? '', context));
        const ms = Number.isNaN(until) ? 0 : Math.max(0, until - startedAt.getTime());
        Object.assign(progress, { status: 'waiting', waiting_until: new Date(startedAt.getTime() + ms).toISOString() });
        if (ms > 0) await sleep(ms);
        Object.assign(progress, { status: 'running', waiting_until: null });
        await flowStep(step, startedAt, { duration: step.duration ?? null, until: step.until ? renderTemplate(step.until, context) : null }, { waited_ms: ms, ...(Number.isNaN(until) ? { note: 'until was not a date: no wait' } : {}) });
        i = at(step.next);
      } else if (step.type === 'wait_for_event') {
        const timeoutMs = parseDuration(step.timeout);
        const watched = { types: step.events, field: step.match?.field ?? null, equals: step.match ? renderTemplate(step.match.equals, context) : null };
        awaited = watched;
        arrived = null;
        Object.assign(progress, { status: 'waiting', waiting_until: new Date(startedAt.getTime() + timeoutMs).toISOString() });
        // Registered before looking back, so an event is either found now or signalled later: never lost in between.
        const already = await db().watchEvents({ ...ref, stepId: step.id, ...watched, since: input.triggeredAt, until: new Date(startedAt.getTime() + timeoutMs).toISOString() });
        arrived ??= already;
        if (!arrived) await condition(() => arrived !== null, timeoutMs);
        const event: AwaitedEvent | null = arrived;
        awaited = null;
        Object.assign(progress, { status: 'running', waiting_until: null });
        const match = step.match ? { field: step.match.field, equals: watched.equals } : null;
        await flowStep(step, startedAt, { events: step.events, match, timeout: step.timeout }, event ? { event } : { timed_out: true });
        i = at(step.next);
      } else if (!FLOW.has(step.type)) {
        const { id, type, next: _next, retry, ...fields } = step as typeof step & { next?: string; retry?: { max_attempts: number } };
        const outcome = await runnerFor(retry?.max_attempts ?? 5, type)({ ...ref, stepId: id, type, fields: renderFields(fields, context), startedAt: startedAt.toISOString() });
        done(step, outcome);
        i = at(step.next);
      }
    }
    progress.current_step = null;
    progress.status = 'completed';
    await db().finishRun({ ...ref, status: 'completed', error: null });
    return progress;
  } catch (err) {
    if (isCancellation(err)) {
      progress.status = 'cancelled';
      await CancellationScope.nonCancellable(() => db().finishRun({ ...ref, status: 'cancelled', error: 'cancelled' }));
      throw err;
    }
    const cause = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : err instanceof Error ? err.message : String(err);
    const message = `step ${progress.current_step ?? '?'}: ${cause}`;
    progress.status = 'failed';
    await db().finishRun({ ...ref, status: 'failed', error: message });
    throw ApplicationFailure.nonRetryable(message, 'AutomationFailed');
  }
}

/** An event of an awaited type whose field (a path into its data) equals the rendered value. */
const matches = (e: AwaitedEvent, w: { types: string[]; field: string | null; equals: string | null }): boolean => w.types.includes(e.type) && fieldEquals(e.data, w.field, w.equals);
