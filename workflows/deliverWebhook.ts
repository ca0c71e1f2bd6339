import { CancellationScope, isCancellation, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { DeliveryAttemptResult, WebhookActivities } from '../activities/webhooks.ts';
import { withJitter } from '../lib/retrySchedule.ts';
import { presets } from './activityOptions.ts';


export interface DeliverWebhookInput {
  tenantId: string;
  deliveryId: string;
  /** Wait before each attempt, in ms (lib/retrySchedule.ts); its length is the number of attempts. */
  scheduleMs: number[];
  /** Attempt numbers continue across a manual retry, so each attempt row keeps its own. */
  firstAttemptNo: number;
  /**
   * The attempt activity's start-to-close timeout: the HTTP timeout plus bookkeeping, so
   * an attempt lost with its worker is retried on another that soon, not after a minute.
   */
  attemptTimeoutMs?: number;
}

/**
 * One event to one endpoint (ID `webhook-<deliveryId>`): attempts on the retry schedule,
 * sleeping durably in between, until one is final (delivered, 410 Gone, endpoint gone or
 * disabled, schedule exhausted). The activity records each attempt and the delivery's
 * state; a workflow per delivery keeps a dead endpoint's retries from delaying another's.
 */
export async function deliverWebhookWorkflow({ tenantId, deliveryId, scheduleMs, firstAttemptNo, attemptTimeoutMs }: DeliverWebhookInput): Promise<DeliveryAttemptResult> {
  const { attemptDelivery } = proxyActivities<Pick<WebhookActivities, 'attemptDelivery'>>({
    ...presets.webhookAttempt,
    ...(attemptTimeoutMs ? { startToCloseTimeout: attemptTimeoutMs } : {}),
  });
  const { closeDelivery } = proxyActivities<Pick<WebhookActivities, 'closeDelivery'>>(presets.database);
  let last: DeliveryAttemptResult = { status: 'pending', attemptNo: firstAttemptNo - 1, statusCode: null, final: false };
  try {
    for (let i = 0; i < scheduleMs.length; i++) {
      const wait = withJitter(scheduleMs[i], Math.random);
      if (wait > 0) await sleep(wait);
      const next = i + 1 < scheduleMs.length ? scheduleMs[i + 1] : null;
      last = await attemptDelivery({ tenantId, deliveryId, attemptNo: firstAttemptNo + i, nextDelayMs: next });
      if (last.final) break;
    }
  } catch (err) {
    // Stopped before a final attempt: the delivery row says so, or it stays "retrying"
    // and blocks its retry, replay and the endpoint's probe (runs before the patch end as they did).
    if (patched('close-delivery-on-stop')) {
      const cancelled = isCancellation(err);
      const reason = cancelled ? 'the delivery run was cancelled' : `the delivery run failed: ${err instanceof Error ? err.message : String(err)}`;
      await CancellationScope.nonCancellable(() => closeDelivery({ tenantId, deliveryId, status: cancelled ? 'cancelled' : 'failed', reason }));
    }
    throw err;
  }
  return last;
}
