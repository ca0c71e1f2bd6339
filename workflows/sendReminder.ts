import { CancellationScope, continueAsNew, patched, proxyActivities, proxyLocalActivities, setHandler, sleep } from '@temporalio/workflow';
import type { FireOutcome, ReminderActivities, ReminderPlan, ReminderStatus } from '../activities/reminders.ts';
import { presets } from './activityOptions.ts';
import { recordStop } from './runStop.ts';
import { ARM_BEFORE_MS, ARMED_HEARTBEAT_EVERY_MS, reminderChangedSignal } from './sendReminder.client.ts';

export interface ReminderInput {
  tenantId: string;
  reminderId: string;
  /** The send step's start-to-close (the provider's timeout plus bookkeeping). */
  sendTimeoutMs?: number;
  /**
   * `sendTimeoutMs` outlasts a retried attempt's two provider calls (lib/smsDelivery.ts
   * sendStepTimeoutMs). Runs started before said nothing: theirs was one call plus 10 s.
   */
  sendTimeoutCoversRetry?: true;
  /** The first plan, as the API computed it when it stored the reminder (saves an activity per new reminder). */
  plan?: { dueAt: string; version: number };
  /**
   * `local`: this run was started since the fire step became a local activity, so it needs
   * no `local-fire` patch marker, nor the TemporalChangeVersion search-attribute upsert
   * that comes with one, at every fire. Runs started before say nothing and ask the patch.
   * `armed`: this run arms its fire step as an activity `ARM_BEFORE_MS` ahead of each send
   * (see `armedFire`); runs that say `local` keep their local fire step on replay.
   */
  fire?: 'local' | 'armed';
}

/**
 * One reminder (ID `reminder-<id>`), however far ahead: asks the database when it is due,
 * sleeps durably until shortly before, arms its fire step to send at the due time, and wakes
 * early when told it changed (PUT, cancel, its event moved) to plan again in the same run.
 * Right before sending, the fire step checks again (quiet hours may defer it). A recurring
 * reminder continues as new after each occurrence, so its history stays small however long
 * it repeats.
 */
export async function sendReminderWorkflow(input: ReminderInput): Promise<ReminderStatus> {
  try {
    return await remind(input);
  } catch (err) {
    // Stopped before the reminder ended (cancelled through /runs, or a step's retries ran out
    // in an outage): the reminder says so instead of `scheduled` for ever.
    return recordStop(err, 'close-reminder-on-stop', (stop) => {
      const { closeReminder } = proxyActivities<Pick<ReminderActivities, 'closeReminder'>>(presets.database);
      const ending = stop.cancelled ? { status: 'cancelled' as const, reason: 'its run was cancelled' } : { status: 'failed' as const, reason: `gave up: ${stop.cause}` };
      return closeReminder({ tenantId: input.tenantId, reminderId: input.reminderId, ...ending });
    });
  }
}

/** The send step's timeout: a run started before it covered a retry's two provider calls (T + 10 s) gets 2T + 10 s, and passes it on. */
function sendTimeoutOf(input: ReminderInput): number | undefined {
  return input.sendTimeoutMs && !input.sendTimeoutCoversRetry ? 2 * input.sendTimeoutMs - 10_000 : input.sendTimeoutMs;
}

