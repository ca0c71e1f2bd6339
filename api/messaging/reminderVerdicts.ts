import type { Config } from '../../lib/config.ts';
import type { EntityManager } from '../../lib/db.ts';
import { isTransientUndelivery, sendStepTimeoutMs, type DeliveryVerdict } from '../../lib/smsDelivery.ts';
import type { OutboundMessage } from '../../entities/OutboundMessage.ts';
import { recordReminderUndelivered } from '../../entities/reminderEvents.ts';
import { queueWorkflowStart, type WorkflowStart } from '../../entities/WorkflowStart.ts';
import { sendMessageStartRequest } from '../../workflows/sendMessage.client.ts';

/** The reminder occurrence a text was sent for, when it was (the fire step's `cause`). */
function reminderCause(cause: unknown): { reminder_id: string; occurrence: string } | null {
  const c = cause as { type?: unknown; reminder_id?: unknown; occurrence?: unknown } | null;
  return c?.type === 'reminder' && typeof c.reminder_id === 'string' && typeof c.occurrence === 'string' ? { reminder_id: c.reminder_id, occurrence: c.occurrence } : null;
}

/**
 * What Twilio's verdict on a reminder's text means beyond the message, in the status
 * callback's transaction. A reminder's fire step sends attempt 1 itself, with no send run
 * listening: a transient undelivery of it queues one (`sms-<id>`, started from this
 * verdict) to send again on the schedule, as for any text; a final verdict (a permanent
 * code, or a transient one after the last re-send) is the reminder's failure. Returns the
 * start row to start, if any.
 */
export async function followReminderVerdict(
  tx: EntityManager,
  m: OutboundMessage,
  verdict: DeliveryVerdict,
  sms: Config['sms'],
  requestId: string | null,
): Promise<WorkflowStart | null> {
  const reminder = reminderCause(m.cause);
  if (!reminder || verdict.status === 'delivered') return null;
  if (!isTransientUndelivery(verdict) || m.attempts > sms.retryScheduleMs.length) {
    await recordReminderUndelivered(tx, reminder, m.id, verdict.errorCode ? `${verdict.status} (${verdict.errorCode})` : verdict.status);
    return null;
  }
  if (m.attempts !== 1) return null; // a later attempt's run is listening already: the route signals it
  const input = { tenantId: m.tenant.id, messageId: m.id, retryScheduleMs: sms.retryScheduleMs, deliveryWaitMs: sms.deliveryWaitMs, sendTimeoutMs: sendStepTimeoutMs(sms.sendTimeoutMs), after: verdict };
  return queueWorkflowStart(tx, sendMessageStartRequest(input, { requestId }));
}
