import { ActivityFailure, condition, continueAsNew, getExternalWorkflowHandle, log, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CalendarSyncActivities, PullOutcome, PushOutcome } from '../activities/calendarSync.ts';
import { presets } from './activityOptions.ts';
import { reminderChangedSignal, reminderWorkflowId } from './sendReminder.client.ts';
import { calendarSyncProgressQuery, disconnectSignal, syncNowSignal, type CalendarSyncInput, type CalendarSyncProgress } from './syncCalendar.client.ts';

const { pullCalendar, pushCalendar } = proxyActivities<CalendarSyncActivities>({ ...presets.providerCall, startToCloseTimeout: '30 minutes', heartbeatTimeout: '15 seconds' });
const { recordSyncPass, disconnectCalendar, restartReminders, forgetToldReminders, tellReminders } = proxyActivities<CalendarSyncActivities>(presets.database);

/** Passes per run before continuing as new (the history of one pass is a handful of events). */
const PASSES_PER_RUN = 200;

type Pulled = Extract<PullOutcome, { state: 'done' }>;
type Pushed = Extract<PushOutcome, { state: 'done' }>;

/** Pull (in full again after a stale token), then push: both done, stopped (grant revoked, disconnected), or failed after every retry. */
async function onePass(ref: { tenantId: string; connectionId: string; keepTold: boolean }, progress: CalendarSyncProgress): Promise<{ pulled: Pulled; pushed: Pushed } | { stopped: string } | { failed: string }> {
  try {
    let pulled = await pullCalendar(ref);
    if (pulled.state === 'reset') {
      progress.resets++;
      pulled = await pullCalendar(ref);
      // Stale again at once is Google's trouble, not a reason to stop syncing: the next pass
      // tries again (runs before the patch ended here, while the connection said active).
      if (pulled.state === 'reset' && patched('second-reset-retries')) return { failed: 'the sync token went stale twice in one pass' };
    }
    if (pulled.state !== 'done') return { stopped: pulled.state === 'stopped' ? pulled.status : 'reset' };
    progress.state = 'pushing';
    const pushed = await pushCalendar(ref);
    if (pushed.state !== 'done') return { stopped: pushed.status };
    return { pulled, pushed };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return { failed: err.cause?.message ?? err.message };
  }
}

/**
 * One calendar connection's sync (ID `calendar-sync-<connectionId>`), for as long as it
 * is connected: pull what changed at the provider (in full after a stale token), push
 * what changed here, tell reminders whose events moved or ended, then sleep until the
 * next pass or until asked (syncNow). A revoked grant stops it (the connection waits for
 * a person); disconnect revokes and ends it.
 */
export async function syncCalendarWorkflow(input: CalendarSyncInput): Promise<CalendarSyncProgress> {
  const ref = { tenantId: input.tenantId, connectionId: input.connectionId };
  const progress: CalendarSyncProgress = { passes: 0, pages: 0, created: 0, updated: 0, deleted: 0, pushed: 0, resets: 0, ...input.totals, state: 'pulling', last_pass_at: null, last_error: null };
  let asked = false;
  let disconnecting = false;
  setHandler(syncNowSignal, () => {
    asked = true;
  });
  setHandler(disconnectSignal, () => {
    disconnecting = true;
  });
  setHandler(calendarSyncProgressQuery, () => progress);

  for (let pass = 0; pass < PASSES_PER_RUN; pass++) {
    if (disconnecting) break;
    asked = false;
    progress.state = 'pulling';
    // The pull leaves the reminders to tell on the connection, and the run forgets them once
    // told: a pull whose answer was lost no longer loses them (runs before the patch did not).
    const keepTold = patched('forget-told-reminders');
    const result = await onePass({ ...ref, keepTold }, progress);
    if ('stopped' in result) {
      // Disconnected while the pass ran: the grant is revoked and the tokens forgotten all
      // the same (runs before the patch stopped here and kept them).
      if ((disconnecting || result.stopped === 'disconnected') && patched('disconnect-when-stopped')) await disconnectCalendar(ref);
      progress.state = 'stopped';
      return progress;
    }
    if ('failed' in result) {
      // The provider stayed down through every retry: try again on the next pass.
      progress.last_error = result.failed;
      log.warn('calendar sync pass failed; trying again next pass', { error: result.failed });
    } else {
      const { pulled, pushed } = result;
      progress.last_error = null;
      if (pulled.reminders.length && patched('tell-reminders-by-rows')) {
        // Signal-With-Start rows, as the API's changes: they reach a reminder still in its
        // start delay (a plain signal waits for its end) and restart one whose run ended.
        await tellReminders({ ...ref, reminderIds: pulled.reminders, forget: keepTold });
      } else {
        const unreached: string[] = [];
        for (const reminderId of pulled.reminders) {
          await getExternalWorkflowHandle(reminderWorkflowId(reminderId)).signal(reminderChangedSignal).catch(() => unreached.push(reminderId));
        }
        // No open run (ended from outside, say): a reminder still scheduled gets a new one,
        // as a change through the API does (runs before the patch left it without one).
        if (unreached.length && patched('restart-unreached-reminders')) await restartReminders({ ...ref, reminderIds: unreached });
        if (keepTold && pulled.reminders.length) await forgetToldReminders({ ...ref, reminderIds: pulled.reminders });
      }
      Object.assign(progress, {
        passes: progress.passes + 1,
        pages: progress.pages + pulled.pages,
        created: progress.created + pulled.created,
        updated: progress.updated + pulled.updated,
        deleted: progress.deleted + pulled.deleted + pushed.deleted,
        pushed: progress.pushed + pushed.pushed,
        last_pass_at: new Date().toISOString(),
      });
      if (pulled.created + pulled.updated + pulled.deleted + pushed.pushed + pushed.deleted > 0) {
        await recordSyncPass({ ...ref, created: pulled.created, updated: pulled.updated, deleted: pulled.deleted + pushed.deleted, pushed: pushed.pushed });
      }
    }
    progress.state = 'waiting';
    await condition(() => asked || disconnecting, input.intervalMs);
    if (workflowInfo().continueAsNewSuggested) break;
  }
  if (disconnecting) {
    await disconnectCalendar(ref);
    progress.state = 'stopped';
    return progress;
  }
  const { state: _s, last_pass_at: _l, last_error: _e, ...totals } = progress;
  return continueAsNew<typeof syncCalendarWorkflow>({ ...input, totals });
}
