import type { RunRef } from '../lib/workflowClient.ts';
import { RunStillOpenError, startQueued } from '../lib/workflowClient.ts';
import type { WorkflowStart } from '../entities/WorkflowStart.ts';
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
