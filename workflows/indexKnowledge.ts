import { ActivityFailure, ApplicationFailure, proxyActivities, setHandler } from '@temporalio/workflow';
import type { KnowledgeActivities } from '../activities/knowledge.ts';
import { presets } from './activityOptions.ts';
import { knowledgeIndexProgressQuery, type KnowledgeIndexInput, type KnowledgeIndexProgress } from './indexKnowledge.client.ts';

// Fetching a page or reading a PDF is an outside call; embedding heartbeats per batch, so a
// dead worker is noticed in 30 s and the retry starts the document again.
const { loadKnowledgeSource } = proxyActivities<KnowledgeActivities>(presets.providerCall);
const { embedKnowledgeChunks } = proxyActivities<KnowledgeActivities>({ ...presets.providerCall, startToCloseTimeout: '30 minutes', heartbeatTimeout: '30 seconds' });
const { failKnowledgeDocument } = proxyActivities<KnowledgeActivities>(presets.database);

/**
 * Indexing of one revision of a knowledge-base document (ID `knowledge-index-<id>-r<n>`):
 * its text (given, fetched through the outbound guard, or extracted from the upload),
 * split into passages, embedded where a passage is new, and swapped in in one
 * transaction. A source that cannot work (refused URL, unsupported file) fails the
 * document with the reason; a newer revision makes this run stop as `superseded`.
 */
export async function indexKnowledgeWorkflow(input: KnowledgeIndexInput): Promise<KnowledgeIndexProgress> {
  const progress: KnowledgeIndexProgress = { state: 'loading', chunks_total: 0, chunks_embedded: 0, chunks_reused: 0, embedding_model: null, error: null };
  setHandler(knowledgeIndexProgressQuery, () => progress);
  try {
    if ((await loadKnowledgeSource(input)).superseded) return { ...progress, state: 'superseded' };
    progress.state = 'indexing';
    const outcome = await embedKnowledgeChunks(input);
    if (outcome.superseded) return { ...progress, state: 'superseded' };
    Object.assign(progress, { state: 'ready', chunks_total: outcome.chunks_total, chunks_embedded: outcome.chunks_embedded, chunks_reused: outcome.chunks_reused, embedding_model: outcome.embedding_model });
    return progress;
  } catch (err) {
    // A refusal, or retries used up: the document says why instead of indexing forever.
    if (!(err instanceof ActivityFailure)) throw err;
    const reason = err.cause instanceof ApplicationFailure ? err.cause.message : (err.cause?.message ?? err.message);
    progress.state = 'failed';
    progress.error = reason;
    await failKnowledgeDocument(input, reason);
    return progress;
  }
}
