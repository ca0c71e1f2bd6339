import { ActivityFailure, ApplicationFailure, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CrmSyncActivities, StepOutcome } from '../activities/crmSync.ts';
import { emptyCounts, type SyncCounts } from '../lib/crm/syncCounts.ts';
import { presets } from './activityOptions.ts';
import { crmSyncProgressQuery, type CrmSyncInput, type CrmSyncProgress } from './syncCrm.client.ts';

// Pages heartbeat their progress: a dead worker is noticed in seconds and the retry resumes
// at the last committed page. A provider's Retry-After sets the wait (nextRetryDelay).
const { pullCrmPages, syncCrmDeletions, pushCrmChanges } = proxyActivities<CrmSyncActivities>({
  ...presets.providerCall,
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', maximumAttempts: 12 },
});
const { beginCrmSync, finishCrmSync } = proxyActivities<CrmSyncActivities>(presets.database);

/** Pull activities per run before continuing as new (each pulls up to 50 pages). */
const PULLS_PER_RUN = 20;

/**
 * One sync of one integration's data type (ID `crm-sync-<integration>-<data_type>`, or the
 * Schedule's ID plus its timestamp): take the data type's lease, pull what changed at the
 * provider from the stored cursor, mirror deletions, push our changes, close the run. A
 * run that finds another holding the lease ends as skipped; one whose credentials are
 * refused marks the integration needs_reauth and fails.
 */
export async function syncCrmWorkflow(input: CrmSyncInput): Promise<CrmSyncProgress> {
  const ref = { tenantId: input.tenantId, integrationId: input.integrationId, dataType: input.dataType };
  const progress: CrmSyncProgress = { ...emptyCounts(), ...input.resume?.counts, state: 'starting', sync_run_id: input.resume?.runRowId ?? null, error: null };
  setHandler(crmSyncProgressQuery, () => progress);
  const counts = (): SyncCounts => ({ fetched: progress.fetched, created: progress.created, updated: progress.updated, archived: progress.archived, pushed: progress.pushed, conflicts: progress.conflicts, errors: progress.errors });

  let runRowId = input.resume?.runRowId;
  if (!runRowId) {
    const info = workflowInfo();
    const begun = await beginCrmSync({ ...ref, workflowId: info.workflowId, runKey: info.firstExecutionRunId, trigger: input.trigger });
    if (begun.state === 'busy') {
      progress.state = 'skipped';
      progress.error = `another sync of ${input.dataType} is running (${begun.heldBy})`;
      return progress;
    }
    if (begun.state === 'stopped') {
      progress.state = 'skipped';
      progress.error = begun.reason;
      return progress;
    }
    runRowId = begun.runRowId;
    progress.sync_run_id = runRowId;
  }
  const step = { ...ref, runRowId };

  const fail = async (error: string): Promise<never> => {
    progress.state = 'failed';
    progress.error = error;
    await finishCrmSync({ ...step, status: 'failed', error });
    throw ApplicationFailure.nonRetryable(`sync failed: ${error}`, 'CrmSyncFailed');
  };
  // Activities answer the run's counts so far (committed with its pages), so a retried attempt's are not counted twice.
  const take = (outcome: StepOutcome): outcome is Exclude<StepOutcome, { state: 'stopped' }> => {
    if (outcome.state === 'stopped') return false;
    Object.assign(progress, outcome.counts);
    return true;
  };

  try {
    if (!input.resume?.pullDone) {
      progress.state = 'pulling';
      for (let pulls = 0; ; pulls++) {
        if (pulls >= PULLS_PER_RUN) return continueAsNew<typeof syncCrmWorkflow>({ ...input, resume: { runRowId, counts: counts(), pullDone: false } });
        const pulled = await pullCrmPages(step);
        if (!take(pulled)) return await fail((pulled as { reason: string }).reason);
        if (pulled.state === 'done') break;
      }
    }
    progress.state = 'deletions';
    const deletions = await syncCrmDeletions(step);
    if (!take(deletions)) return await fail((deletions as { reason: string }).reason);
    progress.state = 'pushing';
    const pushed = await pushCrmChanges(step);
    if (!take(pushed)) return await fail((pushed as { reason: string }).reason);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return await fail(err.cause?.message ?? err.message);
  }
  progress.state = 'completed';
  await finishCrmSync({ ...step, status: 'completed' });
  return progress;
}
