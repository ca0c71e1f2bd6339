import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import type { RunDefinition } from '../lib/automations/definition.ts';
import { defineWorkflowKind, kindStartRequest } from './kind.ts';

export const automationKind = defineWorkflowKind({ runType: 'automation', workflowType: 'runAutomationWorkflow', entityType: 'automation_run' });

export const automationWorkflowId = (runId: string) => `automation-${runId}`;

/** The workflow a run row is carried by: a cron run's is its Schedule's (`automation-cron-…`, kept in its context), any other's automationWorkflowId. */
export function runWorkflowId(r: { id: string; context?: Record<string, unknown> | null }): string {
  const schedule = r.context?.schedule as { workflow_id?: unknown } | undefined;
  return typeof schedule?.workflow_id === 'string' ? schedule.workflow_id : automationWorkflowId(r.id);
}

export interface AutomationInput {
  tenantId: string;
  runId: string;
  automationId: string;
  /** The version the run started with: an edit meanwhile changes new runs only. */
  definition: RunDefinition;
  context: Record<string, unknown>;
  /** When the trigger happened: `wait_for_event` also takes events since then. */
  triggeredAt: string;
  /** A time_based run: it fires at this calendar event's start plus the offset, following the event when it moves. */
  timing?: { calendarEventId: string; offsetMs: number };
  /** An sla run: it wakes this long after the message arrived and goes on only if nobody has taken it up. */
  sla?: { messageId: string; afterMs: number };
  /** Started by the automation's cron Schedule: the run opens its own row (runId, definition and context come from it). */
  scheduled?: boolean;
}

export interface AutomationProgress {
  status: 'running' | 'waiting' | 'completed' | 'failed' | 'skipped' | 'cancelled';
  current_step: string | null;
  /** Until when a `wait` or `wait_for_event` step sleeps. */
  waiting_until: string | null;
  steps: Array<{ id: string; type: string; status: string; error: string | null }>;
}

/** An event a `wait_for_event` step is waiting for (the outbox relay signals it). */
export interface AwaitedEvent {
  id: string;
  type: string;
  data: unknown;
  created_at: string;
}
export const automationEventSignal = defineSignal<[AwaitedEvent]>('event');
/** The calendar event of a time_based run changed: plan its time again. */
export const automationReplanSignal = defineSignal('replan');
export const automationProgressQuery = defineQuery<AutomationProgress>('progress');

export function automationStartRequest(input: AutomationInput, opts: { requestId?: string | null } = {}): StartRequest {
  return kindStartRequest(automationKind, automationWorkflowId(input.runId), input.runId, input, opts);
}
