/**
 * Embeddings through an OpenAI-compatible `/embeddings` endpoint, using the real openai
 * client and the same error mapping as the triage classifier.
 *
 * The dimension is known when the provider is created, never learned from a first call:
 * whoever stores vectors needs it up front (to size columns, and to notice a model change
 * before mixing incompatible vectors), and probing at start-up would make a worker's boot
 * depend on the API being up. So it comes from the table of OpenAI's own models, or from
 * the `dimension` option for anything else; every answer is then checked against it.
 */
import OpenAI from 'openai';
import type { CreateEmbeddingResponse, EmbeddingCreateParams } from 'openai/resources/embeddings';
import { ProviderError } from '../errors.ts';
import { toProviderError } from '../llm/openaiErrors.ts';
import type { EmbeddingProvider } from './types.ts';
import { l2Normalise } from './vectors.ts';

export interface OpenAiEmbeddingsOptions {
  apiKey: string;
  /** For OpenAI-compatible servers (gateways, local model servers, test fakes), e.g. "http://127.0.0.1:8080/v1". */
  baseURL?: string;
  model: string;
  /** Per request (one batch), covering connect, response headers and body. */
  timeoutMs: number;
  /**
   * Required for models not in OPENAI_EMBEDDING_DIMENSIONS. For text-embedding-3-* a value
   * below the native size is sent as `dimensions`, which OpenAI honours by shortening.
   */
  dimension?: number;
}

const PROVIDER = 'openai';

/** OpenAI answers at most 2048 inputs per request, but smaller batches keep each request well inside the timeout and the token limit. */
export const MAX_INPUTS_PER_REQUEST = 64;

/** Native sizes of OpenAI's embedding models. */
export const OPENAI_EMBEDDING_DIMENSIONS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

/** Typical of OpenAI's models: unrelated texts rarely score below 0.2, paraphrases rarely above 0.75. */
const OPENAI_CALIBRATION = { floor: 0.2, ceiling: 0.75 } as const;

/** Only the text-embedding-3 family accepts `dimensions`; other servers may reject the unknown field. */
const SHORTENABLE = /^text-embedding-3-/;

function resolveDimension(model: string, requested: number | undefined): { dimension: number; sendDimensions: boolean } {
  const native = OPENAI_EMBEDDING_DIMENSIONS[model];
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested <= 0) throw new Error(`Embedding dimension must be a positive integer, got ${requested}`);
    if (native !== undefined && requested > native) throw new Error(`${model} produces at most ${native} dimensions, ${requested} were asked for`);
    return { dimension: requested, sendDimensions: native !== undefined && requested !== native && SHORTENABLE.test(model) };
  }
  if (native === undefined) {
    throw new Error(`The dimension of embedding model "${model}" is unknown; set it explicitly (known models: ${Object.keys(OPENAI_EMBEDDING_DIMENSIONS).join(', ')})`);
  }
  return { dimension: native, sendDimensions: false };
}

/** The vectors of one answer, in input order, normalised; throws ProviderError when the answer does not fit the request. */
export function parseEmbeddingResponse(response: CreateEmbeddingResponse, inputCount: number, dimension: number): number[][] {
  const data = response?.data;
  if (!Array.isArray(data)) throw new ProviderError(PROVIDER, 'malformed_response', 'embedding response has no data array');
  if (data.length !== inputCount) {
    throw new ProviderError(PROVIDER, 'malformed_response', `embedding response has ${data.length} vectors for ${inputCount} inputs`);
  }
  const vectors = new Array<number[] | undefined>(inputCount);
  for (const item of data) {
    // OpenAI returns data in input order, but `index` is the contract; compatible servers have been seen to reorder.
    const index = item?.index;
    if (!Number.isInteger(index) || index < 0 || index >= inputCount || vectors[index] !== undefined) {
      throw new ProviderError(PROVIDER, 'malformed_response', `embedding response has a missing, duplicate or out-of-range index (${String(index)})`);
    }
    if (!Array.isArray(item.embedding)) {
      // A string here means the server ignored encoding_format "float" and sent base64.
      throw new ProviderError(PROVIDER, 'malformed_response', `embedding ${index} is not an array of floats`);
    }
    vectors[index] = l2Normalise(item.embedding, PROVIDER, dimension);
  }
  return vectors as number[][];
}

/**
 * An EmbeddingProvider named "openai:<model>". Inputs are sent in batches of at most
 * MAX_INPUTS_PER_REQUEST, one after another so a large document does not burst through the
 * rate limit. As with the classifier, the SDK does not retry (maxRetries 0): the activity
 * owns retries and uses ProviderError.retryAfterMs for 429s. Caller cancellation rethrows
 * the signal's reason, so Temporal sees a cancellation rather than a provider failure.
 */
export function createOpenAiEmbeddings(options: OpenAiEmbeddingsOptions): EmbeddingProvider {
  const { dimension, sendDimensions } = resolveDimension(options.model, options.dimension);
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    maxRetries: 0,
    timeout: options.timeoutMs,
  });
  const secrets = [options.apiKey];

  async function embedBatch(batch: string[], signal: AbortSignal | undefined): Promise<number[][]> {
    const params: EmbeddingCreateParams = {
      model: options.model,
      input: batch,
      // The SDK otherwise asks for base64 and decodes it; floats are what every compatible server supports.
      encoding_format: 'float',
      ...(sendDimensions ? { dimensions: dimension } : {}),
    };
    const startedAt = performance.now();
    let response: CreateEmbeddingResponse;
    try {
      response = await client.embeddings.create(params, { signal });
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      throw toProviderError(error, PROVIDER, secrets, { elapsedMs: performance.now() - startedAt, timeoutMs: options.timeoutMs });
    }
    return parseEmbeddingResponse(response, batch.length, dimension);
  }

  return {
    model: `${PROVIDER}:${options.model}`,
    dimension,
    calibration: OPENAI_CALIBRATION,
    async embed(texts: string[], callOptions?: { signal?: AbortSignal }): Promise<number[][]> {
      const vectors: number[][] = [];
      for (let start = 0; start < texts.length; start += MAX_INPUTS_PER_REQUEST) {
        vectors.push(...(await embedBatch(texts.slice(start, start + MAX_INPUTS_PER_REQUEST), callOptions?.signal)));
      }
      return vectors;
    },
  };
}
