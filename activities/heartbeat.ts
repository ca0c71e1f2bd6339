import { Context } from '@temporalio/activity';

/**
 * Heartbeats while a slow call is in flight, so a worker that dies mid-call is noticed
 * within the heartbeat timeout rather than the whole start-to-close timeout.
 */
export async function withHeartbeat<T>(work: (signal: AbortSignal) => Promise<T>, everyMs = 2_000): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    return await work(ctx.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}
