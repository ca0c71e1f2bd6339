import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BeginOutcome, CrmSyncActivities, StepOutcome } from '../../activities/crmSync.ts';
import { emptyCounts, type SyncCounts } from '../../lib/crm/syncCounts.ts';
import type { CrmSyncProgress } from '../../workflows/syncCrm.client.ts';
import { workflowTestEnv } from '../support/workflowWorker.ts';

/**
 * The CRM sync workflow's logic with its activities mocked: the steps in order with their
 * counts summed, continue-as-new in the middle of a long pull (one run row, counts carried),
 * a run that finds the lease held ending as skipped, credentials refused ending as failed
 * with the reason recorded, and a provider failure after its retries recorded the same way.
 */
let env: Awaited<ReturnType<typeof workflowTestEnv>>;
beforeAll(async () => {
  env = await workflowTestEnv();
});
afterAll(() => env.close());

const counts = (over: Partial<SyncCounts>): SyncCounts => ({ ...emptyCounts(), ...over });
const step = (state: 'done' | 'more', over: Partial<SyncCounts> = {}): StepOutcome => ({ state, counts: counts(over) });

async function run(opts: { begin?: BeginOutcome; pulls?: Array<StepOutcome | Error>; deletions?: StepOutcome; push?: StepOutcome }) {
  const calls: string[] = [];
  const finished: Array<{ status: string; error?: string | null }> = [];
  const begins: string[] = [];
  const pulls = [...(opts.pulls ?? [step('done')])];
  const activities: Partial<CrmSyncActivities> = {
    async beginCrmSync(input) {
      calls.push('begin');
      begins.push(input.runKey);
      return opts.begin ?? { state: 'ready', runRowId: 'row-1', full: true };
    },
    async pullCrmPages(input) {
      expect(input.runRowId).toBe('row-1');
      const next = pulls.shift() ?? step('done');
      calls.push(`pull:${next instanceof Error ? 'error' : next.state}`);
      if (next instanceof Error) throw next;
      return next;
    },
    async syncCrmDeletions() {
      calls.push('deletions');
      return opts.deletions ?? step('done');
    },
    async pushCrmChanges() {
      calls.push('push');
      return opts.push ?? step('done');
    },
    async finishCrmSync(input) {
      calls.push(`finish:${input.status}`);
      finished.push({ status: input.status, error: input.error });
    },
  };
  const workflowId = `crm-sync-unit-${randomUUID()}`;
  const outcome = await env.withWorker(activities as CrmSyncActivities, async (taskQueue) => {
    const handle = await env.client.workflow.start('syncCrmWorkflow', { taskQueue, workflowId, args: [{ tenantId: randomUUID(), integrationId: randomUUID(), dataType: 'contacts', trigger: 'manual' }] });
    return handle.result().then(
      (r) => r as CrmSyncProgress,
      (err: unknown) => err as Error,
    );
  });
  return { calls, finished, begins, outcome };
}

describe('syncCrmWorkflow', () => {
  it('pulls, mirrors deletions, pushes and closes the run, reporting the run’s counts as each step left them', async () => {
    const pulled = { fetched: 10, created: 4, updated: 3, conflicts: 1 };
    const { calls, finished, outcome } = await run({
      pulls: [step('done', pulled)],
      deletions: step('done', { ...pulled, archived: 2 }),
      push: step('done', { ...pulled, archived: 2, pushed: 5, errors: 1 }),
    });
    expect(calls).toEqual(['begin', 'pull:done', 'deletions', 'push', 'finish:completed']);
    expect(finished).toEqual([{ status: 'completed', error: undefined }]);
    expect(outcome).toMatchObject({ state: 'completed', sync_run_id: 'row-1', fetched: 10, created: 4, updated: 3, archived: 2, pushed: 5, conflicts: 1, errors: 1 });
  });

  it('continues as new in a long pull, keeping its run row and its counts, and begins only once', async () => {
    const pulls = [...Array.from({ length: 25 }, (_, i) => step('more', { fetched: 2000 * (i + 1), created: 2000 * (i + 1) })), step('done', { fetched: 50_007, created: 50_007 })];
    const { calls, finished, begins, outcome } = await run({ pulls, deletions: step('done', { fetched: 50_007, created: 50_007 }), push: step('done', { fetched: 50_007, created: 50_007 }) });
    expect(begins).toHaveLength(1);
    expect(calls.filter((c) => c.startsWith('pull'))).toHaveLength(26);
    expect(finished).toEqual([{ status: 'completed', error: undefined }]);
    expect(outcome).toMatchObject({ state: 'completed', fetched: 50_007, created: 50_007 });
  });

  it('ends as skipped, touching nothing, when another run holds the data type', async () => {
    const { calls, outcome } = await run({ begin: { state: 'busy', heldBy: 'crm-sync-x-contacts-2026-12-04T06:00:00Z' } });
    expect(calls).toEqual(['begin']);
    expect(outcome).toMatchObject({ state: 'skipped', error: expect.stringContaining('crm-sync-x-contacts') });
  });

  it('fails, recording why, when the provider refuses the credentials', async () => {
    const { calls, finished, outcome } = await run({ pulls: [step('more', { fetched: 5 }), { state: 'stopped', reason: 'needs_reauth: INVALID_SESSION_ID' }] });
    expect(calls).toEqual(['begin', 'pull:more', 'pull:stopped', 'finish:failed']);
    expect(finished[0]).toEqual({ status: 'failed', error: 'needs_reauth: INVALID_SESSION_ID' });
    expect(outcome).toBeInstanceOf(WorkflowFailedError);
  });

  it('records a provider failure that outlasted its retries', async () => {
    const { calls, finished } = await run({ pulls: [ApplicationFailure.nonRetryable('Salesforce: MALFORMED_QUERY', 'ProviderRejected')] });
    expect(calls).toEqual(['begin', 'pull:error', 'finish:failed']);
    expect(finished[0].error).toContain('MALFORMED_QUERY');
  });
});
