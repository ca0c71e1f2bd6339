import { defaultPayloadConverter, workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** The header that carries the API request id from a workflow to its activities. */
export const REQUEST_ID_HEADER = 'requestId';

/** The id of the API request that started this run, kept in its memo by lib/workflowClient.ts. */
function requestId(): string | undefined {
  const value = workflowInfo().memo?.requestId;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Threads the starting request's id through a run: into every workflow log line and, as
 * a header, into every activity it schedules (workers/requestIdInterceptor.ts logs it),
 * so one id leads from the API's log line to each step's log lines.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      async scheduleActivity(input, next) {
        const id = requestId();
        if (!id) return next(input);
        return next({ ...input, headers: { ...input.headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(id) } });
      },
      getLogAttributes(input, next) {
        const id = requestId();
        return next(id ? { ...input, requestId: id } : input);
      },
    },
  ],
});
