import { WorkflowFailedError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { EntityIdKey, EntityTypeKey, RequestIdKey, TenantIdKey } from '../../lib/searchAttributes.ts';
import { notFound } from '../../lib/errors.ts';
import { RUN_STATUSES, RUN_TYPES } from './schema.ts';

export interface RunFilter {
  tenantId: string;
  type?: string;
  status?: keyof typeof RUN_STATUSES;
  entityId?: string;
}

/** A visibility query that always pins the tenant; filter values were restricted by the schema. */
export function visibilityQuery(f: RunFilter): string {
  const clauses = [`TenantId = '${f.tenantId}'`];
  if (f.type) clauses.push(`WorkflowType = '${RUN_TYPES[f.type] ?? f.type}'`);
  if (f.status) clauses.push(`ExecutionStatus = '${RUN_STATUSES[f.status]}'`);
  if (f.entityId) clauses.push(`EntityId = '${f.entityId}'`);
  return clauses.join(' AND ');
}

export function runDto(info: Omit<WorkflowExecutionInfo, 'raw'>) {
  const sa = info.typedSearchAttributes;
  return {
    workflow_id: info.workflowId,
    run_id: info.runId,
    type: info.type,
    status: info.status.name.toLowerCase(),
    task_queue: info.taskQueue,
    started_at: info.startTime.toISOString(),
    closed_at: info.closeTime?.toISOString() ?? null,
    history_length: info.historyLength,
    entity: { type: sa.get(EntityTypeKey) ?? null, id: sa.get(EntityIdKey) ?? null },
    request_id: sa.get(RequestIdKey) ?? null,
  };
}

export async function listRuns(client: Client, filter: RunFilter, page: number, perPage: number) {
  const query = visibilityQuery(filter);
  const { count } = await client.workflow.count(query);
  const rows: ReturnType<typeof runDto>[] = [];
  const skip = (page - 1) * perPage;
  if (skip < count) {
    let index = 0;
    for await (const info of client.workflow.list({ query, pageSize: perPage })) {
      if (index++ < skip) continue;
      rows.push(runDto(info));
      if (rows.length === perPage) break;
    }
  }
  return { rows, total: count };
}

/** The run, if it belongs to the tenant; another tenant's run is a plain 404 that confirms nothing. */
export async function describeOwnedRun(client: Client, tenantId: string, workflowId: string) {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe().catch((err: unknown) => {
    if (err instanceof Error && err.name === 'WorkflowNotFoundError') throw notFound('Run');
    throw err;
  });
  if (description.typedSearchAttributes.get(TenantIdKey) !== tenantId) throw notFound('Run');
  return { handle, description };
}

const QUERY_TIMEOUT_MS = 2_000;

/** Result or failure of a closed run, progress of an open one (its `progress` query, when it has one). */
export async function runOutcome(client: Client, workflowId: string, runId: string, running: boolean) {
  const handle = client.workflow.getHandle(workflowId, runId);
  if (running) {
    // A deadline on the call itself: a run whose worker is gone cannot answer, and a
    // query left retrying in the background would outlive the request.
    const progress = await client.connection
      .withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query<unknown>('progress'))
      .catch(() => null);
    return { result: null, failure: null, progress };
  }
  try {
    return { result: (await handle.result()) ?? null, failure: null, progress: null };
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? (err.cause ?? err) : err;
    const message = cause instanceof Error ? cause.message : String(cause);
    const type = (cause as { type?: string } | undefined)?.type ?? (cause instanceof Error ? cause.name : null);
    return { result: null, failure: { message, type }, progress: null };
  }
}
