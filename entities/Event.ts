import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/core';
import type { EventType } from '../lib/events.ts';
import { TenantScopedSchema } from './base.ts';

/**
 * The outbox: a domain event written in the same transaction as the change that
 * caused it, so webhooks and automations can fan out from rows, never from memory.
 */
export const EventSchema = defineEntity({
  name: 'Event',
  tableName: 'events',
  extends: TenantScopedSchema,
  indexes: [{ properties: ['tenant', 'type', 'createdAt'] }, { properties: ['dispatchedAt'] }],
  properties: {
    type: p.string().length(100),
    entityType: p.string().length(50),
    entityId: p.uuid(),
    payload: p.json<Record<string, unknown>>(),
    dispatchedAt: p.datetime().nullable(),
  },
});

export type Event = InferEntity<typeof EventSchema>;

export interface NewEvent {
  tenantId: string;
  type: EventType;
  entityType: string;
  entityId: string;
  payload: Record<string, unknown>;
}

/** Adds an outbox row to the unit of work, so it commits with the change it describes. */
export function recordEvent(em: EntityManager, event: NewEvent): Event {
  return em.create(EventSchema, {
    tenant: event.tenantId,
    type: event.type,
    entityType: event.entityType,
    entityId: event.entityId,
    payload: event.payload,
  });
}
