import { randomUUID } from 'node:crypto';
import { defineEntity, p } from '@mikro-orm/core';
import { TenantSchema } from './Tenant.ts';

/** Every table: a uuid key made by the app (so an id is known before the insert) and timestamps. */
export const BaseSchema = defineEntity({
  name: 'BaseEntity',
  abstract: true,
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

/**
 * Rows that belong to one tenant. The `tenant` filter (lib/db.ts) is on by default for
 * every entity built on this, so a query that forgets the tenant fails instead of leaking.
 */
export const TenantScopedSchema = defineEntity({
  name: 'TenantScopedEntity',
  abstract: true,
  extends: BaseSchema,
  properties: {
    tenant: () => p.manyToOne(TenantSchema).index(),
  },
});
