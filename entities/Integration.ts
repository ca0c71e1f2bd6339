import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { emptyCounts, type SyncCounts } from '../lib/crm/syncCounts.ts';

export const INTEGRATION_TYPES = ['salesforce', 'hubspot'] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];
export const INTEGRATION_STATUSES = ['active', 'needs_reauth', 'disabled'] as const;
export type IntegrationStatus = (typeof INTEGRATION_STATUSES)[number];

/**
 * A tenant's connection to a CRM (seed 001's integration manager). The config's secret
 * fields (password, tokens) are sealed together (lib/crypto.ts) and never returned; the
 * rest is plain. Each data type it syncs has a sync state row and runs
 * `crm-sync-<id>-<data_type>` (workflows/syncCrm.ts), on demand and on a Temporal Schedule.
 */
export const IntegrationSchema = defineEntity({
  name: 'Integration',
  tableName: 'integrations',
  extends: TenantScopedSchema,
  indexes: [{ properties: ['tenant', 'type'] }],
  properties: {
    type: p.enum(INTEGRATION_TYPES),
    name: p.string().length(200),
    status: p.enum(INTEGRATION_STATUSES).default('active'),
    /** The config's fields that are not secret (username, domain, instance URL). */
    settings: p.json<Record<string, string>>().onCreate(() => ({})),
    /** The config's secret fields as one sealed JSON object. */
    secretsSealed: p.text(),
    /** Data types synced on the schedule. */
    dataTypes: p.array().default(['contacts']),
    /** Minutes between scheduled syncs; 0: on demand only. */
    syncIntervalMinutes: p.integer().default(60),
    /** Which side owns a field (our field names): its changes on the other side are overwritten. */
    fieldOwners: p.json<Record<string, 'local' | 'remote'>>().onCreate(() => ({})),
    /** Its Temporal Schedules still to be made to match it (lib/crmSchedules.ts; the outbox relay retries). */
    schedulePending: p.boolean().default(true),
    lastTestedAt: p.datetime().nullable(),
    lastError: p.string().length(500).nullable(),
    /** The provider's daily API allowance as last seen. */
    quotaRemaining: p.integer().nullable(),
    quotaLimit: p.integer().nullable(),
    quotaSeenAt: p.datetime().nullable(),
  },
});

export type Integration = InferEntity<typeof IntegrationSchema>;

/**
 * Where one data type's sync stands: the high-water mark of the last complete pull, the
 * last deletion check, and which run holds it (one at a time per integration and type).
 */
export const IntegrationSyncStateSchema = defineEntity({
  name: 'IntegrationSyncState',
  tableName: 'integration_sync_states',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['integration', 'dataType'] }],
  properties: {
    integration: () => p.manyToOne(IntegrationSchema).deleteRule('cascade'),
    dataType: p.string().length(30),
    /** The newest provider change a complete pull has seen; the next pull starts a little before it. */
    watermark: p.datetime().nullable(),
    /** Deletions are asked for from here on. */
    deletionsCheckedAt: p.datetime().nullable(),
    /** The run holding this sync, until `leaseUntil`. */
    leaseRun: p.string().length(300).nullable(),
    leaseUntil: p.datetime().nullable(),
  },
});

export type IntegrationSyncState = InferEntity<typeof IntegrationSyncStateSchema>;

export const SYNC_RUN_STATUSES = ['running', 'completed', 'failed', 'skipped'] as const;


/** One sync run of one data type: its counts, and where its pull stands (so a retry resumes there). */
export const IntegrationSyncRunSchema = defineEntity({
  name: 'IntegrationSyncRun',
  tableName: 'integration_sync_runs',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['runKey'] }],
  indexes: [{ properties: ['integration', 'dataType', 'createdAt'] }],
  properties: {
    integration: () => p.manyToOne(IntegrationSchema).deleteRule('cascade'),
    dataType: p.string().length(30),
    workflowId: p.string().length(300),
    /** The workflow's first run id: the same across continue-as-new, so a run row is made once. */
    runKey: p.string().length(100),
    trigger: p.string().length(20),
    status: p.enum(SYNC_RUN_STATUSES).default('running'),
    full: p.boolean().default(false),
    counts: p.json<SyncCounts>().onCreate(() => emptyCounts()),
    /** The pull's position (providers/crm/types.ts PullCursor), after its last committed page. */
    cursor: p.json<{ since: string | null; ts: string | null; id: string | null }>().nullable(),
    pullDone: p.boolean().default(false),
    /** Where a full reconcile's id listing stands. */
    reconcileAfter: p.string().length(64).nullable(),
    /** The newest provider change this run's pull has seen. */
    newestChange: p.datetime().nullable(),
    error: p.string().length(500).nullable(),
    finishedAt: p.datetime().nullable(),
  },
});

export type IntegrationSyncRun = InferEntity<typeof IntegrationSyncRunSchema>;

/**
 * One of our records and the provider's record it is synced with: the provider's id, the
 * values both sides last agreed on (the merge's base, in the provider's terms), and when
 * ours last matched it. Unique per provider id, so a sync never makes the same record twice.
 */
export const IntegrationRecordSchema = defineEntity({
  name: 'IntegrationRecord',
  tableName: 'integration_records',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['integration', 'dataType', 'remoteId'] }, { properties: ['integration', 'dataType', 'localId'] }],
  properties: {
    integration: () => p.manyToOne(IntegrationSchema).deleteRule('cascade'),
    dataType: p.string().length(30),
    remoteId: p.string().length(64),
    localId: p.uuid(),
    base: p.json<Record<string, string | number | boolean | null>>(),
    remoteModifiedAt: p.datetime().nullable(),
    /** Our record's updated_at when it last matched the provider: later changes are pushed. */
    localSyncedAt: p.datetime().nullable(),
    /** Deleted (or archived) at the provider; ours is archived too. */
    remoteArchivedAt: p.datetime().nullable(),
    /** A full reconcile's mark: records it did not see are gone at the provider. */
    seenAt: p.datetime().nullable(),
  },
});

export type IntegrationRecord = InferEntity<typeof IntegrationRecordSchema>;
