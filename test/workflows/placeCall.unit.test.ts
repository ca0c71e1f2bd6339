import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { VoiceCallActivities } from '../../activities/voiceCalls.ts';
import type { CallProgress, EndAnswer } from '../../workflows/placeCall.client.ts';
import { workflowTestEnv } from '../support/workflowWorker.ts';

/**
 * The call workflow's attempts with its activities mocked (waits of 50 ms): busy then
 * answered on the next attempt, no answer until the budget is spent (one budget for every
 * reason), voicemail ending it, a refusal before dialling, and a dial planned later.
 */
let env: Awaited<ReturnType<typeof workflowTestEnv>>;
beforeAll(async () => {
  env = await workflowTestEnv();
});
afterAll(() => env.close());

const context = { agentName: 'Sarah', businessName: 'Acme', leadName: 'John', leadCompany: null, purpose: null };

async function run(opts: { dials: string[]; plan?: Array<{ at: string | null; refused: string | null }>; maxAttempts?: number; talk?: boolean; refused?: string }) {
  const calls: string[] = [];
  const dials = [...opts.dials];
  const plans = [...(opts.plan ?? [])];
  let finished: { outcome: string; reason: string | null } | null = null;
  const activities: Partial<VoiceCallActivities> = {
    async planDial() {
      calls.push('plan');
      return plans.shift() ?? { at: new Date().toISOString(), refused: null };
    },
    async dialCall({ attempt }) {
      // As the real step: consent is checked before anything is dialled.
      if (opts.refused) {
        calls.push(`refused: ${opts.refused}`);
        return { outcome: opts.refused, providerCallId: null, reason: null };
      }
      const outcome = dials.shift() ?? 'failed';
      calls.push(`dial ${attempt}: ${outcome}`);
      return { outcome, providerCallId: null, reason: null };
    },
    async saveTranscript({ transcript }) {
      calls.push(`saved ${transcript.length} turns`);
    },
    async finishCall({ outcome, reason }) {
      calls.push(`finish: ${outcome}`);
      finished = { outcome, reason };
      const summary = { duration_minutes: 0, total_exchanges: 0, conversation_state: 'greeting' as const, objections_raised: [], interest_signals: [], overall_sentiment: 0, recommendation: '' };
      return { success: true, call_id: 'c', status: outcome === 'answered' ? 'completed' : outcome, summary, analytics: { conversion_probability: 0, engagement_score: 0, total_turns: 0, avg_sentiment: 0 } } satisfies EndAnswer;
    },
  };
  const workflowId = `call-unit-${randomUUID()}`;
  const result = await env.withWorker(activities as VoiceCallActivities, async (taskQueue) => {
    const handle = await env.client.workflow.start('placeCallWorkflow', { taskQueue, workflowId, args: [{ tenantId: randomUUID(), callId: randomUUID(), context, maxAttempts: opts.maxAttempts ?? 3, retryDelaysMs: [50] }] });
    await handle.executeUpdate('start', { args: [{}] });
    if (opts.talk) {
      // The local engine answers in the workflow; the transcript is written behind the answer.
      expect(await handle.executeUpdate('respond', { args: [{ text: 'Yes, go ahead' }] })).toMatchObject({ conversation_state: 'discovery', should_continue: true, analysis: { interest_signals: ['verbal_interest'] } });
      await handle.executeUpdate('end', { args: [{ reason: 'completed' }] });
    }
    return (await handle.result()) as CallProgress;
  });
  return { calls, result, finished };
}

describe('placeCallWorkflow', () => {
  it('tries again after busy and holds the conversation when answered, dialling at once without a plan first', async () => {
    const { calls, result } = await run({ dials: ['busy', 'answered'], talk: true });
    expect(calls).toEqual(['dial 1: busy', 'dial 2: answered', 'saved 3 turns', 'finish: answered']);
    expect(result).toMatchObject({ status: 'completed', attempt: 2, turns: 3 });
  });

  it('gives up when no answer has used the one attempt budget, whatever the reasons', async () => {
    const { calls, result } = await run({ dials: ['no_answer', 'busy', 'no_answer', 'answered'] });
    expect(calls.filter((c) => c.startsWith('dial'))).toEqual(['dial 1: no_answer', 'dial 2: busy', 'dial 3: no_answer']);
    expect(calls.at(-1)).toBe('finish: no_answer');
    expect(result).toMatchObject({ status: 'no_answer', attempt: 3 });
  });

  it('stops at a voicemail and does not try again', async () => {
    const { calls } = await run({ dials: ['voicemail', 'answered'] });
    expect(calls).toEqual(['dial 1: voicemail', 'finish: voicemail']);
  });

  it('never dials a person who asked not to be called', async () => {
    const { calls, finished } = await run({ dials: ['answered'], refused: 'do_not_call' });
    expect(calls).toEqual(['refused: do_not_call', 'finish: do_not_call']);
    expect(finished).toEqual({ outcome: 'do_not_call', reason: null });
  });

  it('plans when the dial says not now, waits for the planned time, and dials the same attempt again', async () => {
    const soon = () => new Date(Date.now() + 300).toISOString();
    const { calls, result } = await run({ dials: ['not_now', 'busy', 'no_answer'], plan: [{ at: soon(), refused: null }], maxAttempts: 2 });
    // Planned only once the dial said not now; the retry after busy dials at once again.
    expect(calls).toEqual(['dial 1: not_now', 'plan', 'dial 1: busy', 'dial 2: no_answer', 'finish: no_answer']);
    expect(result.status).toBe('no_answer');
  });

  it('ends outside the calling window when the dial says not now and no time to dial is left', async () => {
    const { calls, finished } = await run({ dials: ['not_now'], plan: [{ at: null, refused: null }] });
    expect(calls).toEqual(['dial 1: not_now', 'plan', 'finish: outside_window']);
    expect(finished).toEqual({ outcome: 'outside_window', reason: null });
  });
});

