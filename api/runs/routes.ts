import { defaultPayloadConverter, fromPayloadsAtIndex } from '@temporalio/common';
import { z } from 'zod';
import { conflict } from '../../lib/errors.ts';
import { paginate, paginationSchema } from '../pagination.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { runDetailSchema, runListQuery, runParams, runSchema } from './schema.ts';
import { describeOwnedRun, listRuns, runDto, runOutcome } from './temporalRuns.ts';


/** An activity's last heartbeat details, decoded (its first value), or null. */
function heartbeatOf(payloads: Parameters<typeof fromPayloadsAtIndex>[2] | null | undefined): unknown {
  if (!payloads?.length) return null;
  try {
    return fromPayloadsAtIndex(defaultPayloadConverter, 0, payloads) ?? null;
  } catch {
    return null;
  }
}
export const runRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/runs',
    tag: 'runs',
    summary: "List the tenant's workflow runs (filters: type, status, entity_id)",
    query: runListQuery,
    response: z.object({ data: z.array(runSchema), pagination: paginationSchema }),
    handler: async (ctx, { query, caller }) => {
      const filter = { tenantId: caller.tenantId, type: query.type, status: query.status, entityId: query.entity_id };
      const { rows, total } = await listRuns(ctx.deps.temporal, filter, query.page, query.per_page);
      return { data: rows, pagination: paginate(query.page, query.per_page, total) };
    },
  }),

  route({
    method: 'get',
    path: '/runs/:workflow_id',
    tag: 'runs',
    summary: 'One run: status, result or failure, progress and pending activities',
    params: runParams,
    response: dataSchema(runDetailSchema),
    handler: async (ctx, { params, caller }) => {
      const { description } = await describeOwnedRun(ctx.deps.temporal, caller.tenantId, params.workflow_id);
      const running = description.status.name === 'RUNNING';
      const outcome = await runOutcome(ctx.deps.temporal, description.workflowId, description.runId, running);
      const pending = (description.raw.pendingActivities ?? []).map((a) => ({
        activity_type: a.activityType?.name ?? 'unknown',
        state: String(a.state ?? 'unknown'),
        attempt: a.attempt ?? 1,
        last_failure: a.lastFailure?.message ?? null,
        heartbeat: heartbeatOf(a.heartbeatDetails?.payloads),
      }));
      return one({ ...runDto(description), ...outcome, pending_activities: pending });
    },
  }),

  route({
    method: 'post',
    path: '/runs/:workflow_id/cancel',
    tag: 'runs',
    summary: 'Ask a running workflow to cancel (it may clean up first)',
    roles: ['admin', 'manager'],
    params: runParams,
    status: 202,
    response: dataSchema(runSchema),
    handler: async (ctx, { params, caller }) => {
      const { handle, description } = await describeOwnedRun(ctx.deps.temporal, caller.tenantId, params.workflow_id);
      if (description.status.name !== 'RUNNING') throw conflict(`Run is already ${description.status.name.toLowerCase()}`);
      await handle.cancel();
      return one({ ...runDto(description), status: 'cancel_requested' });
    },
  }),
];
