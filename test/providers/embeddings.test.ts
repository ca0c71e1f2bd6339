import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import protobuf from 'protobufjs';
import { HASH_EMBEDDING_DIM, hashEmbedding } from '../../lib/knowledge/hashEmbedding.ts';
import { createEmbeddingProvider } from '../../providers/embeddings/index.ts';
import { createLocalEmbeddings } from '../../providers/embeddings/localEmbeddings.ts';
import { createOnnxEmbeddings } from '../../providers/embeddings/onnxEmbeddings.ts';
import { MAX_INPUTS_PER_REQUEST, createOpenAiEmbeddings } from '../../providers/embeddings/openaiEmbeddings.ts';
import { ProviderError } from '../../providers/errors.ts';
import { type FakeOpenAi, startFakeOpenAi } from '../fakes/openaiServer.ts';

const API_KEY = 'sk-test-fake-key-1234567890';
const MODEL = 'text-embedding-3-small';

const dot = (a: number[], b: number[]): number => a.reduce((sum, value, i) => sum + value * b[i], 0);
const norm = (a: number[]): number => Math.sqrt(dot(a, a));

/** Awaits `promise`, expecting a ProviderError, and returns it for closer inspection. */
async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a ProviderError, but the call succeeded');
}

const texts = (count: number): string[] => Array.from({ length: count }, (_, i) => `document ${i}: question number ${i} about invoices`);

