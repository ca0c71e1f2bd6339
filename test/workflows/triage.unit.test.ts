import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Classification, MessageReview, TriageActivities, TriageOutcome } from '../../activities/triage.ts';
import type { DraftOutcome, KnowledgeActivities } from '../../activities/knowledge.ts';
import { reviewSignal, reviewUpdate, triageProgressQuery } from '../../workflows/triageMessage.client.ts';
import type { TriageMessageResult } from '../../workflows/triageMessage.ts';
import { aTriageResult } from '../support/triage.ts';
import { workflowTestEnv } from '../support/workflowWorker.ts';

/** The triage workflow's decisions with its activities mocked: no API, no database, no LLM. */
let env: Awaited<ReturnType<typeof workflowTestEnv>>;
beforeAll(async () => {
  env = await workflowTestEnv();
});
afterAll(() => env.close());

const outcome = (over: Partial<TriageOutcome> = {}): TriageOutcome => ({
  status: 'triaged',
  category: 'sales_inquiry',
  contactId: null,
  contactCreated: false,
  leadId: null,
  leadCreated: false,
  eventIds: [],
  taskIds: [],
  ...over,
});

function mocks(applied: TriageOutcome & { draftable?: boolean }, draft: () => Promise<DraftOutcome> = async () => ({ drafted: true, sources: 1, by: 'mock' })) {
  const reviews: MessageReview[] = [];
  const drafts: string[] = [];
  const activities: TriageActivities & Pick<KnowledgeActivities, 'draftKnowledgeReply'> = {
    async draftKnowledgeReply({ messageId }) {
      drafts.push(messageId);
      return draft();
    },
    async classifyMessage(): Promise<Classification> {
      return { result: aTriageResult(), classifier: 'mock', fallbackReason: null };
    },
    async applyTriage() {
      return applied;
    },
    async applyReview({ review }) {
      reviews.push(review);
      return outcome({ status: review.status ?? 'triaged', category: review.category ?? applied.category, leadId: 'lead-1', leadCreated: true });
    },
  };
  return { activities, reviews, drafts };
}

const start = (taskQueue: string, reviewTimeoutSeconds = 60) =>
  env.client.workflow.start('triageMessageWorkflow', {
    taskQueue,
    workflowId: `triage-unit-${randomUUID()}`,
    args: [{ tenantId: randomUUID(), messageId: randomUUID(), reviewTimeoutSeconds }],
  });

async function awaitingReview(handle: Awaited<ReturnType<typeof start>>) {
  for (let i = 0; i < 100; i++) {
    if ((await handle.query(triageProgressQuery)).step === 'awaiting_review') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('triage never waited for review');
}

describe('triageMessageWorkflow', () => {
  it('applies a confident triage and needs no review', async () => {
    const { activities, reviews, drafts } = mocks(outcome());
    const result = await env.withWorker(activities, async (q) => (await start(q)).result());
    expect(result).toMatchObject({ review: 'not_needed', classifier: 'mock', status: 'triaged' });
    expect(reviews).toEqual([]);
    expect(drafts).toHaveLength(1);
  });

  it('skips the draft step when the apply says nothing could be drafted (spam, no indexed knowledge), and leaves the hint out of the result', async () => {
    const { activities, drafts } = mocks({ ...outcome(), draftable: false });
    const result = await env.withWorker(activities, async (q) => (await start(q)).result());
    expect(result).toMatchObject({ review: 'not_needed', status: 'triaged' });
    expect(result).not.toHaveProperty('draftable');
    expect(drafts).toEqual([]);
    const drafting = mocks({ ...outcome(), draftable: true });
    await env.withWorker(drafting.activities, async (q) => (await start(q)).result());
    expect(drafting.drafts).toHaveLength(1);
  });

  it('goes on without a draft when drafting a reply keeps failing, after three tries', async () => {
    const { activities, drafts } = mocks(outcome(), async () => {
      throw new Error('knowledge base unreachable');
    });
    const result = await env.withWorker(activities, async (q) => (await start(q)).result());
    expect(result).toMatchObject({ review: 'not_needed', status: 'triaged' });
    expect(drafts).toHaveLength(3);
  });

  it('waits for a review, takes it as an Update, and answers with what the activity applied', async () => {
    const { activities, reviews } = mocks(outcome({ status: 'needs_review', category: 'other' }));
    const { answer, result } = await env.withWorker(activities, async (q) => {
      const handle = await start(q);
      await awaitingReview(handle);
      const answer = await handle.executeUpdate(reviewUpdate, { args: [{ category: 'sales_inquiry' }] });
      return { answer, result: (await handle.result()) as TriageMessageResult };
    });
    expect(reviews).toEqual([{ category: 'sales_inquiry' }]);
    expect(answer).toMatchObject({ status: 'triaged', category: 'sales_inquiry', leadCreated: true });
    expect(result).toMatchObject({ review: 'applied', leadCreated: true });
  });

  it('refuses, by its validator, a review that sets a status no person may, one before the wait, and a second one', async () => {
    const { activities, reviews } = mocks(outcome({ status: 'needs_review', category: 'other' }));
    const kinds = await env.withWorker(activities, async (q) => {
      const handle = await start(q);
      const typeOf = (e: unknown) => (e as { cause?: { type?: string } }).cause?.type ?? (e as Error).name;
      const early = await handle.executeUpdate(reviewUpdate, { args: [{ status: 'resolved' }] }).catch(typeOf);
      await awaitingReview(handle);
      const invalid = await handle.executeUpdate(reviewUpdate, { args: [{ status: 'needs_review' }] }).catch(typeOf);
      // Two people at once: one review is applied, the other is told nothing waits any more.
      const both = await Promise.allSettled([
        handle.executeUpdate(reviewUpdate, { args: [{ status: 'spam' }] }),
        handle.executeUpdate(reviewUpdate, { args: [{ status: 'resolved' }] }),
      ]);
      await handle.result();
      const after = await handle.executeUpdate(reviewUpdate, { args: [{ status: 'resolved' }] }).catch(typeOf);
      return { early, invalid, both: both.map((r) => (r.status === 'fulfilled' ? 'applied' : typeOf(r.reason))).sort(), after };
    });
    expect(kinds).toEqual({ early: 'NotAwaitingReview', invalid: 'InvalidReview', both: ['NotAwaitingReview', 'applied'], after: 'WorkflowNotFoundError' });
    expect(reviews).toHaveLength(1);
  });

  it('stops waiting when nobody reviews in time', async () => {
    const { activities, reviews } = mocks(outcome({ status: 'needs_review', category: 'other' }));
    const result = await env.withWorker(activities, async (q) => (await start(q, 1)).result());
    expect(result).toMatchObject({ review: 'timed_out', status: 'needs_review' });
    expect(reviews).toEqual([]);
  });

  it('still takes the review signal of runs started before the Update existed', async () => {
    const { activities, reviews } = mocks(outcome({ status: 'needs_review', category: 'other' }));
    const result = await env.withWorker(activities, async (q) => {
      const handle = await start(q);
      await awaitingReview(handle);
      await handle.signal(reviewSignal, { status: 'resolved' });
      return handle.result();
    });
    expect(reviews).toEqual([{ status: 'resolved' }]);
    expect(result).toMatchObject({ review: 'applied' });
  });
});
