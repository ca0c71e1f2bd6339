import { defineQuery } from '@temporalio/workflow';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import { defineWorkflowKind, kindStartRequest } from './kind.ts';

export const knowledgeIndexKind = defineWorkflowKind({ runType: 'knowledge_index', workflowType: 'indexKnowledgeWorkflow', entityType: 'knowledge_document' });

/** One run per revision: an update while a run is indexing starts the next one beside it, and the older run notices it was overtaken. */
export const knowledgeIndexWorkflowId = (documentId: string, revision: number) => `knowledge-index-${documentId}-r${revision}`;

export interface KnowledgeIndexInput {
  tenantId: string;
  documentId: string;
  revision: number;
}

export interface KnowledgeIndexProgress {
  state: 'loading' | 'indexing' | 'ready' | 'failed' | 'superseded';
  chunks_total: number;
  /** Passages embedded by this run; the rest kept the vectors they had. */
  chunks_embedded: number;
  chunks_reused: number;
  embedding_model: string | null;
  error: string | null;
}

export const knowledgeIndexProgressQuery = defineQuery<KnowledgeIndexProgress>('progress');

export function knowledgeIndexStartRequest(input: KnowledgeIndexInput, opts: { requestId?: string | null } = {}): StartRequest {
  return kindStartRequest(knowledgeIndexKind, knowledgeIndexWorkflowId(input.documentId, input.revision), input.documentId, input, opts);
}
