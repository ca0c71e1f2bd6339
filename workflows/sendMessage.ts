import { condition, patched, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { MessagingActivities, SendResult } from '../activities/messaging.ts';
import { isTransientUndelivery, type DeliveryVerdict } from '../lib/smsDelivery.ts';
import { presets } from './activityOptions.ts';
import { recordStop } from './runStop.ts';
import { deliveryStatusSignal } from './sendMessage.client.ts';

export interface SendMessageInput {
  tenantId: string;
  messageId: string;
  /** Waits before each new attempt after a transient undelivery (SMS_RETRY_SCHEDULE). */
  retryScheduleMs: number[];
  /** How long to listen for Twilio's delivery verdict (SMS_DELIVERY_WAIT). */
  deliveryWaitMs: number;
  /** The send activity's start-to-close: the provider's timeout plus bookkeeping, so a send lost with its worker is retried soon. */
  sendTimeoutMs?: number;
  /** Twilio's verdict on a first attempt made elsewhere (a reminder's fire step): the run starts from it, sending again if it is transient. */
  after?: DeliveryVerdict;
}

export interface SendMessageOutcome extends SendResult {
  attempts: number;
  verdict: DeliveryVerdict | null;
}

/**
 * One outgoing text or email (ID `sms-<messageId>`): send, then, when Twilio will report
 * delivery, wait for its verdict (the status callback signals it); a transient
 * undelivery (unreachable handset, queue overflow) is sent again on the schedule, a
 * permanent one ends the run with its reason.
 */
export async function sendMessageWorkflow(input: SendMessageInput): Promise<SendMessageOutcome> {
  try {
    return await sendAndListen(input);
  } catch (err) {
    // Stopped before an outcome (cancelled, or the provider unreachable through every retry):
    // the message says so instead of `queued`/`sending` for ever.
    return recordStop(err, 'close-message-on-stop', (stop) => {
      const { closeOutbound } = proxyActivities<Pick<MessagingActivities, 'closeOutbound'>>(presets.database);
      return closeOutbound({ tenantId: input.tenantId, messageId: input.messageId, reason: stop.cancelled ? 'the send run was cancelled' : `gave up: ${stop.cause}` });
    });
  }
}

async function sendAndListen(input: SendMessageInput): Promise<SendMessageOutcome> {
  const { sendOutbound } = proxyActivities<Pick<MessagingActivities, 'sendOutbound'>>({
    ...presets.providerCall,
    ...(input.sendTimeoutMs ? { startToCloseTimeout: input.sendTimeoutMs } : {}),
  });
  // Verdicts by provider SID: one about an earlier attempt's message is not this attempt's,
  // and one may arrive before the send activity has returned.
  const verdicts = new Map<string, DeliveryVerdict>();
  setHandler(deliveryStatusSignal, (v) => {
    verdicts.set(v.sid, v);
  });
  let verdict: DeliveryVerdict | null = null;
  let attempt = 1;
  let pending = input.after ?? null;
  const send = async () => {
    let sent = await sendOutbound({ tenantId: input.tenantId, messageId: input.messageId, attempt });
    // A reminder's re-send that would land in quiet hours is asked again when they end.
    while (sent.deferUntil && patched('resend-after-quiet-hours')) {
      await sleep(Math.max(0, Date.parse(sent.deferUntil) - Date.now()));
      sent = await sendOutbound({ tenantId: input.tenantId, messageId: input.messageId, attempt });
    }
    return sent;
  };
  // With a verdict in the input, attempt 1 was made already; asked again, the activity only reads it.
  let result = pending ? null : await send();
  while (pending || (result?.awaitingCallback && result.providerSid)) {
    if (pending) {
      verdict = pending;
      pending = null;
    } else {
      const sid = result?.providerSid as string;
      if (!(await condition(() => verdicts.has(sid), input.deliveryWaitMs))) break;
      verdict = verdicts.get(sid) ?? null;
    }
    if (!verdict || !isTransientUndelivery(verdict) || attempt > input.retryScheduleMs.length) break;
    await sleep(input.retryScheduleMs[attempt - 1]);
    attempt += 1;
    result = await send();
  }
  result ??= await send();
  return { ...result, attempts: attempt, verdict };
}
