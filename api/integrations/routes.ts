import { z } from 'zod';
import { IntegrationSchema, IntegrationSyncRunSchema, IntegrationSyncStateSchema, type Integration } from '../../entities/Integration.ts';
import { queueWorkflowStart } from '../../entities/WorkflowStart.ts';
import { INTEGRATION_CATALOGUE, splitConfig, typeInfo } from '../../lib/crm/integrationTypes.ts';
import { dataTypesOf, ownableFields, supportsDataType, type CrmDataType } from '../../lib/crm/mappings.ts';
import { reconcileCrmSchedules } from '../../lib/crmSchedules.ts';
import { conflict, notFound, validationError, type FieldIssue } from '../../lib/errors.ts';
import { crmClientFor, openConfig } from '../../providers/crm/index.ts';
import { ProviderError } from '../../providers/errors.ts';
import { crmSyncStartRequest } from '../../workflows/syncCrm.client.ts';
import type { AppContext } from '../context.ts';
import { paginationSchema, wholeList } from '../pagination.ts';
import { afterCommit, dataSchema, one, route, type RouteDef } from '../routing.ts';
import { startOrDefer } from '../startWork.ts';
import {
  integrationBody,
  integrationListQuery,
  integrationParams,
  integrationSchema,
  integrationTypeSchema,
  integrationUpdateBody,
  syncParams,
  syncStartSchema,
  syncStatusSchema,
  testResultSchema,
} from './schema.ts';
import { integrationDto, syncRunDto } from './serialize.ts';

const MANAGERS = ['admin', 'manager'] as const;
/** How long a credentials test may take before it is reported as unreachable. */
const TEST_TIMEOUT_MS = 15_000;
/** How long a change waits for Temporal to take its schedules before leaving them to the outbox relay. */
const SCHEDULE_DEADLINE_MS = 3_000;

async function findIntegration(ctx: AppContext, id: string): Promise<Integration> {
  const i = await ctx.state.em.findOne(IntegrationSchema, id);
  if (!i) throw notFound('Integration');
  return i;
}

const secretNames = (ctx: AppContext, i: Integration) => Object.keys(JSON.parse(ctx.deps.secrets.open(i.secretsSealed)) as object).sort();
const dto = (ctx: AppContext, i: Integration) => integrationDto(i, secretNames(ctx, i));

function configOrThrow(type: string, config: Record<string, string | null>, previous?: Record<string, string>) {
  const info = typeInfo(type);
  if (!info) throw validationError('Invalid body', [{ field: 'body.type', message: `must be one of ${INTEGRATION_CATALOGUE.map((t) => t.type).join(', ')}` }]);
  if (!info.available) throw validationError('Invalid body', [{ field: 'body.type', message: `${info.name} integrations are not available yet` }]);
  const split = splitConfig(info, config, previous);
  if ('problems' in split) throw validationError('Invalid config', split.problems.map((p) => ({ field: `body.${p.field}`, message: p.message })));
  return split;
}

/** Data types the provider syncs; field owners naming fields they map (GET /integrations/types lists both). */
function checkOwners(type: Integration['type'], dataTypes: string[], owners: Record<string, string>): void {
  const unsupported = dataTypes.filter((d) => !supportsDataType(type, d as CrmDataType));
  if (unsupported.length) throw validationError('Invalid data types', [{ field: 'body.data_types', message: `${type} syncs ${dataTypesOf(type).join(', ')}` }]);
  const allowed = new Set(dataTypes.flatMap((d) => ownableFields(type, d as CrmDataType)));
  const issues: FieldIssue[] = Object.keys(owners)
    .filter((f) => !allowed.has(f))
    .map((f) => ({ field: `body.field_owners.${f}`, message: `is not a synced field (${[...allowed].join(', ')})` }));
  if (issues.length) throw validationError('Invalid field owners', issues);
}

/**
 * Brings the integration's Temporal Schedules in line after a committed change. Temporal
 * out of reach: the row keeps `schedule_pending` and the outbox relay does it later.
 */
async function syncSchedules(ctx: AppContext, integrationId: string, i: Integration | null): Promise<void> {
  const row = i && { id: i.id, tenantId: i.tenant.id, status: i.status, dataTypes: i.dataTypes, syncIntervalMinutes: i.syncIntervalMinutes };
  try {
    await ctx.deps.temporal.connection.withDeadline(Date.now() + SCHEDULE_DEADLINE_MS, () => reconcileCrmSchedules(ctx.deps.temporal, ctx.deps.config.temporal.taskQueue, integrationId, row));
    if (i) await ctx.state.em.nativeUpdate(IntegrationSchema, { id: i.id }, { schedulePending: false });
  } catch (err) {
    ctx.state.log.warn({ integrationId, err: err instanceof Error ? err.message : String(err) }, 'integration schedules left to the outbox relay');
  }
}

