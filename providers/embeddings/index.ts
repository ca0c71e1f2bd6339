/**
 * Picks the embedding model for the deployment: an OpenAI-compatible API when a model and
 * key are configured, else a local ONNX model when a folder is given, else the hash
 * fallback, so a fresh checkout works with no credentials and no downloads.
 */
import { createLocalEmbeddings } from './localEmbeddings.ts';
import { createOnnxEmbeddings } from './onnxEmbeddings.ts';
import { createOpenAiEmbeddings } from './openaiEmbeddings.ts';
import type { EmbeddingProvider } from './types.ts';

export type { EmbeddingProvider } from './types.ts';

export interface EmbeddingProviderOptions {
  /** OpenAI (or compatible) API key; used only together with `model`. */
  apiKey?: string | null;
  baseURL?: string | null;
  /** EMBEDDINGS_MODEL, e.g. "text-embedding-3-small". */
  model?: string | null;
  /** EMBEDDINGS_MODEL_PATH: a local ONNX sentence-model folder. */
  modelPath?: string | null;
  /** Vector size, needed only for API models outside OpenAI's own (see OPENAI_EMBEDDING_DIMENSIONS). */
  dimension?: number | null;
  timeoutMs: number;
}

/**
 * OpenAI-compatible when both `model` and `apiKey` are set; else ONNX when `modelPath` is
 * set; else "local-hash-v1". The key alone does not select the API, because it is also the
 * triage classifier's key and embedding with a model nobody chose would be a surprise bill.
 * Throws at creation when the chosen configuration cannot work (unknown dimension, missing
 * model folder), rather than falling back silently to vectors of another model.
 */
export function createEmbeddingProvider(options: EmbeddingProviderOptions): EmbeddingProvider {
  if (options.model && options.apiKey) {
    return createOpenAiEmbeddings({
      apiKey: options.apiKey,
      baseURL: options.baseURL ?? undefined,
      model: options.model,
      timeoutMs: options.timeoutMs,
      dimension: options.dimension ?? undefined,
    });
  }
  if (options.modelPath) return createOnnxEmbeddings({ modelPath: options.modelPath });
  return createLocalEmbeddings();
}
