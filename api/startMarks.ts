import type { Logger } from '../lib/logger.ts';
import type { MikroORM } from '../lib/db.ts';

export interface StartMarks {
  /** Records that the fast path started this row's workflow; written shortly, with others. */
  mark(rowId: string, runId: string | null): void;
  /** Waits until every mark made so far is written (shutdown). */
  drain(): Promise<void>;
}

/** How long a mark waits for others to share its UPDATE: far inside the relay's grace period (seconds). */
const LINGER_MS = 100;

/**
 * The fast path's "started" marks, one UPDATE for all the starts made within LINGER_MS
 * instead of one round trip and one commit (a WAL flush) per request (bench:reminders:
 * written as soon as the previous one was, batches held two rows). The request does not
 * wait for it: a mark is only there to keep the relay from starting the row again, and a
 * mark lost with the process costs one more start of a workflow ID that is already open,
 * which Temporal answers with the open run (lib/workflowClient.ts), long after the
 * relay's grace period (OUTBOX_START_GRACE_MS) that every mark lands within.
 */
export function createStartMarks(orm: MikroORM, log: Logger): StartMarks {
  let pending: Array<{ id: string; run_id: string | null }> = [];
  let running: Promise<void> | null = null;

  async function writeBatch(): Promise<void> {
    const batch = pending;
    pending = [];
    try {
      await orm.em.getConnection().execute(
        `update workflow_starts s set started_at = now(), run_id = v.run_id, updated_at = now()
         from jsonb_to_recordset(?::jsonb) as v(id uuid, run_id text)
         where s.id = v.id and s.started_at is null`,
        [JSON.stringify(batch)],
      );
    } catch (err) {
      // The relay starts these rows again after its grace period: the same open runs.
      log.warn({ rows: batch.length, err: err instanceof Error ? err.message : String(err) }, 'could not mark started workflows; the relay will check them');
    }
  }

  /** One batch after the linger; marks made while it is written wait for the next. */
  function schedule() {
    running ??= new Promise((resolve) => setTimeout(resolve, LINGER_MS).unref())
      .then(writeBatch)
      .finally(() => {
        running = null;
        if (pending.length) schedule();
      });
  }

  return {
    mark(rowId, runId) {
      pending.push({ id: rowId, run_id: runId });
      schedule();
    },
    async drain() {
      while (running) await running;
    },
  };
}
