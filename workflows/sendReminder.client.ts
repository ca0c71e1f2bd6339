import { defineSignal } from '@temporalio/workflow';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import type { ReminderInput } from './sendReminder.ts';
import { defineWorkflowKind, kindStartRequest } from './kind.ts';

/**
 * How long before its due time a new reminder's run takes its first workflow task (and
 * then sleeps on a timer for the rest): a burst of reminders due at 9:00 has its runs
 * loaded into the worker by then, so at 9:00 it only sends. The first task of a run is
 * its dearest (the worker builds the run's sandbox and loads its history).
 */
export const WARM_BEFORE_MS = 5_000;

/**
 * How long before it is due a run arms its fire step (the first task of a new reminder's
 * run, which comes `WARM_BEFORE_MS` ahead, arms it at once): the step waits out the rest
 * in the worker, holding an activity slot but no workflow task, and sends at its time, so
 * a burst of reminders due at 9:00 sends at 9:00 without a workflow task each first.
 */
export const ARM_BEFORE_MS = WARM_BEFORE_MS;

/**
 * An armed fire step heartbeats this often (its heartbeat timeout 5 s longer): one that
 * sends on time finishes before its first heartbeat, and a worker that dies while it waits
 * or sends is noticed within the timeout rather than the whole step's.
 */
export const ARMED_HEARTBEAT_EVERY_MS = 10_000;

export const reminderKind = defineWorkflowKind({
  runType: 'reminder',
  workflowType: 'sendReminderWorkflow',
  entityType: 'reminder',
  // A new reminder whose first plan the API computed sleeps in Temporal, not in a worker,
  // until shortly before it is due; its changes reach it through Signal-With-Start rows
  // (api/reminders/nudge.ts).
  firstTaskAt: (input: ReminderInput) => (input.plan ? Date.parse(input.plan.dueAt) - WARM_BEFORE_MS : undefined),
});

export const reminderWorkflowId = (reminderId: string) => `reminder-${reminderId}`;

/** The reminder's row changed (time, text, recipient, cancel, its event): plan again. */
export const reminderChangedSignal = defineSignal('reminderChanged');

/**
 * Word to a reminder's run that its row changed, as a Signal-With-Start row: the open run
 * plans again at once (even one still in its start delay, which a plain signal would not
 * end), and a reminder whose run ended gets a new one, which reads the row.
 */
export function reminderNudgeRequest(input: { tenantId: string; reminderId: string; sendTimeoutMs: number }, opts: { requestId?: string | null } = {}): StartRequest {
  return { ...reminderStartRequest(input, { ...opts, rerun: true }), signal: reminderChangedSignal.name };
}

/** A reminder's run, started as today's code runs it (its fire step armed: see ReminderInput.fire). */
export function reminderStartRequest(input: Omit<ReminderInput, 'fire' | 'sendTimeoutCoversRetry'>, opts: { requestId?: string | null; rerun?: boolean } = {}): StartRequest {
  const args: ReminderInput = { ...input, fire: 'armed', sendTimeoutCoversRetry: true };
  return kindStartRequest(reminderKind, reminderWorkflowId(input.reminderId), input.reminderId, args, opts);
}
