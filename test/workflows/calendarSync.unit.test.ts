import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CalendarSyncActivities, PullOutcome, PushOutcome } from '../../activities/calendarSync.ts';
import type { CalendarSyncProgress } from '../../workflows/syncCalendar.client.ts';
import { workflowTestEnv } from '../support/workflowWorker.ts';

/**
 * The calendar sync workflow's logic with its activities mocked (a 50 ms interval
 * between passes): a pass on its interval and on demand, a full pass after a stale token, a stop
 * when the grant is revoked, a token stale twice in one pass tried again, a pass that keeps failing retried on the next one, and a
 * disconnect that revokes and ends.
 */
let env: Awaited<ReturnType<typeof workflowTestEnv>>;
beforeAll(async () => {
  env = await workflowTestEnv();
});
afterAll(() => env.close());

const done = (over: Partial<Extract<PullOutcome, { state: 'done' }>> = {}): PullOutcome => ({ state: 'done', full: false, reminders: [], pages: 1, created: 0, updated: 0, deleted: 0, ...over });

async function run(pulls: Array<PullOutcome | Error>, opts: { push?: PushOutcome; during?: (id: string) => Promise<void> } = {}) {
  const calls: string[] = [];
  const pullInputs: unknown[] = [];
  const activities: CalendarSyncActivities = {
    async pullCalendar(input) {
      pullInputs.push(input);
      const next = pulls.shift() ?? done();
      calls.push(`pull:${next instanceof Error ? 'error' : next.state}`);
      if (next instanceof Error) throw next;
      return next;
    },
    async pushCalendar() {
      calls.push('push');
      return opts.push ?? { state: 'done', pushed: 0, deleted: 0 };
    },
    async recordSyncPass() {
      calls.push('record');
    },
    async disconnectCalendar() {
      calls.push('disconnect');
    },
    async restartReminders(input) {
      calls.push(`restart:${input.reminderIds.join(',')}`);
      return input.reminderIds.length;
    },
    async forgetToldReminders(input) {
      calls.push(`forget:${input.reminderIds.join(',')}`);
    },
    async tellReminders(input) {
      calls.push(`tell:${input.reminderIds.join(',')}${input.forget ? ':forget' : ''}`);
    },
  };
  const workflowId = `calendar-sync-unit-${randomUUID()}`;
  const result = await env.withWorker(activities, async (taskQueue) => {
    const handle = await env.client.workflow.start('syncCalendarWorkflow', { taskQueue, workflowId, args: [{ tenantId: randomUUID(), connectionId: randomUUID(), intervalMs: 50 }] });
    if (opts.during) await opts.during(workflowId);
    return (await handle.result()) as CalendarSyncProgress;
  });
  return { calls, result, pullInputs };
}

describe('syncCalendarWorkflow', () => {
  it('pulls in full again after a stale token, pushes, records a pass that changed something, and stops when the grant is revoked', async () => {
    const { calls, result, pullInputs } = await run([{ state: 'reset' }, done({ full: true, created: 5, pages: 2 }), done(), { state: 'stopped', status: 'needs_reauth' }]);
    expect(calls).toEqual(['pull:reset', 'pull:done', 'push', 'record', 'pull:done', 'push', 'pull:stopped']);
    // Every pull leaves the reminders to tell for the run to forget once told.
    expect(pullInputs.every((i) => (i as { keepTold?: boolean }).keepTold === true)).toBe(true);
    expect(result).toMatchObject({ state: 'stopped', passes: 2, resets: 1, created: 5, pages: 3 });
  });

  it('does a pass when asked and revokes when disconnected', async () => {
    const { calls, result } = await run([], {
      during: async (id) => {
        const handle = env.client.workflow.getHandle(id);
        await handle.signal('syncNow');
        await handle.signal('disconnect');
      },
    });
    expect(calls.at(-1)).toBe('disconnect');
    expect(calls.filter((c) => c === 'disconnect')).toHaveLength(1);
    expect(result.state).toBe('stopped');
  });

  it('keeps syncing when the token goes stale twice in one pass: the next pass tries again', async () => {
    const { calls, result } = await run([{ state: 'reset' }, { state: 'reset' }, done({ full: true, created: 1 }), { state: 'stopped', status: 'needs_reauth' }]);
    expect(calls).toEqual(['pull:reset', 'pull:reset', 'pull:done', 'push', 'record', 'pull:stopped']);
    expect(result).toMatchObject({ state: 'stopped', passes: 1, resets: 1, created: 1 });
  });

  it('tells every reminder whose event changed in one step, which also takes them off the connection', async () => {
    const reminders = [randomUUID(), randomUUID()];
    const { calls } = await run([done({ updated: 2, reminders }), done(), { state: 'stopped', status: 'needs_reauth' }]);
    // Signal-With-Start rows (an open run plans again, an ended one is restarted), and only for a pass that changed reminders.
    expect(calls).toEqual(['pull:done', 'push', `tell:${reminders.join(',')}:forget`, 'record', 'pull:done', 'push', 'pull:stopped']);
  });

  it('tries a pass that failed through all its retries again on the next one', async () => {
    // Its retries used up (non-retryable here, so the test does not wait them out).
    const failure = ApplicationFailure.nonRetryable('Google is down', 'ProviderUnavailable');
    const { calls, result } = await run([failure, done({ updated: 2 }), { state: 'stopped', status: 'needs_reauth' }]);
    expect(calls).toEqual(['pull:error', 'pull:done', 'push', 'record', 'pull:stopped']);
    expect(result).toMatchObject({ updated: 2, state: 'stopped' });
  });
});
