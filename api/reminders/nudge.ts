import type { Reminder } from '../../entities/Reminder.ts';
import { queueWorkflowStart, type WorkflowStart } from '../../entities/WorkflowStart.ts';
import type { EntityManager } from '../../lib/db.ts';
import { reminderNudgeRequest } from '../../workflows/sendReminder.client.ts';
import type { AppContext } from '../context.ts';
import { startOrDefer } from '../startWork.ts';
import { sendStepTimeoutMs } from '../../lib/smsDelivery.ts';

/**
 * Owes a reminder's run word that its row changed, in `em`'s unit of work so it commits
 * with the change: a Signal-With-Start row, which the open run hears at once (and plans
 * again), or which starts a new run for a reminder whose run has ended (it reads the row).
 * A signal sent only after the commit was lost with Temporal down: a reminder moved earlier
 * then went out at its old time.
 */
export function queueReminderNudge(ctx: AppContext, em: EntityManager, r: Reminder): WorkflowStart {
  return queueWorkflowStart(em, reminderNudgeRequest({ tenantId: r.tenant.id, reminderId: r.id, sendTimeoutMs: sendStepTimeoutMs(ctx.deps.config.sms.sendTimeoutMs) }, { requestId: ctx.state.requestId }));
}

/** Sends committed nudges now; any Temporal does not take is sent by the outbox relay. */
export async function sendNudges(ctx: AppContext, nudges: WorkflowStart[]): Promise<void> {
  for (const n of nudges) await startOrDefer(ctx, n);
}
