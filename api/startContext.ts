import type { StartContext } from '../lib/workflowClient.ts';
import type { AppContext } from './context.ts';

/** What a route needs to start a workflow for a tenant; the request id travels on as a search attribute. */
export function startContext(ctx: AppContext, tenantId: string): StartContext {
  return {
    client: ctx.deps.temporal,
    taskQueue: ctx.deps.config.temporal.taskQueue,
    tenantId,
    requestId: ctx.state.requestId,
  };
}