describe('OpenAI-compatible embeddings (against the fake server)', () => {
  let fake: FakeOpenAi;
  const provider = (overrides: { model?: string; dimension?: number; timeoutMs?: number } = {}) =>
    createOpenAiEmbeddings({ apiKey: API_KEY, baseURL: fake.url, model: overrides.model ?? MODEL, dimension: overrides.dimension, timeoutMs: overrides.timeoutMs ?? 5_000 });

  beforeAll(async () => {
    fake = await startFakeOpenAi();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.embeddingRequests.length = 0;
  });

  it('knows its model, dimension and calibration before any call', () => {
    const embeddings = provider();
    expect(embeddings).toMatchObject({ model: 'openai:text-embedding-3-small', dimension: 1536, calibration: { floor: 0.2, ceiling: 0.75 } });
    expect(createOpenAiEmbeddings({ apiKey: API_KEY, model: 'text-embedding-3-large', timeoutMs: 1_000 }).dimension).toBe(3072);
    expect(createOpenAiEmbeddings({ apiKey: API_KEY, model: 'text-embedding-ada-002', timeoutMs: 1_000 }).dimension).toBe(1536);
    expect(fake.embeddingRequests).toHaveLength(0);
  });

  it('sends 150 texts as 3 requests of at most 64, as floats, and keeps their order', async () => {
    const inputs = texts(150);
    const vectors = await provider().embed(inputs);

    expect(fake.embeddingRequests.map((request) => (request.body.input as string[]).length)).toEqual([64, 64, 22]);
    expect(MAX_INPUTS_PER_REQUEST).toBe(64);
    expect(fake.embeddingRequests.flatMap((request) => request.body.input as string[])).toEqual(inputs);
    for (const request of fake.embeddingRequests) {
      expect(request.path).toBe('/v1/embeddings');
      expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(request.body).toMatchObject({ model: MODEL, encoding_format: 'float' });
      // Native size: nothing to shorten, and compatible servers may not know the field.
      expect(request.body.dimensions).toBeUndefined();
    }

    expect(vectors).toHaveLength(150);
    vectors.forEach((vector, i) => {
      expect(vector).toHaveLength(1536);
      expect(norm(vector)).toBeCloseTo(1, 6);
      // The fake embeds with the hash embedding, so each vector can be traced back to its text.
      expect(dot(vector, hashEmbedding(inputs[i], 1536))).toBeCloseTo(1, 5);
    });
  });

  it('normalises vectors the server did not', async () => {
    fake.enqueue({ body: { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [3, 4, ...new Array<number>(1534).fill(0)] }], model: MODEL, usage: { prompt_tokens: 1, total_tokens: 1 } } });
    const [vector] = await provider().embed(['unnormalised']);
    expect(vector.slice(0, 2)).toEqual([0.6, 0.8]);
  });

  it('places vectors by their index when the server answers out of order', async () => {
    const [a, b] = [hashEmbedding('first', 1536), hashEmbedding('second', 1536)];
    fake.enqueue({ body: { object: 'list', data: [{ object: 'embedding', index: 1, embedding: b }, { object: 'embedding', index: 0, embedding: a }], model: MODEL, usage: { prompt_tokens: 2, total_tokens: 2 } } });
    const vectors = await provider().embed(['first', 'second']);
    expect(dot(vectors[0], a)).toBeCloseTo(1, 6);
    expect(dot(vectors[1], b)).toBeCloseTo(1, 6);
  });

  it('gives similar texts closer vectors than unrelated ones', async () => {
    const [refund, refundAgain, meeting] = await provider().embed(['How do I get a refund for my order?', 'How can I get a refund for my order', 'Office closed on public holidays']);
    expect(dot(refund, refundAgain)).toBeGreaterThan(dot(refund, meeting));
  });

  it('makes no request for no texts', async () => {
    expect(await provider().embed([])).toEqual([]);
    expect(fake.embeddingRequests).toHaveLength(0);
  });

  it('asks text-embedding-3 models for a shorter vector when configured smaller', async () => {
    const embeddings = provider({ dimension: 256 });
    expect(embeddings.dimension).toBe(256);
    const [vector] = await embeddings.embed(['short']);
    expect(fake.embeddingRequests[0].body.dimensions).toBe(256);
    expect(vector).toHaveLength(256);
  });

  it('needs the dimension of models it does not know, and then checks answers against it', async () => {
    expect(() => provider({ model: 'nomic-embed-text' })).toThrow(/dimension of embedding model "nomic-embed-text" is unknown/);
    expect(() => provider({ dimension: 4096 })).toThrow(/at most 1536/);

    const compatible = provider({ model: 'nomic-embed-text', dimension: 1536 });
    expect(compatible.model).toBe('openai:nomic-embed-text');
    expect((await compatible.embed(['fits']))[0]).toHaveLength(1536);
    expect(fake.embeddingRequests[0].body.dimensions).toBeUndefined();

    const wrong = provider({ model: 'nomic-embed-text', dimension: 768 });
    expect(await providerError(wrong.embed(['does not fit']))).toMatchObject({ kind: 'rejected', retryable: false, message: expect.stringMatching(/1536-dimensional vector, expected 768/) });
  });

  it('maps 401 to auth (not retryable) without leaking the key', async () => {
    fake.enqueue({ status: 401, body: { error: { message: `Incorrect API key provided: ${API_KEY}`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } });
    const error = await providerError(provider().embed(['hello']));
    expect(error).toMatchObject({ provider: 'openai', kind: 'auth', retryable: false, status: 401 });
    expect(error.message).not.toContain(API_KEY);
  });

  it('maps 429 to rate_limited with the server\'s delay, leaving the retry to the caller', async () => {
    fake.enqueue({ status: 429, headers: { 'retry-after': '2' } });
    const error = await providerError(provider().embed(['hello']));
    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 2000, status: 429 });
    expect(fake.embeddingRequests).toHaveLength(1);
  });

  it('fails the whole call when a later batch fails', async () => {
    fake.enqueue({});
    fake.enqueue({ status: 500 });
    expect(await providerError(provider().embed(texts(100)))).toMatchObject({ kind: 'unavailable', retryable: true, status: 500 });
    expect(fake.embeddingRequests).toHaveLength(2);
  });

  it('treats an answer that does not fit the request as malformed', async () => {
    fake.enqueue({ body: { object: 'list', data: [{ object: 'embedding', index: 0, embedding: hashEmbedding('one', 1536) }], model: MODEL, usage: { prompt_tokens: 1, total_tokens: 1 } } });
    expect(await providerError(provider().embed(['one', 'two']))).toMatchObject({ kind: 'malformed_response', message: expect.stringMatching(/1 vectors for 2 inputs/) });
    fake.enqueue({ body: { object: 'list', data: [{ object: 'embedding', index: 0, embedding: 'AAAA' }], model: MODEL, usage: { prompt_tokens: 1, total_tokens: 1 } } });
    expect(await providerError(provider().embed(['one']))).toMatchObject({ kind: 'malformed_response' });
  });

  it('maps a timeout to a retryable timeout', async () => {
    fake.enqueue({ delayMs: 1_000 });
    expect(await providerError(provider({ timeoutMs: 100 }).embed(['slow']))).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('rethrows the caller\'s cancellation instead of a ProviderError', async () => {
    fake.enqueue({ delayMs: 1_000 });
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    const call = provider().embed(['cancelled'], { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 50);
    await expect(call).rejects.toBe(reason);
  });
});

describe('fake OpenAI embeddings endpoint', () => {
  let fake: FakeOpenAi;
  beforeAll(async () => {
    fake = await startFakeOpenAi({ embeddingDimension: 32 });
  });
  afterAll(async () => {
    await fake.close();
  });

  const post = async (body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const response = await fetch(`${fake.url}/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  it('answers a single string like OpenAI, with the configured dimension', async () => {
    const { status, json } = await post({ model: 'm', input: 'hello there', encoding_format: 'float' });
    expect(status).toBe(200);
    expect(json).toMatchObject({ object: 'list', model: 'm', data: [{ object: 'embedding', index: 0 }], usage: { prompt_tokens: 3, total_tokens: 3 } });
    expect((json.data as Array<{ embedding: number[] }>)[0].embedding).toEqual(hashEmbedding('hello there', 32));
  });

  it('answers base64 when asked, as the SDK does by default', async () => {
    const { json } = await post({ model: 'm', input: ['hello there'], encoding_format: 'base64' });
    const encoded = (json.data as Array<{ embedding: string }>)[0].embedding;
    const bytes = Buffer.from(encoded, 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    expect(decoded).toHaveLength(32);
    decoded.forEach((value, i) => expect(value).toBeCloseTo(hashEmbedding('hello there', 32)[i], 5));
  });

  it('refuses empty input like OpenAI', async () => {
    expect((await post({ model: 'm', input: [] })).status).toBe(400);
    expect((await post({ model: 'm', input: ['ok', ''] })).status).toBe(400);
  });
});

describe('local hash embeddings', () => {
  it('is the offline default, with its calibration', () => {
    expect(createLocalEmbeddings()).toMatchObject({ model: 'local-hash-v1', dimension: 384, calibration: { floor: 0.05, ceiling: 0.6 } });
    expect(HASH_EMBEDDING_DIM).toBe(384);
  });

  it('returns the hash embedding of each text, normalised, in order', async () => {
    const inputs = ['Refund policy for annual plans', 'Opening hours', 'Refund policy for monthly plans'];
    const vectors = await createLocalEmbeddings().embed(inputs);
    expect(vectors).toEqual(inputs.map((text) => hashEmbedding(text, 384)));
    for (const vector of vectors) expect(norm(vector)).toBeCloseTo(1, 6);
    expect(dot(vectors[0], vectors[2])).toBeGreaterThan(dot(vectors[0], vectors[1]));
  });

  it('does not start when already cancelled', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(createLocalEmbeddings().embed(['x'], { signal: controller.signal })).rejects.toThrow('stop');
  });
});

/**
 * Just enough of onnx.proto (field numbers from onnx/onnx.proto) to write a one-node graph.
 * The "model" looks each token up in a random table: real enough to exercise the whole
 * path (tokenizer, onnxruntime session, mean pooling over the attention mask, normalising).
 */
const ONNX_SCHEMA = protobuf.Root.fromJSON({
  nested: {
    ModelProto: { fields: { irVersion: { type: 'int64', id: 1 }, producerName: { type: 'string', id: 2 }, graph: { type: 'GraphProto', id: 7 }, opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 } } },
    OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
    GraphProto: {
      fields: {
        node: { rule: 'repeated', type: 'NodeProto', id: 1 },
        name: { type: 'string', id: 2 },
        initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
        input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
        output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
      },
    },
    NodeProto: { fields: { input: { rule: 'repeated', type: 'string', id: 1 }, output: { rule: 'repeated', type: 'string', id: 2 }, name: { type: 'string', id: 3 }, opType: { type: 'string', id: 4 } } },
    TensorProto: { fields: { dims: { rule: 'repeated', type: 'int64', id: 1 }, dataType: { type: 'int32', id: 2 }, floatData: { rule: 'repeated', type: 'float', id: 4 }, name: { type: 'string', id: 8 } } },
    ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
    TypeProto: { fields: { tensorType: { type: 'TypeProtoTensor', id: 1 } } },
    TypeProtoTensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
    TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
    Dimension: { fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } } },
  },
});

const ONNX_FLOAT = 1;
const ONNX_INT64 = 7;
const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS = ['hello', 'world', 'the', 'cat', 'dog', 'is', 'my', 'refund', 'invoice', 'pricing', 'meeting', '##s'];
const VOCAB = [...SPECIAL_TOKENS, ...WORDS];
const TINY_DIM = 8;

interface TinyModel {
  /** Row i is the vector of VOCAB[i]. */
  table: number[][];
}

/** Writes a BERT-shaped model folder whose "encoder" is an embedding lookup. */
function writeTinyModel(folder: string): TinyModel {
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return (seed / 2_147_483_648) * 2 - 1;
  };
  const table = VOCAB.map(() => Array.from({ length: TINY_DIM }, random));
  const tensorType = (elemType: number, dims: Array<string | number>) => ({
    tensorType: { elemType, shape: { dim: dims.map((dim) => (typeof dim === 'string' ? { dimParam: dim } : { dimValue: dim })) } },
  });
  const ModelProto = ONNX_SCHEMA.lookupType('ModelProto');
  const model = ModelProto.create({
    irVersion: 7,
    producerName: 'embeddings.test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'lookup',
      node: [{ input: ['embeddings', 'input_ids'], output: ['last_hidden_state'], name: 'gather', opType: 'Gather' }],
      initializer: [{ name: 'embeddings', dims: [VOCAB.length, TINY_DIM], dataType: ONNX_FLOAT, floatData: table.flat() }],
      // attention_mask is unused by the graph but declared, as real encoders do, so the pipeline passes it.
      input: [
        { name: 'input_ids', type: tensorType(ONNX_INT64, ['batch', 'sequence']) },
        { name: 'attention_mask', type: tensorType(ONNX_INT64, ['batch', 'sequence']) },
      ],
      output: [{ name: 'last_hidden_state', type: tensorType(ONNX_FLOAT, ['batch', 'sequence', TINY_DIM]) }],
    },
  });
  mkdirSync(join(folder, 'onnx'), { recursive: true });
  writeFileSync(join(folder, 'onnx', 'model.onnx'), ModelProto.encode(model).finish());
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertModel'], hidden_size: TINY_DIM, vocab_size: VOCAB.length }));

  const special = (token: string) => ({ id: token, ids: [VOCAB.indexOf(token)], tokens: [token] });
  const template = (sequence: string, typeId: number) => [{ Sequence: { id: sequence, type_id: typeId } }, { SpecialToken: { id: '[SEP]', type_id: typeId } }];
  writeFileSync(
    join(folder, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: SPECIAL_TOKENS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, ...template('A', 0)],
        pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, ...template('A', 0), ...template('B', 1)],
        special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(VOCAB.map((token, id) => [token, id])) },
    }),
  );
  writeFileSync(
    join(folder, 'tokenizer_config.json'),
    JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 64, pad_token: '[PAD]', unk_token: '[UNK]', cls_token: '[CLS]', sep_token: '[SEP]', mask_token: '[MASK]' }),
  );
  return { table };
}

/** What mean pooling over `tokens` (with [CLS] and [SEP] around them) and normalising should give. */
function expectedVector(model: TinyModel, tokens: string[]): number[] {
  const rows = ['[CLS]', ...tokens, '[SEP]'].map((token) => model.table[VOCAB.indexOf(token)]);
  const mean = Array.from({ length: TINY_DIM }, (_, d) => rows.reduce((sum, row) => sum + row[d], 0) / rows.length);
  return mean.map((value) => value / norm(mean));
}

interface NodeEmbedding {
  model: string;
  dimension: number;
  vectors: number[][];
}

/**
 * Embeds `texts` with the ONNX provider in a plain Node process, as a worker would. Not in
 * Jest itself: onnxruntime's native binding returns typed arrays from Node's own realm,
 * which fail the `instanceof Float32Array` checks of the copy of onnxruntime-common that
 * Jest's module sandbox loads.
 */
async function embedInNode(modelPath: string, texts: string[]): Promise<NodeEmbedding> {
  const provider = new URL('../../providers/embeddings/onnxEmbeddings.ts', import.meta.url).href;
  const script = `
    const { createOnnxEmbeddings } = await import(${JSON.stringify(provider)});
    const embeddings = createOnnxEmbeddings({ modelPath: process.argv[1] });
    const vectors = await embeddings.embed(JSON.parse(process.argv[2]));
    process.stdout.write(JSON.stringify({ model: embeddings.model, dimension: embeddings.dimension, vectors }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '--eval', script, modelPath, JSON.stringify(texts)], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as NodeEmbedding;
}

describe('ONNX embeddings', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'embeddings-test-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a missing folder at creation, naming the setting', () => {
    expect(() => createOnnxEmbeddings({ modelPath: join(dir, 'nope') })).toThrow(/EMBEDDINGS_MODEL_PATH ".*nope" does not exist/);
  });

  it('refuses a file, or a folder that is not a model, saying what is missing', () => {
    const file = join(dir, 'file.txt');
    writeFileSync(file, 'not a folder');
    expect(() => createOnnxEmbeddings({ modelPath: file })).toThrow(/is not a folder/);

    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(() => createOnnxEmbeddings({ modelPath: empty })).toThrow(/has no config\.json/);

    const noWeights = join(dir, 'no-weights');
    writeTinyModel(noWeights);
    unlinkSync(join(noWeights, 'onnx', 'model.onnx'));
    expect(() => createOnnxEmbeddings({ modelPath: noWeights })).toThrow(/has no model: expected one of onnx\/model\.onnx/);

    const noTokenizer = join(dir, 'no-tokenizer');
    writeTinyModel(noTokenizer);
    unlinkSync(join(noTokenizer, 'tokenizer_config.json'));
    expect(() => createOnnxEmbeddings({ modelPath: noTokenizer })).toThrow(/has no tokenizer_config\.json/);
  });

  it('runs a model folder: tokenizes, mean-pools over real tokens only, and normalises', async () => {
    const folder = join(dir, 'tiny-bert');
    const tiny = writeTinyModel(folder);
    expect(createOnnxEmbeddings({ modelPath: folder })).toMatchObject({ model: 'onnx:tiny-bert', dimension: TINY_DIM, calibration: { floor: 0.15, ceiling: 0.85 } });

    // Different lengths in one batch: padding must not leak into the shorter text's mean.
    const { model, dimension, vectors } = await embedInNode(folder, ['Hello world', 'the cats is my dog', 'hello WORLD']);
    expect({ model, dimension }).toEqual({ model: 'onnx:tiny-bert', dimension: TINY_DIM });
    const [hello, cats, alone] = vectors;
    expect(norm(hello)).toBeCloseTo(1, 5);
    expectedVector(tiny, ['hello', 'world']).forEach((value, i) => expect(hello[i]).toBeCloseTo(value, 5));
    expectedVector(tiny, ['the', 'cat', '##s', 'is', 'my', 'dog']).forEach((value, i) => expect(cats[i]).toBeCloseTo(value, 5));
    alone.forEach((value, i) => expect(value).toBeCloseTo(hello[i], 5));
  });

  it('keeps order across runs of a large batch', async () => {
    const folder = join(dir, 'tiny-order');
    const tiny = writeTinyModel(folder);
    const inputs = Array.from({ length: 70 }, (_, i) => WORDS[i % (WORDS.length - 1)]);
    const { vectors } = await embedInNode(folder, inputs);
    expect(vectors).toHaveLength(70);
    vectors.forEach((vector, i) => expect(dot(vector, expectedVector(tiny, [inputs[i]]))).toBeCloseTo(1, 5));
  });
});

describe('createEmbeddingProvider', () => {
  let dir: string;
  let folder: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'embeddings-factory-'));
    folder = join(dir, 'my-model');
    writeTinyModel(folder);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('uses the API when both a model and a key are set', () => {
    expect(createEmbeddingProvider({ apiKey: API_KEY, baseURL: 'http://127.0.0.1:1/v1', model: MODEL, modelPath: folder, timeoutMs: 1_000 }).model).toBe('openai:text-embedding-3-small');
  });

  it('uses the ONNX folder when no API model is configured', () => {
    expect(createEmbeddingProvider({ apiKey: API_KEY, modelPath: folder, timeoutMs: 1_000 }).model).toBe('onnx:my-model');
    expect(createEmbeddingProvider({ model: MODEL, apiKey: null, modelPath: folder, timeoutMs: 1_000 }).model).toBe('onnx:my-model');
  });

  it('falls back to the local hash embedding with nothing configured, or a key alone', () => {
    expect(createEmbeddingProvider({ timeoutMs: 1_000 }).model).toBe('local-hash-v1');
    expect(createEmbeddingProvider({ apiKey: API_KEY, model: '', modelPath: '', timeoutMs: 1_000 }).model).toBe('local-hash-v1');
    expect(createEmbeddingProvider({ model: MODEL, timeoutMs: 1_000 }).model).toBe('local-hash-v1');
  });

  it('does not fall back silently when the chosen configuration cannot work', () => {
    expect(() => createEmbeddingProvider({ modelPath: join(dir, 'missing'), timeoutMs: 1_000 })).toThrow(/EMBEDDINGS_MODEL_PATH/);
    expect(() => createEmbeddingProvider({ apiKey: API_KEY, model: 'mystery-embedder', timeoutMs: 1_000 })).toThrow(/unknown/);
    expect(createEmbeddingProvider({ apiKey: API_KEY, model: 'mystery-embedder', dimension: 768, timeoutMs: 1_000 }).dimension).toBe(768);
  });
});
