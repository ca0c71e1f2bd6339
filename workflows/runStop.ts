import { CancellationScope, isCancellation, patched, TemporalFailure } from '@temporalio/workflow';

/** How a run stopped short: cancelled, or a step that failed for good (its innermost cause's words). */
export type RunStop = { cancelled: true } | { cancelled: false; cause: string };

/** A failed step's innermost cause, in its words: the provider's own error rather than "activity failed". */
function innermostMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Rethrows what stopped a run before its work ended, after `record` (outside the
 * cancellation) has written so on the row the run works on, instead of leaving it half-way
 * for ever. Only a cancellation or a step that failed for good (a local step's failure
 * arrives unwrapped, not as an ActivityFailure); anything else (continue-as-new) passes
 * untouched. Gated on `patch`: runs that began before end as they did.
 */
export async function recordStop(err: unknown, patch: string, record: (stop: RunStop) => Promise<void>): Promise<never> {
  if ((isCancellation(err) || err instanceof TemporalFailure) && patched(patch)) {
    const stop: RunStop = isCancellation(err) ? { cancelled: true } : { cancelled: false, cause: innermostMessage(err) };
    await CancellationScope.nonCancellable(() => record(stop));
  }
  throw err;
}
