import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { firedAt, type FireInput, type FireOutcome, type ReminderActivities, type ReminderPlan } from '../../activities/reminders.ts';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { REQUEST_ID_HEADER } from '../../workflows/interceptors.ts';
import { captureHistory } from '../support/histories.ts';
import { eventually } from '../support/factories.ts';
import { ARM_BEFORE_MS, ARMED_HEARTBEAT_EVERY_MS } from '../../workflows/sendReminder.client.ts';
import { workflowTestEnv } from '../support/workflowWorker.ts';

/**
 * The reminder workflow's logic with its two activities mocked: it sleeps until the
 * planned time, plans again when signalled, waits out a deferral, replans when the fire
 * step says the plan is stale, and continues as new after each recurring occurrence.
 */
let env: Awaited<ReturnType<typeof workflowTestEnv>>;
beforeAll(async () => {
  env = await workflowTestEnv();
});
afterAll(() => env.close());

type Plan = (n: number) => ReminderPlan;
type Fire = (input: { dueAt: string; version: number }, n: number) => FireOutcome;

/**
 * How a run fires: `armed` as today's runs do (the fire step an activity armed ahead of its
 * time), `legacy` as runs started before the input said (replayed by runs still open).
 */
type Mode = 'armed' | 'legacy';

/** The three activities, recording what they were asked; the armed fire step is the real wrapper around the mocked one. */
function recording(plan: Plan, fire: Fire) {
  const plans: number[] = [];
  const fires: Array<{ dueAt: string; version: number; at: number }> = [];
  const closes: Array<{ status: string; reason: string }> = [];
  async function fireReminder(input: FireInput) {
    fires.push({ dueAt: input.dueAt, version: input.version, at: Date.now() });
    return fire(input, fires.length);
  }
  const activities: ReminderActivities = {
    async planReminder() {
      plans.push(Date.now());
      return plan(plans.length);
    },
    fireReminder,
    fireReminderAt: firedAt(fireReminder),
    async closeReminder(input) {
      closes.push({ status: input.status, reason: input.reason });
    },
  };
  return { activities, plans, fires, closes };
}

const fireArg = (mode: Mode) => (mode === 'armed' ? { fire: 'armed' as const } : {});

async function run(plan: Plan, fire: Fire, during?: (workflowId: string) => Promise<void>, mode: Mode = 'armed') {
  const { activities, plans, fires, closes } = recording(plan, fire);
  const workflowId = `reminder-unit-${randomUUID()}`;
  const result = await env.withWorker(activities, async (taskQueue) => {
    const handle = await env.client.workflow.start('sendReminderWorkflow', { taskQueue, workflowId, args: [{ tenantId: randomUUID(), reminderId: randomUUID(), ...fireArg(mode) }] });
    if (during) await during(workflowId);
    // A run that fails is an answer too (the tests of how a run stops read it).
    return handle.result().catch((err: unknown) => err);
  });
  return { result, plans, fires, closes, workflowId };
}

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

