import type { Logger } from '../lib/logger.ts';
import type { MikroORM } from '../lib/db.ts';

export interface StartMarks {
  /** Records that the fast path started this row's workflow; written shortly, with others. */
  mark(rowId: string, runId: string | null): void;
  /** Waits until every mark made so far is written (shutdown). */
  drain(): Promise<void>;
}

/**
 * The fast path's "started" marks, one UPDATE for all the starts made while the previous
 * one ran instead of one round trip per request (bench:reminders). The request does not
 * wait for it: a mark is only there to keep the relay from starting the row again, and a
 * mark lost with the process costs one more start of a workflow ID that is already open,
 * which Temporal answers with the open run (lib/workflowClient.ts), long after the
 * relay's grace period (OUTBOX_START_GRACE_MS) that every mark lands within.
 */
export function createStartMarks(orm: MikroORM, log: Logger): StartMarks {
  let pending: Array<{ id: string; run_id: string | null }> = [];
  let running: Promise<void> | null = null;

  async function writeAll(): Promise<void> {
    while (pending.length) {
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
  }

  return {
    mark(rowId, runId) {
      pending.push({ id: rowId, run_id: runId });
      running ??= writeAll().finally(() => {
        running = null;
      });
    },
    async drain() {
      while (running) await running;
    },
  };
}
