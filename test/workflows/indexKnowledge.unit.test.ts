import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/activity';
import type { EmbedOutcome, KnowledgeActivities } from '../../activities/knowledge.ts';
import type { KnowledgeIndexInput } from '../../workflows/indexKnowledge.client.ts';
import { workflowTestEnv } from '../support/workflowWorker.ts';

/**
 * The indexing workflow's logic with its activities mocked: load then embed, stop as
 * `superseded` when a newer revision took over, and fail the document with the reason
 * when the source is refused (at once) or keeps failing (after its retries).
 */
let env: Awaited<ReturnType<typeof workflowTestEnv>>;
beforeAll(async () => {
  env = await workflowTestEnv();
});
afterAll(() => env.close());

type Mocks = Partial<Pick<KnowledgeActivities, 'loadKnowledgeSource' | 'embedKnowledgeChunks'>>;

async function run(mocks: Mocks) {
  const calls: string[] = [];
  const failed: Array<{ ref: KnowledgeIndexInput; reason: string }> = [];
  const ready: EmbedOutcome = { superseded: false, chunks_total: 4, chunks_embedded: 1, chunks_reused: 3, embedding_model: 'local-hash-v1' };
  const activities = {
    async loadKnowledgeSource(ref: KnowledgeIndexInput) {
      calls.push('load');
      return mocks.loadKnowledgeSource ? mocks.loadKnowledgeSource(ref) : { superseded: false };
    },
    async embedKnowledgeChunks(ref: KnowledgeIndexInput) {
      calls.push('embed');
      return mocks.embedKnowledgeChunks ? mocks.embedKnowledgeChunks(ref) : ready;
    },
    async failKnowledgeDocument(ref: KnowledgeIndexInput, reason: string) {
      calls.push('fail');
      failed.push({ ref, reason });
    },
  };
  const input = { tenantId: randomUUID(), documentId: randomUUID(), revision: 3 };
  const result = await env.withWorker(activities, async (taskQueue) =>
    env.client.workflow.execute('indexKnowledgeWorkflow', { taskQueue, workflowId: `knowledge-index-${input.documentId}-r3`, args: [input] }),
  );
  return { result, calls, failed, input };
}

describe('indexKnowledgeWorkflow', () => {
  it('loads the source, embeds, and reports the counts', async () => {
    const { result, calls } = await run({});
    expect(calls).toEqual(['load', 'embed']);
    expect(result).toEqual({ state: 'ready', chunks_total: 4, chunks_embedded: 1, chunks_reused: 3, embedding_model: 'local-hash-v1', error: null });
  });

  it('stops as superseded when a newer revision took over, before or after loading', async () => {
    const early = await run({ loadKnowledgeSource: async () => ({ superseded: true }) });
    expect(early.calls).toEqual(['load']);
    expect(early.result).toMatchObject({ state: 'superseded' });
    const late = await run({ embedKnowledgeChunks: async () => ({ superseded: true, chunks_total: 0, chunks_embedded: 0, chunks_reused: 0, embedding_model: 'm' }) });
    expect(late.calls).toEqual(['load', 'embed']);
    expect(late.result).toMatchObject({ state: 'superseded' });
  });

  it('fails the document with the reason of a refused source, without retrying it', async () => {
    const { result, calls, failed, input } = await run({
      loadKnowledgeSource: async () => {
        throw ApplicationFailure.nonRetryable('http://10.0.0.1/ was refused: private address', 'KnowledgeSourceRefused');
      },
    });
    expect(calls).toEqual(['load', 'fail']);
    expect(failed).toEqual([{ ref: input, reason: 'http://10.0.0.1/ was refused: private address' }]);
    expect(result).toMatchObject({ state: 'failed', error: 'http://10.0.0.1/ was refused: private address' });
  });
});
