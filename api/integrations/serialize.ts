import type { Integration, IntegrationSyncRun } from '../../entities/Integration.ts';
import { typeInfo } from '../../lib/crm/integrationTypes.ts';

/** An integration as the API shows it: plain config, secret fields only named. */
export function integrationDto(i: Integration, secretNames: string[]) {
  return {
    id: i.id,
    type: i.type,
    category: typeInfo(i.type)?.category ?? 'crm',
    name: i.name,
    status: i.status,
    config: i.settings,
    secrets_set: secretNames,
    data_types: i.dataTypes,
    sync_interval_minutes: i.syncIntervalMinutes,
    field_owners: i.fieldOwners,
    last_tested_at: i.lastTestedAt?.toISOString() ?? null,
    last_error: i.lastError ?? null,
    quota: i.quotaRemaining === null || i.quotaRemaining === undefined ? null : { remaining: i.quotaRemaining, limit: i.quotaLimit ?? null, seen_at: i.quotaSeenAt?.toISOString() ?? null },
    created_at: i.createdAt.toISOString(),
    updated_at: i.updatedAt.toISOString(),
  };
}

export const syncRunDto = (r: IntegrationSyncRun) => ({
  id: r.id,
  data_type: r.dataType,
  status: r.status,
  trigger: r.trigger,
  full: r.full,
  counts: r.counts,
  error: r.error ?? null,
  workflow_id: r.workflowId,
  started_at: r.createdAt.toISOString(),
  finished_at: r.finishedAt?.toISOString() ?? null,
});
