import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';

/**
 * A POST's `Idempotency-Key` and the first response to it. Scoped by caller (user id,
 * or client address before login), not by tenant filter, because it is read before
 * the route knows what it will touch.
 */
export const IdempotencyKeySchema = defineEntity({
  name: 'IdempotencyKey',
  extends: BaseSchema,
  uniques: [{ properties: ['scope', 'key'] }],
  properties: {
    scope: p.string().length(100),
    key: p.string().length(255),
    method: p.string().length(10),
    path: p.string().length(500),
    requestHash: p.string().length(64),
    /** null while the first request is still being handled. */
    responseStatus: p.integer().nullable(),
    responseBody: p.json<unknown>().nullable(),
    expiresAt: p.datetime().index(),
  },
});

export type IdempotencyKey = InferEntity<typeof IdempotencyKeySchema>;
