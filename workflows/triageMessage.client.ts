import type { Client } from '@temporalio/client';
import { startWorkflow, type StartContext } from '../lib/workflowClient.ts';
import type { MessageReview } from '../activities/triage.ts';
import { reviewSignal, type triageMessageWorkflow, type TriageMessageInput } from './triageMessage.ts';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import { defineWorkflowKind } from './kind.ts';

export const triageKind = defineWorkflowKind({ runType: 'triage', workflowType: 'triageMessageWorkflow', entityType: 'message' });

export const triageWorkflowId = (messageId: string) => `triage-${messageId}`;

/** The start row for a message's triage, committed with the message (api/startWork.ts starts it). */
export function triageStartRequest(tenantId: string, messageId: string, opts: { reviewTimeoutSeconds: number; rerun?: boolean; requestId?: string }): StartRequest {
  return {
    tenantId,
    workflowType: triageKind.workflowType,
    workflowId: triageWorkflowId(messageId),
    args: [{ tenantId, messageId, reviewTimeoutSeconds: opts.reviewTimeoutSeconds } satisfies TriageMessageInput],
    entity: { type: triageKind.entityType, id: messageId },
    requestId: opts.requestId ?? null,
    rerunnable: opts.rerun ?? false,
  };
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

/** Hands a person's review to the triage waiting for it; false when no triage is waiting. */
export async function sendReview(client: Client, messageId: string, review: MessageReview): Promise<boolean> {
  try {
    await client.workflow.getHandle(triageWorkflowId(messageId)).signal(reviewSignal, review);
    return true;
  } catch {
    return false;
  }
}
