import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/**
 * rate-limiter-flexible's PostgreSQL store (RATE_LIMIT_STORE=postgres): one row per
 * counter key, shared by every API replica, so N replicas still enforce one limit.
 * Declared here so the schema is migrated like the rest, never created at run time.
 */
export const RateLimitCounterSchema = defineEntity({
  name: 'RateLimitCounter',
  tableName: 'rate_limits',
  properties: {
    key: p.string().length(255).primary(),
    points: p.integer().default(0),
    /** Epoch milliseconds; null never expires. */
    expire: p.bigint('number').nullable().index(),
  },
});

export type RateLimitCounter = InferEntity<typeof RateLimitCounterSchema>;
