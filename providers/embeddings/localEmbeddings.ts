/**
 * The offline fallback: feature hashing, no model and no network, so a fresh checkout can
 * ingest and search documents with no configuration. It matches shared words, not meaning,
 * which is why its calibration band is low and narrow.
 */
import { HASH_EMBEDDING_DIM, HASH_EMBEDDING_MODEL, hashEmbedding } from '../../lib/knowledge/hashEmbedding.ts';
import type { EmbeddingProvider } from './types.ts';

/** Unrelated texts share few hashed features (cosine near 0.05); near-duplicates rarely pass 0.6 once wording differs at all. */
const LOCAL_CALIBRATION = { floor: 0.05, ceiling: 0.6 } as const;

/** The "local-hash-v1" provider. Deterministic: the same text always gives the same vector. */
export function createLocalEmbeddings(): EmbeddingProvider {
  return {
    model: HASH_EMBEDDING_MODEL,
    dimension: HASH_EMBEDDING_DIM,
    calibration: LOCAL_CALIBRATION,
    async embed(texts: string[], options?: { signal?: AbortSignal }): Promise<number[][]> {
      // Synchronous work, so the only cancellation point is before it starts.
      options?.signal?.throwIfAborted();
      return texts.map((text) => hashEmbedding(text, HASH_EMBEDDING_DIM));
    },
  };
}
