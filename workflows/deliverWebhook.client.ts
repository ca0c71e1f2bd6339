import { startWorkflow, type StartContext } from '../lib/workflowClient.ts';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import type { deliverWebhookWorkflow, DeliverWebhookInput } from './deliverWebhook.ts';
import { defineWorkflowKind } from './kind.ts';

export const webhookKind = defineWorkflowKind({ runType: 'webhook', workflowType: 'deliverWebhookWorkflow', entityType: 'webhook_delivery' });

export const webhookWorkflowId = (deliveryId: string) => `webhook-${deliveryId}`;

/** The start row for a delivery (committed with the delivery; the relay or the route starts it). */
export function webhookStartRequest(input: DeliverWebhookInput, opts: { requestId?: string | null; rerun?: boolean } = {}): StartRequest {
  return {
    tenantId: input.tenantId,
    workflowType: webhookKind.workflowType,
    workflowId: webhookWorkflowId(input.deliveryId),
    args: [input],
    entity: { type: webhookKind.entityType, id: input.deliveryId },
    requestId: opts.requestId ?? null,
    rerunnable: opts.rerun ?? false,
  };
}

export function startDelivery(ctx: StartContext, input: DeliverWebhookInput) {
  return startWorkflow<typeof deliverWebhookWorkflow>(ctx, {
    workflowType: webhookKind.workflowType,
    workflowId: webhookWorkflowId(input.deliveryId),
    args: [input],
    entity: { type: webhookKind.entityType, id: input.deliveryId },
  });
}
