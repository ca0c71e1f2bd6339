import { ActivityFailure, ApplicationFailure, continueAsNew, proxyActivities, setHandler } from '@temporalio/workflow';
import type { LeadImportActivities } from '../activities/leadImport.ts';
import { presets } from './activityOptions.ts';
import { leadImportProgressQuery, type LeadImportInput, type LeadImportProgress } from './importLeads.client.ts';

// Each call reads and writes a few thousand rows, heartbeating after every batch: a dead
// worker is noticed in 15 s and the retry resumes at the last committed batch.
const { importLeadRows } = proxyActivities<LeadImportActivities>({ ...presets.database, startToCloseTimeout: '15 minutes', heartbeatTimeout: '15 seconds' });
const { failLeadImport } = proxyActivities<LeadImportActivities>(presets.database);

/** Activity calls per run before continuing as new (each is two events in the history). */
const CALLS_PER_RUN = 500;

/**
 * One CSV import (ID `lead-import-<importId>`): the file is already stored with the import
 * row; each activity call takes the next rows from the committed offset until the end.
 * A file that cannot be read stops it with the reason; the progress query answers `/runs`.
 */
export async function importLeadsWorkflow(input: LeadImportInput): Promise<LeadImportProgress> {
  const ref = { tenantId: input.tenantId, importId: input.importId };
  const progress: LeadImportProgress = { state: 'importing', rows_done: 0, created: 0, updated: 0, rejected: 0, byte_offset: 0, error: null };
  setHandler(leadImportProgressQuery, () => progress);
  for (let call = 0; call < CALLS_PER_RUN; call++) {
    try {
      const { done, ...counts } = await importLeadRows(ref);
      Object.assign(progress, counts);
      if (done) {
        progress.state = 'completed';
        return progress;
      }
    } catch (err) {
      if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) throw err;
      progress.state = 'failed';
      progress.error = err.cause.message;
      await failLeadImport(ref, err.cause.message);
      return progress;
    }
  }
  return continueAsNew<typeof importLeadsWorkflow>(input);
}
