import type { StartRequest } from '../entities/WorkflowStart.ts';
import type { ReviewMessageInput } from './reviewMessage.ts';
import { defineWorkflowKind, kindStartRequest } from './kind.ts';

export const reviewKind = defineWorkflowKind({ runType: 'review', workflowType: 'reviewMessageWorkflow', entityType: 'message' });

export const reviewWorkflowId = (messageId: string) => `review-${messageId}`;

/** The start row of a late review; a message may be reviewed again later, so it may run again. */
export function reviewStartRequest(input: ReviewMessageInput, requestId?: string): StartRequest {
  return kindStartRequest(reviewKind, reviewWorkflowId(input.messageId), input.messageId, input, { requestId, rerun: true });
}