/** Commits a created or changed integration, brings its Schedules in line, and answers it. */
async function saved(ctx: AppContext, i: Integration) {
  await ctx.state.em.flush();
  await afterCommit(ctx, () => syncSchedules(ctx, i.id, i));
  return one(dto(ctx, i));
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProviderError('crm', 'timeout', `no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Seed 001's integration manager: CRM connections, their credentials checked, and their syncs. */
export const integrationRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/integrations/types',
    tag: 'integrations',
    summary: 'Integration types: each with its config fields (which are secret), data types and the fields `field_owners` may name; SAP is listed, not available yet',
    response: z.object({ data: z.array(integrationTypeSchema), pagination: paginationSchema }),
    handler: async () => wholeList(INTEGRATION_CATALOGUE.map((t) => ({ ...t, data_types: [...t.data_types] }))),
  }),
  route({
    method: 'get',
    path: '/integrations',
    tag: 'integrations',
    summary: 'List integrations (filter `type`: a provider such as salesforce, or a category: crm, erp)',
    query: integrationListQuery,
    response: z.object({ data: z.array(integrationSchema), pagination: paginationSchema }),
    handler: async (ctx, { query }) => {
      const types = query.type ? INTEGRATION_CATALOGUE.filter((t) => t.type === query.type || t.category === query.type).map((t) => t.type) : null;
      const rows = await ctx.state.em.find(IntegrationSchema, types ? { type: { $in: types as Integration['type'][] } } : {}, { orderBy: { createdAt: 'asc' } });
      return wholeList(rows.map((i) => dto(ctx, i)));
    },
  }),
  route({
    method: 'post',
    answerWithWork: true,
    path: '/integrations',
    tag: 'integrations',
    roles: [...MANAGERS],
    summary:
      'Add an integration (seed 001): `{type, config}`. Salesforce: `username` + `password` (+ `security_token`, `domain`) or `instance_url` + `access_token` (+ `refresh_token`); HubSpot: a private app `access_token`. Secrets are sealed and never returned. Each data type syncs on a Temporal Schedule every `sync_interval_minutes` (60; 0: on demand only)',
    body: integrationBody,
    status: 201,
    response: dataSchema(integrationSchema),
    handler: async (ctx, { body, caller }) => {
      const { settings, secrets } = configOrThrow(body.type, body.config);
      const type = body.type as Integration['type'];
      const dataTypes = body.data_types ?? ['contacts'];
      checkOwners(type, dataTypes, body.field_owners ?? {});
      const i = ctx.state.em.create(IntegrationSchema, {
        tenant: caller.tenantId,
        type,
        name: body.name ?? typeInfo(type)?.name ?? type,
        settings,
        secretsSealed: ctx.deps.secrets.seal(JSON.stringify(secrets)),
        dataTypes,
        syncIntervalMinutes: body.sync_interval_minutes ?? 60,
        fieldOwners: body.field_owners ?? {},
      });
      return saved(ctx, i);
    },
  }),
  route({
    method: 'get',
    path: '/integrations/:id',
    tag: 'integrations',
    summary: 'Get an integration (its secrets named, never shown)',
    params: integrationParams,
    response: dataSchema(integrationSchema),
    handler: async (ctx, { params }) => one(dto(ctx, await findIntegration(ctx, params.id))),
  }),
  route({
    method: 'patch',
    path: '/integrations/:id',
    tag: 'integrations',
    roles: [...MANAGERS],
    summary: 'Change an integration: config fields given replace the stored ones (null removes one; new credentials make a needs_reauth integration active again), data types, interval, field owners, status (active or disabled)',
    params: integrationParams,
    body: integrationUpdateBody,
    response: dataSchema(integrationSchema),
    handler: async (ctx, { params, body }) => {
      const i = await findIntegration(ctx, params.id);
      if (body.config) {
        const { settings, secrets } = configOrThrow(i.type, body.config, openConfig(ctx.deps.secrets, i));
        Object.assign(i, { settings, secretsSealed: ctx.deps.secrets.seal(JSON.stringify(secrets)), lastError: null });
        if (i.status === 'needs_reauth') i.status = 'active';
      }
      const dataTypes = body.data_types ?? i.dataTypes;
      checkOwners(i.type, dataTypes, body.field_owners ?? i.fieldOwners);
      if (body.name !== undefined) i.name = body.name;
      if (body.data_types) i.dataTypes = body.data_types;
      if (body.sync_interval_minutes !== undefined) i.syncIntervalMinutes = body.sync_interval_minutes;
      if (body.field_owners) i.fieldOwners = body.field_owners;
      if (body.status) i.status = body.status;
      i.schedulePending = true;
      return saved(ctx, i);
    },
  }),
  route({
    method: 'delete',
    path: '/integrations/:id',
    tag: 'integrations',
    roles: [...MANAGERS],
    summary: 'Remove an integration, its schedules and its sync state; the records it synced stay',
    params: integrationParams,
    status: 204,
    handler: async (ctx, { params }) => {
      const i = await findIntegration(ctx, params.id);
      await ctx.state.em.remove(i).flush();
      await syncSchedules(ctx, params.id, null);
      return null;
    },
  }),
  route({
    method: 'post',
    path: '/integrations/:id/test',
    tag: 'integrations',
    roles: [...MANAGERS],
    summary: 'Check the credentials for real (a login and an authenticated read): `success`, or what failed. Refused credentials mark the integration `needs_reauth`; accepted ones make it active again',
    params: integrationParams,
    response: dataSchema(testResultSchema),
    handler: async (ctx, { params }) => {
      const i = await findIntegration(ctx, params.id);
      const client = await crmClientFor(ctx.deps.config.crm, ctx.deps.secrets, i);
      const wasActive = i.status;
      try {
        const { account } = await withTimeout(client.test(), TEST_TIMEOUT_MS);
        const quota = await withTimeout(client.quota(), TEST_TIMEOUT_MS).catch(() => null);
        Object.assign(i, { lastTestedAt: new Date(), lastError: null, ...(i.status === 'needs_reauth' ? { status: 'active', schedulePending: true } : {}) });
        if (quota) Object.assign(i, { quotaRemaining: quota.remaining, quotaLimit: quota.limit, quotaSeenAt: new Date() });
        await ctx.state.em.flush();
        if (wasActive !== i.status) await syncSchedules(ctx, i.id, i);
        return one({ success: true, message: `Connected to ${typeInfo(i.type)?.name ?? i.type} (${account})`, account, error_code: null, status: i.status });
      } catch (err) {
        const e = err instanceof ProviderError ? err : new ProviderError(i.type, 'unavailable', err instanceof Error ? err.message : String(err));
        Object.assign(i, { lastTestedAt: new Date(), lastError: e.message.slice(0, 500), ...(e.kind === 'auth' && i.status === 'active' ? { status: 'needs_reauth' } : {}) });
        await ctx.state.em.flush();
        const what = e.kind === 'auth' ? 'The credentials were refused' : e.kind === 'rate_limited' ? 'The provider is rate limiting this account' : 'The provider could not be reached';
        return one({ success: false, message: `${what}: ${e.message}`, account: null, error_code: e.code ?? e.kind, status: i.status });
      }
    },
  }),
  route({
    method: 'post',
    path: '/integrations/:id/sync/:data_type',
    tag: 'integrations',
    roles: [...MANAGERS],
    summary:
      'Start a sync of one data type now (`contacts`, `leads`; Salesforce also `activities`: lead timeline notes as Tasks, after the leads are synced): the run `crm-sync-<id>-<data_type>` (the one already running, if any). Incremental from the stored cursor; the first is a full sync. Progress via `/runs/{id}` and `GET` on this path',
    params: syncParams,
    status: 202,
    response: dataSchema(syncStartSchema),
    handler: async (ctx, { params, caller }) => {
      const i = await findIntegration(ctx, params.id);
      if (!supportsDataType(i.type, params.data_type)) throw validationError('Invalid path', [{ field: 'params.data_type', message: `${i.type} syncs ${dataTypesOf(i.type).join(', ')}` }]);
      if (i.status !== 'active') throw conflict(i.status === 'needs_reauth' ? 'The integration needs new credentials (PATCH its config, then POST /test)' : 'The integration is disabled');
      const start = queueWorkflowStart(ctx.state.em, crmSyncStartRequest({ tenantId: caller.tenantId, integrationId: i.id, dataType: params.data_type, trigger: 'manual' }, { requestId: ctx.state.requestId }));
      await ctx.state.em.flush();
      const run = await startOrDefer(ctx, start);
      return one({ integration_id: i.id, data_type: params.data_type, run });
    },
  }),
  route({
    method: 'get',
    path: '/integrations/:id/sync/:data_type',
    tag: 'integrations',
    summary: 'A data type’s sync: its high-water mark and its last 20 runs with their counts (fetched, created, updated, archived, pushed, conflicts, errors)',
    params: syncParams,
    response: dataSchema(syncStatusSchema),
    handler: async (ctx, { params }) => {
      const i = await findIntegration(ctx, params.id);
      const state = await ctx.state.em.findOne(IntegrationSyncStateSchema, { integration: i.id, dataType: params.data_type });
      const runs = await ctx.state.em.find(IntegrationSyncRunSchema, { integration: i.id, dataType: params.data_type }, { orderBy: { createdAt: 'desc' }, limit: 20 });
      return one({
        integration_id: i.id,
        data_type: params.data_type,
        watermark: state?.watermark?.toISOString() ?? null,
        running: runs.some((r) => r.status === 'running'),
        runs: runs.map(syncRunDto),
      });
    },
  }),
];
