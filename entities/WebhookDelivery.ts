import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { EventSchema } from './Event.ts';
import { WebhookEndpointSchema } from './WebhookEndpoint.ts';

export const DELIVERY_STATUSES = ['pending', 'retrying', 'delivered', 'failed', 'cancelled'] as const;
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
  indexes: [{ properties: ['tenant', 'endpoint', 'createdAt'] }],
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
