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
  triggers: [
    // An event of a tenant with no enabled webhook endpoint has nobody to fan out to: it is
    // stored dispatched, and the relay never reads it (most tenants, most events: the
    // relay's passes were a large share of the database's work under load, bench:reminders).
    // An endpoint gets the events committed after it was; one registered at the same moment
    // may miss that moment's events.
    {
      name: 'events_mark_unsubscribed',
      timing: 'before',
      events: ['insert'],
      forEach: 'row',
      when: '(new.dispatched_at IS NULL)',
      body:
        "if not exists (select 1 from webhook_endpoints w where w.tenant_id = new.tenant_id and w.enabled) and not exists (select 1 from automations a where a.tenant_id = new.tenant_id and a.enabled and a.trigger_type in ('event', 'time_based', 'sla')) and not exists (select 1 from automation_watches aw where aw.tenant_id = new.tenant_id) then new.dispatched_at := now(); end if; return new;",
    },
    // Events written by an automation's step carry its run and depth (set for the step's
    // transaction), so a chain of automations retriggering each other stops at a limit.
    {
      name: 'events_automation_cause',
      timing: 'before',
      events: ['insert'],
      forEach: 'row',
      body: "new.automation_run_id := coalesce(new.automation_run_id, nullif(current_setting('app.automation_run_id', true), '')::uuid); new.automation_depth := greatest(new.automation_depth, coalesce(nullif(current_setting('app.automation_depth', true), '')::int, 0)); return new;",
    },
    // An event to fan out wakes the outbox relay at once (identical notifications in one
    // transaction fold into one; the relay also polls, so a lost notification only delays).
    { name: 'events_notify_outbox', timing: 'after', events: ['insert'], forEach: 'row', when: '(new.dispatched_at IS NULL)', body: "perform pg_notify('outbox', ''); return null;" },
  ],
  properties: {
    type: p.string().length(100),
    entityType: p.string().length(50),
    entityId: p.uuid(),
    payload: p.json<Record<string, unknown>>(),
    dispatchedAt: p.datetime().nullable(),
    /** The automation run whose step wrote this event, and how many runs led to it. */
    automationRunId: p.uuid().nullable(),
    automationDepth: p.integer().default(0),
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
  /**
   * The automation run whose work this event reports, when it is written outside that
   * run's step transaction (which says so by itself, events_automation_cause): a send's
   * outcome, the run's own end.
   */
  automation?: { runId: string; depth: number } | null;
}

/** Adds an outbox row to the unit of work, so it commits with the change it describes. */
export function recordEvent<T extends EventType>(em: EntityManager, event: NewEvent<T>): Event {
  return em.create(EventSchema, {
    tenant: event.tenantId,
    type: event.type,
    entityType: event.entityType,
    entityId: event.entityId,
    payload: event.payload,
    ...(event.automation ? { automationRunId: event.automation.runId, automationDepth: event.automation.depth } : {}),
  });
}
