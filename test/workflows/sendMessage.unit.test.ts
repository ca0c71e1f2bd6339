import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { MessagingActivities, SendResult } from '../../activities/messaging.ts';
import type { SendMessageInput, SendMessageOutcome } from '../../workflows/sendMessage.ts';
import { captureHistory } from '../support/histories.ts';
import { workflowTestEnv } from '../support/workflowWorker.ts';

/**
 * The send run's logic with its activity mocked: a reminder's re-send that the activity
 * defers (quiet hours began since the first attempt) is asked again when they end, as the
 * same attempt, and not given up.
 */
let env: Awaited<ReturnType<typeof workflowTestEnv>>;
beforeAll(async () => {
  env = await workflowTestEnv();
});
afterAll(() => env.close());

describe('sendMessageWorkflow', () => {
  it('asks a deferred re-send again when the deferral ends, as the same attempt', async () => {
    const calls: Array<{ attempt: number; at: number }> = [];
    let deferUntil = '';
    const activities: MessagingActivities = {
      async sendOutbound(input) {
        calls.push({ attempt: input.attempt, at: Date.now() });
        const base: SendResult = { status: 'sent', providerSid: 'SM2', errorCode: null, awaitingCallback: false };
        if (calls.length === 1) {
          deferUntil = new Date(Date.now() + 800).toISOString();
          return { ...base, status: 'undelivered', providerSid: 'SM1', errorCode: '30003', deferUntil };
        }
        return base;
      },
      closeOutbound: async () => undefined,
    };
    const workflowId = `sms-unit-${randomUUID()}`;
    const input: SendMessageInput = { tenantId: randomUUID(), messageId: randomUUID(), retryScheduleMs: [10], deliveryWaitMs: 1000, after: { sid: 'SM1', status: 'undelivered', errorCode: '30003' } };
    const outcome = await env.withWorker(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start('sendMessageWorkflow', { taskQueue, workflowId, args: [input] });
      return (await handle.result()) as SendMessageOutcome;
    });
    expect(calls.map((c) => c.attempt)).toEqual([2, 2]);
    expect(calls[1].at).toBeGreaterThanOrEqual(Date.parse(deferUntil));
    expect(outcome).toMatchObject({ status: 'sent', attempts: 2 });
    captureHistory(workflowId, 'sms-resend-deferred');
  });

  const input = (): SendMessageInput => ({ tenantId: randomUUID(), messageId: randomUUID(), retryScheduleMs: [10], deliveryWaitMs: 60_000 });

  it('marks the message failed, with the provider\'s words, when its send fails for good instead of leaving it "sending"', async () => {
    const closed: Array<{ messageId: string; reason: string }> = [];
    const activities: MessagingActivities = {
      async sendOutbound() {
        throw ApplicationFailure.nonRetryable('Twilio did not answer (503)', 'ProviderError');
      },
      async closeOutbound(i) {
        closed.push({ messageId: i.messageId, reason: i.reason });
      },
    };
    const workflowId = `sms-unit-${randomUUID()}`;
    const args = input();
    const failure = await env.withWorker(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start('sendMessageWorkflow', { taskQueue, workflowId, args: [args] });
      return handle.result().then(() => null, (err: unknown) => err);
    });
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(closed).toEqual([{ messageId: args.messageId, reason: 'gave up: Twilio did not answer (503)' }]);
    captureHistory(workflowId, 'sms-gave-up');
  });

  it('marks the message failed when its run is cancelled while it waits for the verdict', async () => {
    const closed: string[] = [];
    let sent = false;
    const activities: MessagingActivities = {
      async sendOutbound() {
        sent = true;
        return { status: 'sent', providerSid: 'SM1', errorCode: null, awaitingCallback: true };
      },
      async closeOutbound(i) {
        closed.push(i.reason);
      },
    };
    const failure = await env.withWorker(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start('sendMessageWorkflow', { taskQueue, workflowId: `sms-unit-${randomUUID()}`, args: [input()] });
      while (!sent) await new Promise((r) => setTimeout(r, 50));
      await handle.cancel();
      return handle.result().then(() => null, (err: unknown) => err);
    });
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(closed).toEqual(['the send run was cancelled']);
  });
});
