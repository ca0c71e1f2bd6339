import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AttemptInput, DeliveryAttemptResult, WebhookActivities } from '../../activities/webhooks.ts';
import { workflowTestEnv } from '../support/workflowWorker.ts';

/**
 * The delivery workflow's logic with its activity mocked: attempt numbering, waiting on
 * the schedule, stopping at the first final answer. Runs on the test run's dev server
 * (the time-skipping server is a download this machine cannot make) with waits of
 * milliseconds, in a worker inside this process: no API, no database.
 */
let env: Awaited<ReturnType<typeof workflowTestEnv>>;
beforeAll(async () => {
  env = await workflowTestEnv();
});
afterAll(() => env.close());

async function run(scheduleMs: number[], answer: (input: AttemptInput) => DeliveryAttemptResult, firstAttemptNo = 1) {
  const calls: AttemptInput[] = [];
  const activities: Pick<WebhookActivities, 'attemptDelivery'> = {
    async attemptDelivery(input) {
      calls.push(input);
      return answer(input);
    },
  };
  const result = await env.withWorker(activities, (taskQueue) =>
    env.client.workflow.execute('deliverWebhookWorkflow', {
      taskQueue,
      workflowId: `webhook-unit-${randomUUID()}`,
      args: [{ tenantId: randomUUID(), deliveryId: randomUUID(), scheduleMs, firstAttemptNo }],
    }),
  );
  return { result: result as DeliveryAttemptResult, calls };
}

const failing = (i: AttemptInput, last: number): DeliveryAttemptResult => ({ status: i.attemptNo === last ? 'failed' : 'retrying', attemptNo: i.attemptNo, statusCode: 500, final: i.attemptNo === last });

describe('deliverWebhookWorkflow', () => {
  it('stops at the first successful attempt', async () => {
    const { result, calls } = await run([0, 50, 50], (i) => (i.attemptNo === 2 ? { status: 'delivered', attemptNo: 2, statusCode: 200, final: true } : failing(i, 3)));
    expect(calls.map((c) => c.attemptNo)).toEqual([1, 2]);
    expect(result).toMatchObject({ status: 'delivered', attemptNo: 2 });
  });

  it('makes one attempt per schedule entry, telling each the next wait, and reports exhaustion', async () => {
    const { result, calls } = await run([0, 40, 80], (i) => failing(i, 3));
    expect(calls.map((c) => [c.attemptNo, c.nextDelayMs])).toEqual([
      [1, 40],
      [2, 80],
      [3, null],
    ]);
    expect(result).toMatchObject({ status: 'failed', final: true });
  });

  it('continues attempt numbers after a manual retry', async () => {
    const { calls } = await run([0, 10], (i) => failing(i, 5), 4);
    expect(calls.map((c) => c.attemptNo)).toEqual([4, 5]);
  });

  it('stops when an attempt is final for another reason (410 Gone, endpoint disabled)', async () => {
    const { calls, result } = await run([0, 10, 10, 10], (i) => ({ status: 'failed', attemptNo: i.attemptNo, statusCode: 410, final: true }));
    expect(calls).toHaveLength(1);
    expect(result.statusCode).toBe(410);
  });

  it('says how a delivery ended when its run is cancelled mid-schedule, instead of leaving it retrying', async () => {
    const closed: Array<Parameters<WebhookActivities['closeDelivery']>[0]> = [];
    const deliveryId = randomUUID();
    const activities: Pick<WebhookActivities, 'attemptDelivery' | 'closeDelivery'> = {
      attemptDelivery: async (i) => failing(i, 3),
      async closeDelivery(input) {
        closed.push(input);
      },
    };
    const outcome = await env.withWorker(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start('deliverWebhookWorkflow', { taskQueue, workflowId: `webhook-unit-${randomUUID()}`, args: [{ tenantId: randomUUID(), deliveryId, scheduleMs: [0, 60_000, 60_000], firstAttemptNo: 1 }] });
      // Attempt 1 failed; the run sleeps a minute before attempt 2.
      for (let i = 0; i < 100 && !(await handle.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes); i++) await new Promise((r) => setTimeout(r, 50));
      await handle.cancel();
      return handle.result().then(() => 'completed', (err: Error) => err.name);
    });
    expect(outcome).toBe('WorkflowFailedError');
    expect(closed).toEqual([{ tenantId: expect.any(String), deliveryId, status: 'cancelled', reason: 'the delivery run was cancelled' }]);
  });
});