describe('placeCallWorkflow on a phone network (Twilio)', () => {
  /** A dial that is placed (its outcome to come by webhook), the line's status as `statuses` give it, and what was hung up. */
  async function onTheLine(opts: { statuses: string[]; webhook?: (h: { executeUpdate: (name: string, o: { args: unknown[] }) => Promise<unknown>; query: (name: string) => Promise<unknown> }) => Promise<unknown> }) {
    const calls: string[] = [];
    const statuses = [...opts.statuses];
    const activities: Partial<VoiceCallActivities> = {
      planDial: async () => ({ at: new Date().toISOString(), refused: null }),
      async dialCall({ attempt }) {
        calls.push(`dial ${attempt}`);
        return { outcome: 'placed', providerCallId: `CA${attempt}`, reason: null };
      },
      async lineStatus({ providerCallId }) {
        const status = statuses.shift() ?? 'ringing';
        calls.push(`status ${providerCallId}: ${status}`);
        return { status, answeredBy: null };
      },
      async hangUp({ providerCallId }) {
        calls.push(`hang up ${providerCallId}`);
      },
      async settleAttempt({ attempt, outcome, providerCallId }) {
        calls.push(`attempt ${attempt}: ${outcome}`);
        return { outcome, providerCallId, reason: null };
      },
      async saveTranscript() {},
      async finishCall({ outcome }) {
        calls.push(`finish: ${outcome}`);
        const summary = { duration_minutes: 0, total_exchanges: 0, conversation_state: 'greeting' as const, objections_raised: [], interest_signals: [], overall_sentiment: 0, recommendation: '' };
        return { success: true, call_id: 'c', status: outcome, summary, analytics: { conversion_probability: 0, engagement_score: 0, total_turns: 0, avg_sentiment: 0 } } satisfies EndAnswer;
      },
    };
    const workflowId = `call-unit-${randomUUID()}`;
    const answer = await env.withWorker(activities as VoiceCallActivities, async (taskQueue) => {
      const handle = await env.client.workflow.start('placeCallWorkflow', {
        taskQueue,
        workflowId,
        args: [{ tenantId: randomUUID(), callId: randomUUID(), context, maxAttempts: 1, retryDelaysMs: [50], lineCheckMs: opts.webhook ? 5_000 : 50, voicemailMessage: 'Please call us back.' }],
      });
      await handle.executeUpdate('start', { args: [{}] });
      const said = opts.webhook ? await opts.webhook(handle) : null;
      await handle.result();
      return said;
    });
    return { calls, answer };
  }

  it('asks about a line that rings on with no news, and hangs it up as failed after five checks', async () => {
    const { calls } = await onTheLine({ statuses: [] });
    expect(calls).toEqual(['dial 1', ...Array.from({ length: 5 }, () => 'status CA1: ringing'), 'hang up CA1', 'attempt 1: failed', 'finish: failed']);
  });

  it('takes the outcome from a status check when the callback was lost', async () => {
    const { calls } = await onTheLine({ statuses: ['ringing', 'busy'] });
    expect(calls).toEqual(['dial 1', 'status CA1: ringing', 'status CA1: busy', 'attempt 1: busy', 'finish: busy']);
  });

  it('leaves the voicemail message on a machine, and refuses a second answer for the same attempt', async () => {
    const { calls, answer } = await onTheLine({
      statuses: [],
      webhook: async (h) => {
        // Twilio answers only once the dial was placed.
        while (((await h.query('progress')) as CallProgress).status !== 'dialing') await new Promise((r) => setTimeout(r, 5));
        const first = await h.executeUpdate('connect', { args: [{ attempt: 1, call_sid: 'CA1', answered_by: 'machine_end_beep' }] });
        await expect(h.executeUpdate('connect', { args: [{ attempt: 1, call_sid: 'CA1', answered_by: 'human' }] })).rejects.toThrow();
        return first;
      },
    });
    expect(answer).toEqual({ action: 'voicemail', say: 'Please call us back.' });
    expect(calls).toEqual(['dial 1', 'attempt 1: voicemail', 'finish: voicemail']);
  });
});
