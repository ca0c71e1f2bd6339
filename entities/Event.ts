import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/core';
import type { EventData, EventType } from '../lib/events.ts';
import { TenantScopedSchema } from './base.ts';

/**
 * The outbox: a domain event written in the same transaction as the change that
 * caused it, so webhooks and automations can fan out from rows, never from memory.
 */
export const EventSchema = defineEntity({
  name: 'Event',
  tableName: 'events',
  extends: TenantScopedSchema,
  indexes: [
    { properties: ['tenant', 'type', 'createdAt'] },
    { properties: ['dispatchedAt'] },
    // What the outbox relay scans stays small however large the table grows.
    { name: 'events_undispatched_index', properties: ['createdAt'], where: { dispatchedAt: null } },
  ],
  // A committed event wakes the outbox relay at once (one notification per statement; the
  // relay also polls, so a lost notification only delays).
  triggers: [{ name: 'events_notify_outbox', timing: 'after', events: ['insert'], forEach: 'statement', body: "perform pg_notify('outbox', ''); return null;" }],
  properties: {
    type: p.string().length(100),
    entityType: p.string().length(50),
    entityId: p.uuid(),
    payload: p.json<Record<string, unknown>>(),
    dispatchedAt: p.datetime().nullable(),
  },
});

export type Event = InferEntity<typeof EventSchema>;

export interface NewEvent<T extends EventType = EventType> {
  tenantId: string;
  type: T;
  entityType: string;
  entityId: string;
  /** Its shape is the catalogue's (lib/events.ts), checked by the compiler. */
  payload: EventData<T>;
}

/** Adds an outbox row to the unit of work, so it commits with the change it describes. */
export function recordEvent<T extends EventType>(em: EntityManager, event: NewEvent<T>): Event {
  return em.create(EventSchema, {
    tenant: event.tenantId,
    type: event.type,
    entityType: event.entityType,
    entityId: event.entityId,
    payload: event.payload,
  });
}
