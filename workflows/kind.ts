import type { ActivityDeps, ActivityGroup } from '../activities/deps.ts';
import type { StartRequest } from '../entities/WorkflowStart.ts';

/**
 * What the worker, `/runs` and the replay suite know about one workflow: its type (the
 * exported function name in workflows/index.ts), the short name clients filter runs by,
 * the entity its ID is keyed on, and how to build its activities. Companions declare
 * the first three; workflows/registry.ts adds the activities in its one line per workflow.
 */
export interface WorkflowKind {
  /** `GET /runs?type=<runType>` */
  runType: string;
  workflowType: string;
  entityType: string;
  /**
   * A rerun (a start row with `rerunnable`) waits for a run still open under its ID to
   * close, and then starts afresh, instead of joining it: for work whose rerun is only
   * asked for once the last run's work is over (a webhook delivery retried or replayed
   * once its attempts are recorded), whose run may still be closing at that moment. Its
   * activities must be keyed so a row started twice (a lost "started" mark) does no
   * work twice: a delivery's attempts are keyed by attempt number.
   */
  rerunAfterClose?: boolean;
  /**
   * When a run of this kind first needs a worker (epoch ms), read from its input: a start
   * made earlier asks Temporal for a start delay, so the run costs no workflow task, no
   * worker and no cache slot while it only waits, and its first task comes due then. Such a
   * run must only be told of changes through Signal-With-Start, which ends the delay at
   * once (a cancel does too); a plain signal would wait for the delay's end.
   */
  firstTaskAt?: (input: never) => number | undefined;
}

export interface RegisteredWorkflow extends WorkflowKind {
  /**
   * Loads and builds the activity group lazily: the API reads this registry too, and must
   * never load activity code (providers, SDK clients). Groups shared by several workflows
   * are registered once, on one of them.
   */
  activities?: (deps: ActivityDeps) => Promise<ActivityGroup>;
}

export const defineWorkflowKind = <K extends WorkflowKind>(kind: K): K => kind;

/**
 * The start row of one run of `kind` on `entityId`, its input the only argument: committed
 * with the change that asks for the work (api/startWork.ts starts it, or the outbox relay).
 */
export function kindStartRequest(
  kind: WorkflowKind,
  workflowId: string,
  entityId: string,
  input: { tenantId: string },
  opts: { requestId?: string | null; rerun?: boolean } = {},
): StartRequest {
  return {
    tenantId: input.tenantId,
    workflowType: kind.workflowType,
    workflowId,
    args: [input],
    entity: { type: kind.entityType, id: entityId },
    requestId: opts.requestId ?? null,
    rerunnable: opts.rerun ?? false,
  };
}
