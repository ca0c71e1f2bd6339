import { defineEntity, type EntityManager, type InferEntity, p } from '@mikro-orm/core';
import { webhookKind, webhookWorkflowId } from '../workflows/deliverWebhook.client.ts';
import { TenantScopedSchema } from './base.ts';
import { EventSchema } from './Event.ts';
import { WebhookEndpointSchema } from './WebhookEndpoint.ts';

/** `paused`: waiting for its endpoint to recover (its circuit is open), no workflow yet. */
export const DELIVERY_STATUSES = ['pending', 'retrying', 'delivered', 'failed', 'cancelled', 'paused'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One event to one endpoint, delivered by the workflow `webhook-<id>`. At most one per
 * (endpoint, event): a fan-out done twice, or a replay, reuses it, so every attempt of
 * an event to an endpoint carries the same `webhook-id` (the event id).
 */
export const WebhookDeliverySchema = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['endpoint', 'event'] }],
  indexes: [{ properties: ['tenant', 'endpoint', 'createdAt'] }, { properties: ['endpoint', 'status'] }],
  properties: {
    endpoint: () => p.manyToOne(WebhookEndpointSchema).deleteRule('cascade'),
    event: () => p.manyToOne(EventSchema).deleteRule('cascade').index(),
    eventType: p.string().length(100),
    status: p.enum(DELIVERY_STATUSES).default('pending'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime().nullable(),
    lastStatusCode: p.integer().nullable(),
    lastError: p.string().length(500).nullable(),
    deliveredAt: p.datetime().nullable(),
  },
});

export type WebhookDelivery = InferEntity<typeof WebhookDeliverySchema>;

/**
 * An endpoint is reachable again (a probe got through, or a person re-enabled it): its
 * paused deliveries get their workflows, through start rows handed to the outbox relay,
 * in the caller's transaction. One statement however many there are.
 */
export async function resumePausedDeliveries(em: EntityManager, endpointId: string, plan: { scheduleMs: number[]; attemptTimeoutMs: number }): Promise<void> {
  await em.getConnection().execute(
    `with resumed as (
       update webhook_deliveries set status = 'pending', updated_at = now() where endpoint_id = ? and status = 'paused'
       returning id, tenant_id, attempts)
     insert into workflow_starts (id, created_at, updated_at, tenant_id, workflow_type, workflow_id, args, entity_type, entity_id, request_id, rerunnable, claimed_until, attempts)
     select gen_random_uuid(), now(), now(), r.tenant_id, ?, ? || r.id,
            jsonb_build_array(jsonb_build_object('tenantId', r.tenant_id, 'deliveryId', r.id, 'scheduleMs', ?::jsonb, 'firstAttemptNo', r.attempts + 1, 'attemptTimeoutMs', ?::int)),
            ?, r.id, null, true, 'epoch', 0
     from resumed r`,
    [endpointId, webhookKind.workflowType, webhookWorkflowId(''), JSON.stringify(plan.scheduleMs), plan.attemptTimeoutMs, webhookKind.entityType],
    'run',
    em.getTransactionContext(),
  );
}
