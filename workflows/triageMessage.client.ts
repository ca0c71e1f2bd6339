// Types only from the client SDK: the workflow imports this file for its message definitions.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { startWorkflow, type StartContext } from '../lib/workflowClient.ts';
import type { MessageReview } from '../activities/triage.ts';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TriageOutcome } from '../activities/triage.ts';
import type { triageMessageWorkflow, TriageMessageInput, TriageProgress } from './triageMessage.ts';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import { defineWorkflowKind, kindStartRequest } from './kind.ts';

export const triageKind = defineWorkflowKind({ runType: 'triage', workflowType: 'triageMessageWorkflow', entityType: 'message' });

export const triageWorkflowId = (messageId: string) => `triage-${messageId}`;

// Message definitions live here, not in the workflow file, so the API never loads workflow code.
export const triageProgressQuery = defineQuery<TriageProgress>('progress');
/**
 * A person's confirmation or correction of a triage waiting for review. The validator
 * refuses it unless the run is waiting and the review is one a person may give; the
 * answer is the outcome as the activity applied it.
 */
export const reviewUpdate = defineUpdate<TriageOutcome, [MessageReview]>('submitReview');
/** The signal runs started before the Update used; kept so they still replay and finish. */
export const reviewSignal = defineSignal<[MessageReview]>('review');

/** Statuses a review may set (the rest belong to triage itself). */
export const REVIEW_STATUSES = ['triaged', 'spam', 'in_progress', 'resolved'] as const;
/** Failure types the Update's validator throws, so the API can tell them apart. */
export const NOT_AWAITING_REVIEW = 'NotAwaitingReview';
export const INVALID_REVIEW = 'InvalidReview';

/** The start row for a message's triage, committed with the message (api/startWork.ts starts it). */
export function triageStartRequest(tenantId: string, messageId: string, opts: { reviewTimeoutSeconds: number; rerun?: boolean; requestId?: string }): StartRequest {
  const input: TriageMessageInput = { tenantId, messageId, reviewTimeoutSeconds: opts.reviewTimeoutSeconds };
  return kindStartRequest(triageKind, triageWorkflowId(messageId), messageId, input, opts);
}

/**
 * Starts triage of a stored message. A triage already running is returned as is; with
 * `rerun`, a finished one is run again (POST /inbox/messages/{id}/process).
 */
export function startTriage(ctx: StartContext, messageId: string, opts: { reviewTimeoutSeconds: number; rerun?: boolean }) {
  return startWorkflow<typeof triageMessageWorkflow>(ctx, {
    workflowType: triageKind.workflowType,
    workflowId: triageWorkflowId(messageId),
    args: [{ tenantId: ctx.tenantId, messageId, reviewTimeoutSeconds: opts.reviewTimeoutSeconds }],
    entity: { type: triageKind.entityType, id: messageId },
    rerunnable: opts.rerun ?? false,
  });
}

/**
 * Hands a person's review to the triage waiting for it and returns what was applied:
 * `applied`, or `not_waiting` (no triage waits: it finished, timed out, or was never
 * started), or `invalid` with the reason. Anything else (Temporal unreachable) throws.
 */
export async function submitReview(client: Client, messageId: string, review: MessageReview): Promise<
  { kind: 'applied'; outcome: TriageOutcome } | { kind: 'not_waiting' } | { kind: 'invalid'; reason: string }
> {
  try {
    const outcome = await client.workflow.getHandle(triageWorkflowId(messageId)).executeUpdate(reviewUpdate, { args: [review] });
    return { kind: 'applied', outcome };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { kind: 'not_waiting' };
    if (err instanceof Error && err.name === 'WorkflowUpdateFailedError') {
      const cause = err.cause as { type?: string; message?: string } | undefined;
      if (cause?.type === INVALID_REVIEW) return { kind: 'invalid', reason: cause.message ?? 'invalid review' };
      return { kind: 'not_waiting' };
    }
    throw err;
  }
}
