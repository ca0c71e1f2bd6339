import { defineQuery } from '@temporalio/workflow';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import { defineWorkflowKind, kindStartRequest } from './kind.ts';

export const leadImportKind = defineWorkflowKind({ runType: 'lead_import', workflowType: 'importLeadsWorkflow', entityType: 'lead_import' });

export const leadImportWorkflowId = (importId: string) => `lead-import-${importId}`;

export interface LeadImportInput {
  tenantId: string;
  importId: string;
}

export interface LeadImportProgress {
  state: 'importing' | 'completed' | 'failed';
  rows_done: number;
  created: number;
  updated: number;
  rejected: number;
  /** How far into the file, in bytes: where a resumed run starts. */
  byte_offset: number;
  error: string | null;
}

export const leadImportProgressQuery = defineQuery<LeadImportProgress>('progress');

export function leadImportStartRequest(input: LeadImportInput, opts: { requestId?: string | null } = {}): StartRequest {
  return kindStartRequest(leadImportKind, leadImportWorkflowId(input.importId), input.importId, input, opts);
}
