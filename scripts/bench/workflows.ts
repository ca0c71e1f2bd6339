// The baseline workflow of the throughput benchmark: the same shape as
// triageMessageWorkflow (two activities in sequence, with the same timeout and retry
// presets) and nothing else. Bundled only by the bench's own worker (bareWorker.ts).
import { allHandlersFinished, condition, defineUpdate, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import { presets } from '../../workflows/activityOptions.ts';
import type { BenchActivities, BenchItem } from './activities.ts';

const { benchFirst } = proxyActivities<Pick<BenchActivities, 'benchFirst'>>(presets.llmCall);
const { benchSecond } = proxyActivities<Pick<BenchActivities, 'benchSecond'>>(presets.database);

export async function benchBareWorkflow(item: BenchItem): Promise<BenchItem> {
  const first = await benchFirst(item);
  return benchSecond(first);
}

const { benchPost } = proxyActivities<Pick<BenchActivities, 'benchPost'>>(presets.webhookAttempt);

/** The webhook benchmark's baseline: one workflow, one activity, one HTTP POST. */
export async function benchPostWorkflow(input: { url: string; id: string }): Promise<number> {
  return benchPost(input);
}

const { benchFire } = proxyActivities<Pick<BenchActivities, 'benchFire'>>(presets.providerCall);

/** The reminder benchmark's baseline: sleep on a timer until the due time, then one no-op activity. */
export async function benchTimerWorkflow(input: { dueAt: number }): Promise<number> {
  const wait = input.dueAt - Date.now();
  if (wait > 0) await sleep(wait);
  return benchFire();
}

const { benchCalendarPull } = proxyActivities<Pick<BenchActivities, 'benchCalendarPull'>>({ startToCloseTimeout: '30 minutes', heartbeatTimeout: '15 seconds' });

/** The calendar benchmark's baseline: one activity that pages through the calendar and stores it. */
export async function benchCalendarWorkflow(input: Parameters<BenchActivities['benchCalendarPull']>[0]): Promise<number> {
  return benchCalendarPull(input);
}

const { benchCrmPull } = proxyActivities<Pick<BenchActivities, 'benchCrmPull'>>({ startToCloseTimeout: '30 minutes', heartbeatTimeout: '15 seconds' });

/** The CRM sync benchmark's baseline: one activity that pages through the org's contacts and stores them. */
export async function benchCrmWorkflow(input: Parameters<BenchActivities['benchCrmPull']>[0]): Promise<number> {
  return benchCrmPull(input);
}

/** The voice benchmark's baseline Update: one utterance, answered after one no-op activity. */
export const benchTurnUpdate = defineUpdate<number, [string]>('respond');

/** The voice benchmark's baseline: a workflow that takes `turns` Updates (a conversation's shape, nothing else). */
export async function benchCallWorkflow(turns: number): Promise<number> {
  let n = 0;
  setHandler(benchTurnUpdate, async () => {
    await benchSecond({ i: n });
    return ++n;
  });
  await condition(() => n >= turns);
  await condition(allHandlersFinished);
  return n;
}

/** The automation benchmark's baseline: a workflow of three no-op activities in sequence. */
export async function benchThreeStepsWorkflow(i: number): Promise<number> {
  let item: BenchItem = { i };
  for (let step = 0; step < 3; step++) item = await benchSecond(item);
  return item.i;
}
