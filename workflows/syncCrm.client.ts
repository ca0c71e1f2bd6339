import { defineQuery } from '@temporalio/workflow';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import type { SyncCounts } from '../lib/crm/syncCounts.ts';
import type { CrmDataType } from '../lib/crm/mappings.ts';
import { defineWorkflowKind, kindStartRequest } from './kind.ts';

export const crmSyncKind = defineWorkflowKind({ runType: 'crm_sync', workflowType: 'syncCrmWorkflow', entityType: 'integration' });

/** A sync asked for through the API; a scheduled one's ID is this plus the Schedule's timestamp. */
export const crmSyncWorkflowId = (integrationId: string, dataType: string) => `crm-sync-${integrationId}-${dataType}`;
/** The Temporal Schedule of one integration's data type. */
export const crmScheduleId = (integrationId: string, dataType: string) => `crm-sync-${integrationId}-${dataType}-schedule`;

export interface CrmSyncInput {
  tenantId: string;
  integrationId: string;
  dataType: CrmDataType;
  trigger: 'manual' | 'schedule';
  /** Carried over continue-as-new: the run row and the counts so far. */
  resume?: { runRowId: string; counts: SyncCounts; pullDone: boolean };
}

export interface CrmSyncProgress extends SyncCounts {
  state: 'starting' | 'pulling' | 'deletions' | 'pushing' | 'completed' | 'failed' | 'skipped';
  /** The run's row (GET /integrations/{id}/sync/{data_type}). */
  sync_run_id: string | null;
  error: string | null;
}

export const crmSyncProgressQuery = defineQuery<CrmSyncProgress>('progress');

export function crmSyncStartRequest(input: CrmSyncInput, opts: { requestId?: string | null } = {}): StartRequest {
  // A closed sync's ID may run again: each asked-for sync is a new run of the same ID.
  return kindStartRequest(crmSyncKind, crmSyncWorkflowId(input.integrationId, input.dataType), input.integrationId, input, { ...opts, rerun: true });
}
