import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { RunRef } from '../lib/workflowClient.ts';
import { RunStillOpenError, startQueued } from '../lib/workflowClient.ts';
import { WorkflowStartSchema, type WorkflowStart } from '../entities/WorkflowStart.ts';
import type { AppContext } from './context.ts';
import { firstTaskDelayMs, rerunWaitsForClose } from '../workflows/registry.ts';

/** How long a request waits for Temporal before it answers `pending` and leaves the start to the relay. */
const START_DEADLINE_MS = 3_000;

/**
 * The fast path of "work starts from rows": the row is committed; start its workflow
 * now. When Temporal cannot be reached the answer still succeeds, with
 * `run.status: "pending"`, and the outbox relay in the worker starts it later.
 */
export async function startOrDefer(ctx: AppContext, row: WorkflowStart): Promise<RunRef> {
  try {
    const run = await startQueued(
      ctx.deps.temporal,
      ctx.deps.config.temporal.taskQueue,
      {
        tenantId: row.tenant.id,
        workflowType: row.workflowType,
        workflowId: row.workflowId,
        args: row.args,
        entityType: row.entityType,
        entityId: row.entityId,
        requestId: row.requestId ?? null,
        rerunnable: row.rerunnable,
        rerunAfterClose: rerunWaitsForClose(row.workflowType),
        signal: row.signal ?? null,
        startDelayMs: firstTaskDelayMs(row.workflowType, row.args),
      },
      START_DEADLINE_MS,
    );
    ctx.deps.startMarks.mark(row.id, run.run_id);
    return run;
  } catch (err) {
    if (err instanceof RunStillOpenError) ctx.state.log.info({ workflowId: row.workflowId }, 'rerun left to the outbox relay until the previous run closes');
    else ctx.state.log.warn({ workflowId: row.workflowId, err: err instanceof Error ? err.message : String(err) }, 'workflow start deferred to the outbox relay');
    return { workflow_id: row.workflowId, run_id: null, status: 'pending' };
  }
}

/**
 * The run a committed row already asked for under `workflowId` (its first start row, not a
 * later signal's), started now if that start was missed: what a retried request answers
 * when its first try committed and the API died before answering. The row outlives the
 * request's Idempotency-Key (purged 7 days after its start, the key after 24 hours).
 */
export async function runAskedFor(ctx: AppContext, workflowId: string): Promise<RunRef> {
  const row = await ctx.state.em.findOneOrFail(WorkflowStartSchema, { workflowId, signal: null }, { orderBy: { createdAt: 'asc' } });
  return startOrDefer(ctx, row);
}

/** A unique key refused the write: through the ORM, or from a prepared statement's own `pg` error. */
function isUniqueViolation(err: unknown): boolean {
  return err instanceof UniqueConstraintViolationException || (err as { code?: unknown } | null)?.code === '23505';
}

/**
 * A request's work, made once however often the request is tried. With an Idempotency-Key,
 * `earlier` finds what a try of the same request committed (its first try, when the API
 * died before answering: api/middleware/idempotency.ts) and `make` writes the key into
 * what it commits (a unique column), so two tries at once leave one row: the loser
 * answers with the winner's. Without a key, `make` alone.
 */
export async function madeOnce<T>(ctx: AppContext, earlier: (requestKey: string) => Promise<T | null>, make: (requestKey: string | null) => Promise<T>): Promise<T> {
  const key = ctx.state.idempotencyRef ?? null;
  const found = key ? await earlier(key) : null;
  if (found) return found;
  try {
    return await make(key);
  } catch (err) {
    if (!key || !isUniqueViolation(err)) throw err;
    ctx.state.em.clear();
    const winner = await earlier(key);
    if (!winner) throw err;
    return winner;
  }
}
