// Values from @temporalio/common only: a workflow may import its companion (for its
// signal, query and update definitions), and the client SDK must stay out of its bundle.
import type { Client, WorkflowStartOptions } from '@temporalio/client';
import {
  TypedSearchAttributes,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Workflow,
} from '@temporalio/common';
import { EntityIdKey, EntityTypeKey, RequestIdKey, TenantIdKey } from './searchAttributes.ts';

export interface StartContext {
  client: Client;
  taskQueue: string;
  tenantId: string;
  requestId?: string;
}

export interface StartSpec<W extends Workflow> {
  workflowType: string;
  workflowId: string;
  args: Parameters<W>;
  entity: { type: string; id: string };
  /** Start a fresh run when the previous one with this ID has closed (e.g. "run triage again"). */
  rerunnable?: boolean;
  /** With `rerunnable`: a run still open under this ID is not joined; the start fails with RunStillOpenError, to be made again once it closed (WorkflowKind.rerunAfterClose). */
  rerunAfterClose?: boolean;
  /** Signal-With-Start: the open run under this ID gets this signal, or a new run starts and gets it. */
  signal?: string;
  /** A plain start's first workflow task waits this long (WorkflowKind.firstTaskAt); a Signal-With-Start's never does. */
  startDelayMs?: number;
}

/** A rerun that must not join the run still open under its ID: start it again shortly (the outbox relay does). */
export class RunStillOpenError extends Error {
  readonly workflowId: string;
  constructor(workflowId: string) {
    super(`the previous run of ${workflowId} has not closed yet; the rerun starts once it has`);
    this.workflowId = workflowId;
    this.name = 'RunStillOpenError';
  }
}

export interface RunRef {
  workflow_id: string;
  /** null while the start is pending (Temporal unreachable; the outbox relay starts it). */
  run_id: string | null;
  /** `running` for a started or already-open run, `pending` for a start not made yet; a closed one's status otherwise. */
  status: string;
}

/**
 * Starts a workflow whose ID is its business key. A run already open under that ID is
 * returned instead of a second one (USE_EXISTING), so a repeated request is a no-op.
 * Tenant, entity and request id become search attributes (filterable in the Temporal
 * UI) and the entity also goes in the memo, so operators see what a run works on.
 */
export async function startWorkflow<W extends Workflow>(ctx: StartContext, spec: StartSpec<W>): Promise<RunRef> {
  const options = {
    args: spec.args,
    taskQueue: ctx.taskQueue,
    workflowId: spec.workflowId,
    workflowIdConflictPolicy: spec.rerunnable && spec.rerunAfterClose ? WorkflowIdConflictPolicy.FAIL : WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: spec.rerunnable ? WorkflowIdReusePolicy.ALLOW_DUPLICATE : WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    ...runTags(ctx, spec.entity),
  };
  // Temporal types `args` conditionally on W, which TypeScript cannot narrow for a generic W;
  // StartSpec already ties `args` to Parameters<W>.
  if (spec.signal) {
    // The open run hears the signal, or a new run starts and hears it: one call either way.
    const { workflowIdConflictPolicy: _open, ...rest } = options;
    const handle = await ctx.client.workflow.signalWithStart(spec.workflowType, { ...rest, signal: spec.signal, signalArgs: [] } as unknown as Parameters<typeof ctx.client.workflow.signalWithStart>[1]);
    return { workflow_id: handle.workflowId, run_id: handle.signaledRunId, status: 'running' };
  }
  try {
    const delayed = spec.startDelayMs ? { ...options, startDelay: spec.startDelayMs } : options;
    const handle = await ctx.client.workflow.start<W>(spec.workflowType, delayed as unknown as WorkflowStartOptions<W>);
    return { workflow_id: handle.workflowId, run_id: handle.firstExecutionRunId, status: 'running' };
  } catch (err) {
    // A closed run under this ID that may not run again (it completed): the work is done, so report that run.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // FAIL refuses only while a run is open (a closed one may run again): asked again shortly,
    // the start succeeds once it has closed, even if it closes before a describe could tell.
    // Starting the same row twice costs nothing: the kinds with this flag have keyed activities.
    if (spec.rerunnable && spec.rerunAfterClose) throw new RunStillOpenError(spec.workflowId);
    const description = await ctx.client.workflow.getHandle(spec.workflowId).describe();
    return { workflow_id: spec.workflowId, run_id: description.runId, status: description.status.name.toLowerCase() };
  }
}

/** What every run carries: tenant, entity and request id as search attributes (filterable in the UI) and the entity in the memo. */
export function runTags(ctx: Pick<StartContext, 'tenantId' | 'requestId'>, entity: { type: string; id: string }) {
  const pairs = [
    { key: TenantIdKey, value: ctx.tenantId },
    { key: EntityIdKey, value: entity.id },
    { key: EntityTypeKey, value: entity.type },
    ...(ctx.requestId ? [{ key: RequestIdKey, value: ctx.requestId }] : []),
  ];
  return {
    typedSearchAttributes: new TypedSearchAttributes(pairs),
    memo: { tenantId: ctx.tenantId, entityType: entity.type, entityId: entity.id, requestId: ctx.requestId ?? null },
  };
}

/** A start owed by a committed row (entities/WorkflowStart.ts), in plain data. */
export interface QueuedStart {
  tenantId: string;
  workflowType: string;
  workflowId: string;
  args: unknown[];
  entityType: string;
  entityId: string;
  requestId: string | null;
  rerunnable: boolean;
  rerunAfterClose?: boolean;
  /** Signal-With-Start with this signal. */
  signal?: string | null;
  /** See StartSpec.startDelayMs. */
  startDelayMs?: number;
}

/**
 * Starts a queued workflow, giving up after `deadlineMs` (Temporal unreachable): the
 * caller then leaves the row for the outbox relay instead of holding a request open.
 */
export function startQueued(client: Client, taskQueue: string, q: QueuedStart, deadlineMs: number): Promise<RunRef> {
  const ctx: StartContext = { client, taskQueue, tenantId: q.tenantId, requestId: q.requestId ?? undefined };
  return client.connection.withDeadline(Date.now() + deadlineMs, () =>
    startWorkflow<(...args: unknown[]) => Promise<unknown>>(ctx, {
      workflowType: q.workflowType,
      workflowId: q.workflowId,
      args: q.args,
      entity: { type: q.entityType, id: q.entityId },
      rerunnable: q.rerunnable,
      rerunAfterClose: q.rerunAfterClose,
      signal: q.signal ?? undefined,
      startDelayMs: q.startDelayMs,
    }),
  );
}
