/**
 * Embeddings from a sentence model on local disk (a Hugging Face folder exported to ONNX:
 * config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx), run on the CPU by
 * @huggingface/transformers. No network: files are only ever read from the folder.
 *
 * The folder is checked when the provider is created, so a wrong EMBEDDINGS_MODEL_PATH
 * stops start-up with a message saying what is missing, instead of failing the first
 * ingestion. The library itself (and onnxruntime's native binding) is imported only on the
 * first embed(), so deployments that never use this provider never load it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { FeatureExtractionPipeline } from '@huggingface/transformers';
import { ProviderError } from '../errors.ts';
import type { EmbeddingProvider } from './types.ts';
import { l2Normalise } from './vectors.ts';

export interface OnnxEmbeddingsOptions {
  /** EMBEDDINGS_MODEL_PATH: the model folder. */
  modelPath: string;
}

const PROVIDER = 'onnx';

/** Sentence models run well below 0.15 for unrelated texts and above 0.85 for paraphrases (all-MiniLM, bge-small, e5-small). */
const ONNX_CALIBRATION = { floor: 0.15, ceiling: 0.85 } as const;

/** Texts per forward pass: the batch is padded to its longest text, so large batches waste memory on padding. */
const TEXTS_PER_RUN = 32;

/**
 * The weight files transformers.js can load, best first, with the dtype that selects each.
 * Exports often ship only a quantized file, so the first one present is used.
 */
const MODEL_FILES = [
  { file: 'model.onnx', dtype: 'fp32' },
  { file: 'model_quantized.onnx', dtype: 'q8' },
  { file: 'model_fp16.onnx', dtype: 'fp16' },
  { file: 'model_int8.onnx', dtype: 'int8' },
  { file: 'model_uint8.onnx', dtype: 'uint8' },
] as const;

interface ModelFolder {
  path: string;
  dtype: (typeof MODEL_FILES)[number]['dtype'];
  dimension: number;
}

/** Validates the folder and reads what is needed before loading: which weights, and the vector size. */
export function inspectModelFolder(modelPath: string): ModelFolder {
  // Absolute, because transformers.js treats a relative "org/name" as a Hub id under its own models directory.
  const path = resolve(modelPath);
  const problem = (what: string): Error => new Error(`EMBEDDINGS_MODEL_PATH "${modelPath}" ${what}`);
  if (!existsSync(path)) throw problem('does not exist');
  if (!statSync(path).isDirectory()) throw problem('is not a folder');

  const configPath = join(path, 'config.json');
  if (!existsSync(configPath)) throw problem('has no config.json; expected a Hugging Face model folder exported to ONNX');
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw problem(`has an unreadable config.json: ${error instanceof Error ? error.message : String(error)}`);
  }
  // transformers.js silently skips the tokenizer unless both files are present, then fails obscurely at the first embed.
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) {
    if (!existsSync(join(path, file))) throw problem(`has no ${file}`);
  }

  const weights = MODEL_FILES.find(({ file }) => existsSync(join(path, 'onnx', file)));
  if (!weights) throw problem(`has no model: expected one of ${MODEL_FILES.map(({ file }) => `onnx/${file}`).join(', ')}`);

  // Mean pooling keeps the hidden size; its name depends on the architecture family.
  const dimension = [config.hidden_size, config.dim, config.d_model].find((value) => typeof value === 'number' && Number.isInteger(value) && value > 0);
  if (typeof dimension !== 'number') throw problem('has a config.json without hidden_size (or dim, d_model), so the vector size is unknown');
  return { path, dtype: weights.dtype, dimension };
}

/** The pipeline for `folder`, loaded from disk only. */
async function loadPipeline(folder: ModelFolder): Promise<FeatureExtractionPipeline> {
  const { pipeline } = await import('@huggingface/transformers');
  return pipeline('feature-extraction', folder.path, { local_files_only: true, dtype: folder.dtype, device: 'cpu' });
}

/**
 * An EmbeddingProvider named "onnx:<folder name>". Throws at creation when the folder is
 * not a usable model. The model is loaded on first use and kept; a failed load is not
 * cached, so the next call tries again.
 */
export function createOnnxEmbeddings(options: OnnxEmbeddingsOptions): EmbeddingProvider {
  const folder = inspectModelFolder(options.modelPath);
  const model = `${PROVIDER}:${basename(folder.path)}`;
  let loading: Promise<FeatureExtractionPipeline> | null = null;

  const extractor = (): Promise<FeatureExtractionPipeline> => {
    loading ??= loadPipeline(folder).catch((error: unknown) => {
      loading = null;
      // The folder passed inspection, so a load failure is a broken or unsupported model: retrying will not help.
      throw new ProviderError(PROVIDER, 'rejected', `could not load the ONNX model at ${folder.path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    return loading;
  };

  return {
    model,
    dimension: folder.dimension,
    calibration: ONNX_CALIBRATION,
    async embed(texts: string[], callOptions?: { signal?: AbortSignal }): Promise<number[][]> {
      if (texts.length === 0) return [];
      const signal = callOptions?.signal;
      signal?.throwIfAborted();
      const run = await extractor();
      const vectors: number[][] = [];
      for (let start = 0; start < texts.length; start += TEXTS_PER_RUN) {
        // Inference cannot be interrupted, so cancellation is honoured between runs.
        signal?.throwIfAborted();
        const batch = texts.slice(start, start + TEXTS_PER_RUN);
        let output: Awaited<ReturnType<FeatureExtractionPipeline>>;
        try {
          output = await run(batch, { pooling: 'mean', normalize: true });
        } catch (error) {
          throw new ProviderError(PROVIDER, 'rejected', `ONNX model ${model} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
        const [rows, width] = output.dims;
        if (rows !== batch.length || width !== folder.dimension) {
          throw new ProviderError(PROVIDER, 'rejected', `ONNX model ${model} produced ${rows}x${width} embeddings for ${batch.length} texts, expected ${folder.dimension} dimensions`);
        }
        const data = output.data as Float32Array;
        for (let row = 0; row < rows; row += 1) vectors.push(l2Normalise(data.subarray(row * width, (row + 1) * width), PROVIDER, width));
      }
      return vectors;
    },
  };
}
