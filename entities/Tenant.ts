import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

export const TenantSchema = defineEntity({
  name: 'Tenant',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    name: p.string().length(200),
    /** Phone numbers (E.164) that route inbound SMS and calls to this tenant. */
    phoneNumbers: p.array().default([]),
    /** IANA zone: relative dates in messages ("tomorrow at 3pm") are read in it. */
    timezone: p.string().length(64).default('UTC'),
    settings: p.json<Record<string, unknown>>().onCreate(() => ({})),
    onboardedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export type Tenant = InferEntity<typeof TenantSchema>;
