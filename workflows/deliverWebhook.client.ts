import { startWorkflow, type StartContext } from '../lib/workflowClient.ts';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import type { deliverWebhookWorkflow, DeliverWebhookInput } from './deliverWebhook.ts';
import { defineWorkflowKind, kindStartRequest } from './kind.ts';

// A retry or replay is only accepted once the delivery is no longer being attempted; its
// last run may still be closing then, and joining that run would deliver nothing.
export const webhookKind = defineWorkflowKind({ runType: 'webhook', workflowType: 'deliverWebhookWorkflow', entityType: 'webhook_delivery', rerunAfterClose: true });

export const webhookWorkflowId = (deliveryId: string) => `webhook-${deliveryId}`;

/** The start row for a delivery (committed with the delivery; the relay or the route starts it). */
export function webhookStartRequest(input: DeliverWebhookInput, opts: { requestId?: string | null; rerun?: boolean } = {}): StartRequest {
  return kindStartRequest(webhookKind, webhookWorkflowId(input.deliveryId), input.deliveryId, input, opts);
}

export function startDelivery(ctx: StartContext, input: DeliverWebhookInput) {
  return startWorkflow<typeof deliverWebhookWorkflow>(ctx, {
    workflowType: webhookKind.workflowType,
    workflowId: webhookWorkflowId(input.deliveryId),
    args: [input],
    entity: { type: webhookKind.entityType, id: input.deliveryId },
  });
}
