import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { CRM_DATA_TYPES } from './crm/mappings.ts';
import { runTags } from './workflowClient.ts';
import { crmScheduleId, crmSyncKind, crmSyncWorkflowId, type CrmSyncInput } from '../workflows/syncCrm.client.ts';

/** An integration as its schedules depend on it; null when it was deleted. */
export interface ScheduledIntegration {
  id: string;
  tenantId: string;
  status: string;
  dataTypes: string[];
  syncIntervalMinutes: number;
}

/**
 * Makes an integration's Temporal Schedules match its row: one per data type it syncs
 * (every `sync_interval_minutes`, overlapping runs skipped), none for a type it no longer
 * syncs, a paused or deleted integration, or an interval of 0. Idempotent: the API calls it
 * after each change, and the outbox relay again for rows whose call did not get through.
 */
export async function reconcileCrmSchedules(client: Client, taskQueue: string, integrationId: string, row: ScheduledIntegration | null): Promise<void> {
  for (const dataType of CRM_DATA_TYPES) {
    const handle = client.schedule.getHandle(crmScheduleId(integrationId, dataType));
    const wanted = row && row.status === 'active' && row.syncIntervalMinutes > 0 && row.dataTypes.includes(dataType);
    if (!wanted) {
      await handle.delete().catch((err: unknown) => {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      });
      continue;
    }
    const every = row.syncIntervalMinutes * 60_000;
    const input: CrmSyncInput = { tenantId: row.tenantId, integrationId: row.id, dataType, trigger: 'schedule' };
    const action = {
      type: 'startWorkflow' as const,
      workflowType: crmSyncKind.workflowType,
      workflowId: crmSyncWorkflowId(row.id, dataType),
      taskQueue,
      args: [input],
      ...runTags({ tenantId: row.tenantId }, { type: crmSyncKind.entityType, id: row.id }),
    };
    try {
      await handle.update((previous) => ({ ...previous, spec: { intervals: [{ every }] }, action }));
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      await client.schedule.create({
        scheduleId: crmScheduleId(row.id, dataType),
        spec: { intervals: [{ every }] },
        action,
        // One run at a time; a run missed while Temporal was down is not made up in a burst.
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
        ...runTags({ tenantId: row.tenantId }, { type: crmSyncKind.entityType, id: row.id }),
      });
    }
  }
}
