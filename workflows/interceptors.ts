import { defaultPayloadConverter, workflowInfo, type Payload, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** The header that carries the API request id from a workflow to its activities. */
export const REQUEST_ID_HEADER = 'requestId';

/** The id of the API request that started this run, kept in its memo by lib/workflowClient.ts. */
function requestId(): string | undefined {
  const value = workflowInfo().memo?.requestId;
  return typeof value === 'string' ? value : undefined;
}

/** The input with the starting request's id in its headers, when the run has one. */
function withRequestId<T extends { headers: Record<string, Payload> }>(input: T): T {
  const id = requestId();
  return id ? { ...input, headers: { ...input.headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(id) } } : input;
}

/**
 * Threads the starting request's id through a run: into every workflow log line and, as
 * a header, into every activity it schedules, local ones included (the reminder's fire
 * step, an automation's actions; workers/requestIdInterceptor.ts logs it), so one id
 * leads from the API's log line to each step's log lines. Plain functions, not async
 * ones: each promise made in a workflow has its stack captured for the stack-trace query.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity: (input, next) => next(withRequestId(input)),
      scheduleLocalActivity: (input, next) => next(withRequestId(input)),
      getLogAttributes(input, next) {
        const id = requestId();
        return next(id ? { ...input, requestId: id } : input);
      },
    },
  ],
});
