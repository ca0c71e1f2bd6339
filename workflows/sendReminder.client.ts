import { defineSignal } from '@temporalio/workflow';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import type { ReminderInput } from './sendReminder.ts';
import { defineWorkflowKind, kindStartRequest } from './kind.ts';

export const reminderKind = defineWorkflowKind({ runType: 'reminder', workflowType: 'sendReminderWorkflow', entityType: 'reminder' });

export const reminderWorkflowId = (reminderId: string) => `reminder-${reminderId}`;

/** The reminder's row changed (time, text, recipient, cancel, its event): plan again. */
export const reminderChangedSignal = defineSignal('reminderChanged');

/** A reminder's run, started as today's code runs it (its fire step local: see ReminderInput.fire). */
export function reminderStartRequest(input: Omit<ReminderInput, 'fire' | 'sendTimeoutCoversRetry'>, opts: { requestId?: string | null; rerun?: boolean } = {}): StartRequest {
  const args: ReminderInput = { ...input, fire: 'local', sendTimeoutCoversRetry: true };
  return kindStartRequest(reminderKind, reminderWorkflowId(input.reminderId), input.reminderId, args, opts);
}