async function remind(input: ReminderInput): Promise<ReminderStatus> {
  const sendTimeoutMs = sendTimeoutOf(input);
  const { planReminder, fireReminder } = proxyActivities<ReminderActivities>({
    ...presets.providerCall,
    ...(sendTimeoutMs ? { startToCloseTimeout: sendTimeoutMs } : {}),
  });
  // The fire step runs as a local activity (in the worker that wakes the reminder: no task
  // queue round trip when many fall due at once); runs that began before replay their
  // history's remote one (patch local-fire, asked only by runs whose input does not say).
  const local = proxyLocalActivities<ReminderActivities>({
    startToCloseTimeout: sendTimeoutMs ?? '2 minutes',
    retry: presets.providerCall.retry,
    localRetryThreshold: '10 seconds',
  });
  let changed = false;
  let wake: (() => void) | undefined;
  setHandler(reminderChangedSignal, () => {
    changed = true;
    wake?.();
  });
  /** `work`'s value, or undefined as soon as a change is signalled (whichever comes first). */
  async function unlessChanged<T>(work: Promise<T>): Promise<T | undefined> {
    const woken = new Promise<undefined>((resolve) => {
      wake = () => resolve(undefined);
    });
    try {
      return await Promise.race([work, woken]);
    } finally {
      wake = undefined;
    }
  }
  /**
   * Sleeps `ms`, or until a change is signalled (`changed` says which). `condition(() =>
   * changed, ms)` did the same, but it cancels its scope however it ends: every reminder
   * that simply fell due paid for a CancelledFailure (its stack captured and source-mapped
   * by the SDK) and a condition checked after each activation. Here only a change cancels
   * the timer, with the same CancelTimer command as before (replay suite: reminder-replanned).
   */
  async function sleepUnlessChanged(ms: number): Promise<void> {
    const scope = new CancellationScope();
    const timer = scope.run(() => sleep(ms));
    await unlessChanged(timer);
    if (changed) {
      scope.cancel();
      await timer.catch(() => undefined);
    }
  }
  /** The armed fire step, kept while it waits across a change that leaves its plan as it was. */
  let armed: { key: string; scope: CancellationScope; fired: Promise<FireOutcome> } | undefined;
  /** Cancels the armed step, if any: one that already woke sends nothing (it finds the row changed or ended). */
  function disarm(): void {
    armed?.scope.cancel();
    armed = undefined;
  }
  /**
   * The fire step armed as an activity that waits in the worker until `wakeAt`, then fires:
   * at the due time, a burst of reminders sends with no workflow task each first (the
   * task that closes each run comes after its send). Undefined when a change came first;
   * the step stays armed until the next plan keeps it (the same plan: a calendar event
   * edited but not moved) or disarms it, so an unchanged plan never has two steps racing
   * for one occurrence.
   */
  async function armedFire(wakeAt: number, plan: { dueAt: string; version: number }): Promise<FireOutcome | undefined> {
    const key = `${plan.dueAt} ${plan.version} ${wakeAt}`;
    if (armed?.key !== key) {
      disarm();
      const { fireReminderAt } = proxyActivities<ReminderActivities>({
        ...presets.providerCall,
        startToCloseTimeout: Math.max(0, wakeAt - Date.now()) + (sendTimeoutMs ?? presets.providerCall.startToCloseTimeout),
        heartbeatTimeout: ARMED_HEARTBEAT_EVERY_MS + 5_000,
      });
      const scope = new CancellationScope();
      const fired = scope.run(() => fireReminderAt({ tenantId: input.tenantId, reminderId: input.reminderId, dueAt: plan.dueAt, version: plan.version, at: new Date(wakeAt).toISOString() }));
      // Handled: a disarmed step's cancellation is not a failure of the run.
      fired.catch(() => undefined);
      armed = { key, scope, fired };
    }
    const outcome = await unlessChanged(armed.fired);
    if (outcome !== undefined) armed = undefined;
    return outcome;
  }
  const arming = input.fire === 'armed';
  let first = input.plan;
  for (;;) {
    // A change signalled before the run's first task (the event moved right after the
    // reminder was made) is delivered when the handler is set: the plan in the input is
    // stale then, so read the row again instead of forgetting the signal.
    const stale = first !== undefined && changed && patched('reminder-change-before-start');
    changed = false;
    const plan: ReminderPlan = first && !stale ? { state: 'due', ...first } : await planReminder({ tenantId: input.tenantId, reminderId: input.reminderId });
    first = undefined;
    if (plan.state === 'ended') {
      disarm();
      return plan.status;
    }
    let wakeAt = Date.parse(plan.dueAt);
    let replan = false;
    while (!replan) {
      const wait = wakeAt - Date.now() - (arming ? ARM_BEFORE_MS : 0);
      if (wait > 0 && !changed) {
        disarm();
        await sleepUnlessChanged(wait);
      }
      if (changed) break;
      let fired: FireOutcome | undefined;
      if (arming) {
        fired = await armedFire(wakeAt, plan);
        if (!fired) break;
      } else {
        const fire = input.fire === 'local' || patched('local-fire') ? local.fireReminder : fireReminder;
        fired = await fire({ tenantId: input.tenantId, reminderId: input.reminderId, dueAt: plan.dueAt, version: plan.version });
      }
      if (fired.state === 'ended') return fired.status;
      if (fired.state === 'replan') replan = true;
      else if (fired.state === 'defer') wakeAt = Date.parse(fired.until);
      else return continueAsNew<typeof sendReminderWorkflow>({ tenantId: input.tenantId, reminderId: input.reminderId, sendTimeoutMs, sendTimeoutCoversRetry: true, fire: 'armed' });
    }
  }
}
