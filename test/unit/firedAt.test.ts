import { describe, expect, it } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { firedAt, type FireInput, type FireOutcome } from '../../activities/reminders.ts';

/** The armed fire step's wait: it fires at its time, never before, however the worker's timers round. */
describe('firedAt', () => {
  it('never fires before its time (200 steps armed a few milliseconds ahead)', async () => {
    const early: number[] = [];
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const at = Date.now() + 1 + (i % 20);
        const step = firedAt(async (input: FireInput): Promise<FireOutcome> => {
          if (Date.now() < at) early.push(at - Date.now());
          expect(input).toEqual({ tenantId: 't', reminderId: `r${i}`, dueAt: 'd', version: 1 });
          return { state: 'ended', status: 'sent' };
        });
        expect(await new MockActivityEnvironment().run(step, { tenantId: 't', reminderId: `r${i}`, dueAt: 'd', version: 1, at: new Date(at).toISOString() })).toEqual({ state: 'ended', status: 'sent' });
      }),
    );
    expect(early).toEqual([]);
  });

  it('sleeps again when its sleep ends before the clock reaches its time (as a Node timer may, by a millisecond or two)', async () => {
    let firedAtMs = 0;
    const sleeps: number[] = [];
    // A sleep that ends short (by more than a real timer would, so that it surely does).
    const shortSleep = (ms: number) => {
      sleeps.push(ms);
      return new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms - 10)));
    };
    const step = firedAt(async () => {
      firedAtMs = Date.now();
      return { state: 'ended', status: 'sent' };
    }, shortSleep);
    const at = Date.now() + 30;
    await new MockActivityEnvironment().run(step, { tenantId: 't', reminderId: 'r', dueAt: 'd', version: 1, at: new Date(at).toISOString() });
    expect(firedAtMs).toBeGreaterThanOrEqual(at);
    expect(sleeps.length).toBeGreaterThan(1);
  });

  it('fires at once when its time has passed (a retry after its worker died)', async () => {
    let calls = 0;
    const step = firedAt(async () => {
      calls += 1;
      return { state: 'replan' };
    });
    const started = Date.now();
    expect(await new MockActivityEnvironment({ attempt: 2 }).run(step, { tenantId: 't', reminderId: 'r', dueAt: 'd', version: 1, at: new Date(started - 60_000).toISOString() })).toEqual({ state: 'replan' });
    expect(calls).toBe(1);
  });
});
