import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { WebhookDeliverySchema } from './WebhookDelivery.ts';

/** One HTTP attempt of a delivery: when, what came back, how long it took. */
export const WebhookAttemptSchema = defineEntity({
  name: 'WebhookAttempt',
  tableName: 'webhook_attempts',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['delivery', 'attemptNo'] }],
  properties: {
    delivery: () => p.manyToOne(WebhookDeliverySchema).deleteRule('cascade'),
    attemptNo: p.integer(),
    startedAt: p.datetime(),
    finishedAt: p.datetime().nullable(),
    statusCode: p.integer().nullable(),
    latencyMs: p.integer().nullable(),
    /** At most 1 KB of the answer. */
    responseExcerpt: p.string().length(1024).nullable(),
    error: p.string().length(500).nullable(),
  },
});

export type WebhookAttempt = InferEntity<typeof WebhookAttemptSchema>;
