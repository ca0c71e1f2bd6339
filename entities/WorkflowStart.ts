import { defineEntity, type EntityManager, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';

/**
 * A workflow start the product owes: written in the same transaction as the change that
 * asks for the work, so the work cannot be lost between the commit and the start. The
 * writer tries to start it at once (fast path); the outbox relay in the worker starts
 * whatever is left (Temporal was down, the process died). Workflow IDs are business
 * keys, so a start made twice is still one run.
 */
export const WorkflowStartSchema = defineEntity({
  name: 'WorkflowStart',
  tableName: 'workflow_starts',
  extends: TenantScopedSchema,
  indexes: [
    { properties: ['tenant', 'workflowId'] },
    { name: 'workflow_starts_unstarted_index', properties: ['createdAt'], where: { startedAt: null } },
  ],
  // Only a row handed over to the relay wakes it (for a full pass, which starts rows); the
  // writer starts every other row itself, so waking the relay for those was a wasted pass
  // per commit (bench:reminders). Identical notifications in one transaction fold into one.
  triggers: [
    {
      name: 'workflow_starts_notify_outbox',
      timing: 'after',
      events: ['insert'],
      forEach: 'row',
      // claimed_until = 'epoch', in the form PostgreSQL reads it back in (so the schema diff is clean).
      when: "(new.claimed_until = '1970-01-01 00:00:00+00'::timestamp with time zone)",
      body: "perform pg_notify('outbox', 'starts'); return null;",
    },
  ],
  properties: {
    workflowType: p.string().length(100),
    workflowId: p.string().length(200),
    args: p.json<unknown[]>(),
    entityType: p.string().length(50),
    entityId: p.string().length(100),
    // As long as an X-Request-Id the API accepts (api/middleware/requestId.ts).
    requestId: p.string().length(128).nullable(),
    /** Start a fresh run even when a closed one has this ID (a re-run asked for by a person). */
    rerunnable: p.boolean().default(false),
    /**
     * Signal-With-Start: the open run under this ID gets this signal (no arguments), or a new
     * run starts and gets it. A change a run must hear of (a reminder moved) is then owed
     * like a start: committed with the change, sent by the writer or else the relay.
     */
    signal: p.string().length(100).nullable(),
    startedAt: p.datetime().nullable(),
    runId: p.string().length(100).nullable(),
    /** A relay holds the row until then; another relay takes it over after. */
    claimedUntil: p.datetime().nullable(),
    attempts: p.integer().default(0),
    lastError: p.string().length(500).nullable(),
  },
});

export type WorkflowStart = InferEntity<typeof WorkflowStartSchema>;

export interface StartRequest {
  tenantId: string;
  workflowType: string;
  workflowId: string;
  args: unknown[];
  entity: { type: string; id: string };
  requestId?: string | null;
  rerunnable?: boolean;
  /** Signal-With-Start with this signal (the column above). */
  signal?: string;
}

/**
 * Adds the start to the unit of work, so it commits with the change that asks for it.
 * `handOver`: the writer will not start it itself, so the relay may at once (it
 * otherwise waits a grace period for the writer's fast path).
 */
export function queueWorkflowStart(em: EntityManager, r: StartRequest, opts: { handOver?: boolean } = {}): WorkflowStart {
  return em.create(WorkflowStartSchema, {
    claimedUntil: opts.handOver ? new Date(0) : null,
    tenant: r.tenantId,
    workflowType: r.workflowType,
    workflowId: r.workflowId,
    args: r.args,
    entityType: r.entity.type,
    entityId: r.entity.id,
    requestId: r.requestId ?? null,
    rerunnable: r.rerunnable ?? false,
    signal: r.signal ?? null,
  });
}