describe.each<Mode>(['armed', 'legacy'])('sendReminderWorkflow, fired %s', (mode) => {
  it('sleeps until the planned time and fires once', async () => {
    const due = inMs(400);
    const { result, fires } = await run(() => ({ state: 'due', dueAt: due, version: 1 }), () => ({ state: 'ended', status: 'sent' }), undefined, mode);
    expect(result).toBe('sent');
    expect(fires).toHaveLength(1);
    expect(fires[0].at).toBeGreaterThanOrEqual(Date.parse(due));
  });

  it('plans again at once when signalled, without firing the stale plan', async () => {
    const later = inMs(60_000);
    const soon = inMs(300);
    const { result, fires, plans, workflowId } = await run(
      (n) => (n === 1 ? { state: 'due', dueAt: later, version: 1 } : { state: 'due', dueAt: soon, version: 2 }),
      () => ({ state: 'ended', status: 'sent' }),
      async (workflowId) => {
        // Once it sleeps on its first plan (a signal before that is read with its start).
        const handle = env.client.workflow.getHandle(workflowId);
        for (let i = 0; i < 200 && !(await handle.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes); i++) await new Promise((r) => setTimeout(r, 50));
        await handle.signal('reminderChanged');
      },
      mode,
    );
    expect(result).toBe('sent');
    expect(plans).toHaveLength(2);
    expect(fires.map((f) => [f.dueAt, f.version])).toEqual([[soon, 2]]);
    // The change path (a timer cancelled, the row planned again) in the replay suite.
    captureHistory(workflowId, 'reminder-replanned');
  });

  it('reads the row again when the change came with its very start (the plan in its input is stale)', async () => {
    const soon = inMs(300);
    const { activities, plans, fires } = recording(() => ({ state: 'due', dueAt: soon, version: 2 }), () => ({ state: 'ended', status: 'sent' }));
    const result = await env.withWorker(activities, async (taskQueue) => {
      // The signal in the run's first task: the event moved before the worker picked the reminder up.
      const handle = await env.client.workflow.signalWithStart('sendReminderWorkflow', {
        taskQueue,
        workflowId: `reminder-unit-${randomUUID()}`,
        args: [{ tenantId: randomUUID(), reminderId: randomUUID(), plan: { dueAt: inMs(3_600_000), version: 1 }, ...fireArg(mode) }],
        signal: 'reminderChanged',
      });
      return handle.result();
    });
    expect(result).toBe('sent');
    expect(plans).toHaveLength(1);
    expect(fires.map((f) => [f.dueAt, f.version])).toEqual([[soon, 2]]);
  });

  it('started with a start delay (a new reminder), fires from its first task, with no timer and no plan step', async () => {
    // Set once the worker is up (its start took longer than the delay on a slow machine).
    let due = '';
    const { activities, plans, fires } = recording(() => ({ state: 'due', dueAt: due, version: 1 }), () => ({ state: 'ended', status: 'sent' }));
    const workflowId = `reminder-unit-${randomUUID()}`;
    const result = await env.withWorker(activities, async (taskQueue) => {
      due = inMs(600);
      const args = [{ tenantId: randomUUID(), reminderId: randomUUID(), plan: { dueAt: due, version: 1 }, fire: mode === 'armed' ? ('armed' as const) : ('local' as const), sendTimeoutCoversRetry: true as const }];
      const handle = await env.client.workflow.start('sendReminderWorkflow', { taskQueue, workflowId, args, startDelay: Math.max(1, Date.parse(due) - Date.now() - (mode === 'armed' ? ARM_BEFORE_MS : 0)) });
      return handle.result();
    });
    expect(result).toBe('sent');
    expect(plans).toEqual([]);
    expect(fires).toHaveLength(1);
    expect(fires[0].at).toBeGreaterThanOrEqual(Date.parse(due));
    const { events } = await env.client.workflow.getHandle(workflowId).fetchHistory();
    expect(events?.some((e) => e.timerStartedEventAttributes)).toBe(false);
    captureHistory(workflowId, 'reminder-delayed-start');
  });

  it("carries the starting request's id to its fire step, as to any activity", async () => {
    const seen: Array<{ type: string; requestId: string | undefined; local: boolean }> = [];
    const capture: ActivityInterceptorsFactory = (ctx) => ({
      inbound: {
        execute(input, next) {
          const header = input.headers[REQUEST_ID_HEADER];
          seen.push({ type: ctx.info.activityType, requestId: header ? defaultPayloadConverter.fromPayload<string>(header) : undefined, local: ctx.info.isLocal });
          return next(input);
        },
      },
    });
    const { activities } = recording(() => ({ state: 'due', dueAt: inMs(100), version: 1 }), () => ({ state: 'ended', status: 'sent' }));
    await env.withWorker(
      activities,
      async (taskQueue) => {
        const args = [{ tenantId: randomUUID(), reminderId: randomUUID(), fire: mode === 'armed' ? ('armed' as const) : ('local' as const) }];
        const handle = await env.client.workflow.start('sendReminderWorkflow', { taskQueue, workflowId: `reminder-unit-${randomUUID()}`, memo: { requestId: 'req-reminder-1' }, args });
        return handle.result();
      },
      [capture],
    );
    expect(seen).toEqual([
      { type: 'planReminder', requestId: 'req-reminder-1', local: false },
      mode === 'armed' ? { type: 'fireReminderAt', requestId: 'req-reminder-1', local: false } : { type: 'fireReminder', requestId: 'req-reminder-1', local: true },
    ]);
  });

  it('ends without firing when the plan says it ended (cancelled)', async () => {
    const { result, fires } = await run(() => ({ state: 'ended', status: 'cancelled' }), () => ({ state: 'ended', status: 'sent' }), undefined, mode);
    expect(result).toBe('cancelled');
    expect(fires).toEqual([]);
  });

  it('waits out a deferral (quiet hours) and fires the same occurrence again', async () => {
    const due = inMs(100);
    const until = inMs(700);
    const { fires } = await run(
      () => ({ state: 'due', dueAt: due, version: 1 }),
      (_i, n) => (n === 1 ? { state: 'defer', until } : { state: 'ended', status: 'sent' }),
      undefined,
      mode,
    );
    expect(fires.map((f) => f.dueAt)).toEqual([due, due]);
    expect(fires[1].at).toBeGreaterThanOrEqual(Date.parse(until));
  });

  it('replans when the fire step finds the plan stale (its event moved)', async () => {
    const first = inMs(100);
    const moved = inMs(500);
    const { fires, plans } = await run(
      (n) => ({ state: 'due', dueAt: n === 1 ? first : moved, version: 1 }),
      (i) => (i.dueAt === first ? { state: 'replan' } : { state: 'ended', status: 'sent' }),
      undefined,
      mode,
    );
    expect(plans).toHaveLength(2);
    expect(fires.map((f) => f.dueAt)).toEqual([first, moved]);
  });

  it('fires each occurrence of a recurring reminder in a fresh run (continue-as-new)', async () => {
    const dues = [inMs(100), inMs(300), inMs(500)];
    const { result, fires, workflowId } = await run(
      (n) => (n <= 3 ? { state: 'due', dueAt: dues[n - 1], version: 1 } : { state: 'ended', status: 'sent' }),
      () => ({ state: 'sent', more: true }),
      undefined,
      mode,
    );
    expect(result).toBe('sent');
    expect(fires.map((f) => f.dueAt)).toEqual(dues);
    const runs = [];
    for await (const r of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(r.status.name);
    expect(runs.filter((s) => s === 'CONTINUED_AS_NEW')).toHaveLength(3);
  });

  it('ends the reminder as failed, saying why, when its fire step fails for good, instead of leaving it scheduled', async () => {
    const { result, closes, workflowId } = await run(
      () => ({ state: 'due', dueAt: inMs(100), version: 1 }),
      () => {
        throw ApplicationFailure.nonRetryable('PostgreSQL is not answering', 'Outage');
      },
      undefined,
      mode,
    );
    expect(result).toBeInstanceOf(WorkflowFailedError);
    expect(closes).toEqual([{ status: 'failed', reason: 'gave up: PostgreSQL is not answering' }]);
    captureHistory(workflowId, 'reminder-gave-up');
  });

  it('ends the reminder as cancelled when its run is cancelled while it sleeps', async () => {
    const { result, closes, fires } = await run(
      () => ({ state: 'due', dueAt: inMs(3_600_000), version: 1 }),
      () => ({ state: 'ended', status: 'sent' }),
      async (workflowId) => {
        await new Promise((r) => setTimeout(r, 300));
        await env.client.workflow.getHandle(workflowId).cancel();
      },
      mode,
    );
    expect(result).toBeInstanceOf(WorkflowFailedError);
    expect(fires).toEqual([]);
    expect(closes).toEqual([{ status: 'cancelled', reason: 'its run was cancelled' }]);
  });

});

describe('sendReminderWorkflow, a run started before', () => {
  it('gets the longer send timeout when the send step did not cover a retry, in its steps and the runs it continues as (armed)', async () => {
    const timeouts: Array<[string, number | undefined]> = [];
    let fired = 0;
    async function fireReminder(): Promise<FireOutcome> {
      fired += 1;
      timeouts.push([Context.current().info.activityType, Context.current().info.startToCloseTimeoutMs]);
      return { state: 'sent', more: true };
    }
    const activities: ReminderActivities = {
      planReminder: async () => (fired < 2 ? { state: 'due', dueAt: inMs(100), version: 1 } : { state: 'ended', status: 'sent' }),
      fireReminder,
      fireReminderAt: firedAt(fireReminder),
      closeReminder: async () => undefined,
    };
    await env.withWorker(activities, async (taskQueue) => {
      // As today's API started runs before: one provider call (15 s) plus 10 s.
      const handle = await env.client.workflow.start('sendReminderWorkflow', { taskQueue, workflowId: `reminder-unit-${randomUUID()}`, args: [{ tenantId: randomUUID(), reminderId: randomUUID(), sendTimeoutMs: 25_000, fire: 'local' }] });
      return handle.result();
    });
    expect(timeouts[0]).toEqual(['fireReminder', 40_000]);
    // The run it continued as arms its fire step: the same send timeout, plus the wait.
    expect(timeouts[1][0]).toBe('fireReminderAt');
    expect(timeouts[1][1]).toBeGreaterThanOrEqual(40_000);
    expect(timeouts[1][1]).toBeLessThanOrEqual(40_000 + ARM_BEFORE_MS);
    expect(timeouts).toHaveLength(2);
  });
});

describe('sendReminderWorkflow, its fire step armed', () => {
  /** Signals a change once the run has armed its fire step. */
  async function signalOnceArmed(workflowId: string) {
    const handle = env.client.workflow.getHandle(workflowId);
    await eventually(async () => ((await handle.fetchHistory()).events?.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'fireReminderAt') ? true : undefined), { what: 'the fire step to be armed', intervalMs: 50 });
    await handle.signal('reminderChanged');
  }

  it('sleeps on a timer until shortly before it is due, then arms its fire step, which sends at the due time', async () => {
    // Set when the run first plans (the worker may take a while to start on a slow machine).
    let due = '';
    const { result, fires, workflowId } = await run(
      () => ({ state: 'due', dueAt: (due ||= inMs(ARM_BEFORE_MS + 1_000)), version: 1 }),
      () => ({ state: 'ended', status: 'sent' }),
    );
    expect(result).toBe('sent');
    expect(fires).toHaveLength(1);
    expect(fires[0].at).toBeGreaterThanOrEqual(Date.parse(due));
    const { events } = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const timer = events?.find((e) => e.timerStartedEventAttributes);
    const armed = events?.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'fireReminderAt');
    // The timer ends ARM_BEFORE_MS ahead (about a second from now), not at the due time.
    expect(Number(timer?.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? 99)).toBeLessThanOrEqual(1);
    expect(Number(armed?.eventId)).toBeGreaterThan(Number(timer?.eventId));
    // A worker that dies with the step armed is noticed by its heartbeat timeout, well inside the step's own.
    const { heartbeatTimeout, startToCloseTimeout } = armed!.activityTaskScheduledEventAttributes!;
    expect(Number(heartbeatTimeout?.seconds) * 1000).toBe(ARMED_HEARTBEAT_EVERY_MS + 5_000);
    expect(Number(startToCloseTimeout?.seconds)).toBeGreaterThan(Number(heartbeatTimeout?.seconds) * 2);
    captureHistory(workflowId, 'reminder-armed-after-timer');
  }, 20_000);

  it('cancels its armed fire step when the reminder changes, and fires the new plan instead', async () => {
    let soon = '';
    const { result, fires, plans, workflowId } = await run(
      (n) => (n === 1 ? { state: 'due', dueAt: inMs(2_500), version: 1 } : { state: 'due', dueAt: (soon = inMs(300)), version: 2 }),
      // As the real step answers a plan the row no longer holds.
      (input) => (input.version === 1 ? { state: 'replan' } : { state: 'ended', status: 'sent' }),
      signalOnceArmed,
    );
    expect(result).toBe('sent');
    expect(plans).toHaveLength(2);
    expect(fires.filter((f) => f.version === 2).map((f) => f.dueAt)).toEqual([soon]);
    expect(fires.find((f) => f.version === 2)!.at).toBeGreaterThanOrEqual(Date.parse(soon));
    const { events } = await env.client.workflow.getHandle(workflowId).fetchHistory();
    expect(events?.some((e) => e.activityTaskCancelRequestedEventAttributes)).toBe(true);
    captureHistory(workflowId, 'reminder-armed-replanned');
  });

  it('keeps its armed fire step when a change leaves its plan as it was (its event edited, not moved): one step, one fire', async () => {
    let due = '';
    const { result, fires, plans, workflowId } = await run(
      () => ({ state: 'due', dueAt: (due ||= inMs(2_500)), version: 1 }),
      () => ({ state: 'ended', status: 'sent' }),
      signalOnceArmed,
    );
    expect(result).toBe('sent');
    expect(plans).toHaveLength(2);
    expect(fires).toHaveLength(1);
    expect(fires[0].at).toBeGreaterThanOrEqual(Date.parse(due));
    const { events } = await env.client.workflow.getHandle(workflowId).fetchHistory();
    expect(events?.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'fireReminderAt')).toHaveLength(1);
    expect(events?.some((e) => e.activityTaskCancelRequestedEventAttributes)).toBe(false);
    captureHistory(workflowId, 'reminder-armed-kept');
  });
});
