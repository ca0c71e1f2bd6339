/** Turns text into vectors for the knowledge base. Implementations: OpenAI-compatible, local ONNX model, and the hash fallback. */
export interface EmbeddingProvider {
  /** "openai:text-embedding-3-small", "onnx:<folder name>", "local-hash-v1": stored with each vector. */
  readonly model: string;
  readonly dimension: number;
  /** Cosine of unrelated texts (floor) and of near-duplicates (ceiling) for this model, used to calibrate similarity to [0,1]. */
  readonly calibration: { floor: number; ceiling: number };
  /** One L2-normalised vector per text, in order. Throws ProviderError on failure. */
  embed(texts: string[], options?: { signal?: AbortSignal }): Promise<number[][]>;
}
