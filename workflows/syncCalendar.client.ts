import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import { defineWorkflowKind, kindStartRequest } from './kind.ts';

export const calendarSyncKind = defineWorkflowKind({ runType: 'calendar_sync', workflowType: 'syncCalendarWorkflow', entityType: 'calendar_connection' });

export const calendarSyncWorkflowId = (connectionId: string) => `calendar-sync-${connectionId}`;

export interface CalendarSyncTotals {
  passes: number;
  pages: number;
  created: number;
  updated: number;
  deleted: number;
  pushed: number;
  /** Full passes after a stale sync token (410). */
  resets: number;
}

export interface CalendarSyncInput {
  tenantId: string;
  connectionId: string;
  /** Time between passes when nobody asks for one. */
  intervalMs: number;
  /** Carried over continue-as-new, so the run's progress counts since the connection was made. */
  totals?: CalendarSyncTotals;
}

export interface CalendarSyncProgress extends CalendarSyncTotals {
  state: 'pulling' | 'pushing' | 'waiting' | 'stopped';
  last_pass_at: string | null;
  /** Why the last pass failed after its retries, until one succeeds. */
  last_error: string | null;
}

/** POST /calendar/sync/{provider}: a pass now. */
export const syncNowSignal = defineSignal('syncNow');
/** DELETE /calendar/connections/{id}: revoke, forget the tokens, end. */
export const disconnectSignal = defineSignal('disconnect');
export const calendarSyncProgressQuery = defineQuery<CalendarSyncProgress>('progress');

export function calendarSyncStartRequest(input: CalendarSyncInput, opts: { requestId?: string | null; rerun?: boolean } = {}): StartRequest {
  return kindStartRequest(calendarSyncKind, calendarSyncWorkflowId(input.connectionId), input.connectionId, input, opts);
}
