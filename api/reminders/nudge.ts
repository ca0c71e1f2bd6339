import { WorkflowNotFoundError } from '@temporalio/client';
import type { Reminder } from '../../entities/Reminder.ts';
import { queueWorkflowStart } from '../../entities/WorkflowStart.ts';
import { reminderChangedSignal, reminderStartRequest, reminderWorkflowId } from '../../workflows/sendReminder.client.ts';
import type { AppContext } from '../context.ts';
import { startOrDefer } from '../startWork.ts';
import { sendStepTimeoutMs } from '../../lib/smsDelivery.ts';

/**
 * Tells a reminder's run that its row changed, so it plans again at once. Should the
 * signal be lost (Temporal down), the run still checks the row when it wakes and plans
 * again; a scheduled reminder whose run has ended gets a new one.
 */
export async function nudgeReminder(ctx: AppContext, r: Reminder): Promise<void> {
  try {
    await ctx.deps.temporal.workflow.getHandle(reminderWorkflowId(r.id)).signal(reminderChangedSignal);
  } catch (err) {
    const closed = err instanceof WorkflowNotFoundError;
    if (!closed) {
      ctx.state.log.warn({ err: err instanceof Error ? err.message : String(err), reminderId: r.id }, 'reminder change not signalled; its run re-reads the row when it wakes');
      return;
    }
    if (r.status !== 'scheduled') return;
    const start = queueWorkflowStart(ctx.state.em, reminderStartRequest({ tenantId: r.tenant.id, reminderId: r.id, sendTimeoutMs: sendStepTimeoutMs(ctx.deps.config.sms.sendTimeoutMs) }, { requestId: ctx.state.requestId, rerun: true }));
    await ctx.state.em.flush();
    await startOrDefer(ctx, start);
  }
}
