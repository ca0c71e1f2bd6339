import { defineSignal } from '@temporalio/workflow';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import type { ReminderInput } from './sendReminder.ts';
import { defineWorkflowKind, kindStartRequest } from './kind.ts';

export const reminderKind = defineWorkflowKind({ runType: 'reminder', workflowType: 'sendReminderWorkflow', entityType: 'reminder' });

export const reminderWorkflowId = (reminderId: string) => `reminder-${reminderId}`;

/** The reminder's row changed (time, text, recipient, cancel, its event): plan again. */
export const reminderChangedSignal = defineSignal('reminderChanged');

export function reminderStartRequest(input: ReminderInput, opts: { requestId?: string | null; rerun?: boolean } = {}): StartRequest {
  return kindStartRequest(reminderKind, reminderWorkflowId(input.reminderId), input.reminderId, input, opts);
}
