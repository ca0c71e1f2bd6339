/**
 * A local stand-in for the OpenAI Chat Completions and Embeddings APIs, so the real `openai`
 * client can be exercised end to end (HTTP, headers, status codes, timeouts) without a
 * network or a key.
 *
 * Tests script answers with enqueue(); with nothing queued it answers like a plausible
 * model by running the rule-based classifier on the message in the user turn, and embeds
 * with the local hash embedding, so similar texts get close vectors.
 */
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import busboy from 'busboy';
import type { AddressInfo } from 'node:net';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { EmbeddingCreateParams } from 'openai/resources/embeddings';
import { hashEmbedding } from '../../lib/knowledge/hashEmbedding.ts';
import type { TriageInput, TriageResult } from '../../lib/triage.ts';
import { parseTriageUserMessage } from '../../providers/llm/triagePrompt.ts';

/** One scripted answer for the next request, chat or embeddings; unset fields get realistic defaults. */
export interface ScriptedResponse {
  /** HTTP status; default 200. Non-2xx statuses get an OpenAI-style error body unless `body` is given. */
  status?: number;
  headers?: Record<string, string>;
  /** The assistant message content of a 200 chat answer (embeddings answers ignore it). */
  content?: string | null;
  /** Set message.refusal, as a model declining a structured-output request does. */
  refusal?: string;
  finishReason?: 'stop' | 'length' | 'content_filter';
  /** Raw JSON body, replacing everything above (for odd error shapes). */
  body?: unknown;
  /** Wait this long before answering, to trigger client timeouts. */
  delayMs?: number;
}

export interface RecordedRequest<Body = ChatCompletionCreateParamsNonStreaming> {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Body;
  /** When it arrived (ms since epoch), so tests can check a client waited. */
  at: number;
}

export type RecordedEmbeddingRequest = RecordedRequest<EmbeddingCreateParams>;

export interface FakeOpenAi {
  /** Base URL for the openai client, ending in /v1. */
  url: string;
  /** Every chat completions request received, in order, including ones answered with errors. */
  requests: RecordedRequest[];
  /** Every embeddings request received, in order, including ones answered with errors. */
  embeddingRequests: RecordedEmbeddingRequest[];
  /** Every audio request (transcription, speech), in order. */
  audioRequests: RecordedAudioRequest[];
  /** Queue an answer for the next request (first in, first out). */
  enqueue(response: ScriptedResponse): void;
  close(): Promise<void>;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'invalid_request_error',
  404: 'invalid_request_error',
  429: 'rate_limit_exceeded',
};

function errorBody(status: number): unknown {
  const message = status === 429 ? 'Rate limit reached for requests' : status === 401 ? 'Incorrect API key provided.' : `Fake error ${status}`;
  return { error: { message, type: ERROR_TYPES[status] ?? 'server_error', param: null, code: status === 401 ? 'invalid_api_key' : null } };
}

function completionBody(model: string, sequence: number, scripted: ScriptedResponse, promptChars: number): unknown {
  const content = scripted.refusal ? null : (scripted.content ?? null);
  const completionTokens = Math.ceil((content ?? scripted.refusal ?? '').length / 4);
  const promptTokens = Math.ceil(promptChars / 4);
  return {
    id: `chatcmpl-fake-${sequence}`,
    object: 'chat.completion',
    created: 1_773_000_000 + sequence,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: scripted.refusal ?? null, annotations: [] },
        logprobs: null,
        finish_reason: scripted.finishReason ?? 'stop',
      },
    ],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    system_fingerprint: 'fp_fake',
  };
}

/** OpenAI's limit on inputs per embeddings request. */
const MAX_EMBEDDING_INPUTS = 2048;

const invalidRequest = (message: string, param: string | null): ScriptedResponse => ({
  status: 400,
  body: { error: { message: `Fake OpenAI: ${message}`, type: 'invalid_request_error', param, code: null } },
});

/** The inputs of an embeddings request, or why OpenAI would refuse them. Token-id inputs are not supported. */
function embeddingInputs(body: EmbeddingCreateParams): string[] | ScriptedResponse {
  const inputs: unknown[] = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input : [];
  if (inputs.length === 0) return invalidRequest("'input' must be a non-empty string or array of strings", 'input');
  if (inputs.length > MAX_EMBEDDING_INPUTS) return invalidRequest(`'input' has ${inputs.length} items, at most ${MAX_EMBEDDING_INPUTS} are allowed`, 'input');
  if (!inputs.every((input): input is string => typeof input === 'string' && input.length > 0)) return invalidRequest("'input' items must be non-empty strings", 'input');
  return inputs;
}

/** Floats as OpenAI sends them for encoding_format "base64": little-endian float32. */
const toBase64 = (vector: number[]): string => Buffer.from(new Float32Array(vector).buffer).toString('base64');

function embeddingsBody(body: EmbeddingCreateParams, inputs: string[], dimension: number): unknown {
  const tokens = inputs.reduce((sum, input) => sum + Math.ceil(input.length / 4), 0);
  return {
    object: 'list',
    data: inputs.map((input, index) => {
      const vector = hashEmbedding(input, dimension);
      return { object: 'embedding', index, embedding: body.encoding_format === 'base64' ? toBase64(vector) : vector };
    }),
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

function userMessageText(body: ChatCompletionCreateParamsNonStreaming): string | null {
  const user = body.messages?.find((m) => m.role === 'user');
  return typeof user?.content === 'string' ? user.content : null;
}

/** What the model says about a triage input when no answer was queued. */
export type ModelAnswer = (input: TriageInput) => TriageResult;

/**
 * The fake's own model when nothing is queued: a fixed, plausible answer that the local
 * rules would not give (its intent and summary name it), so a test can tell the LLM's
 * answer from the fallback's. Tests queue answers for anything specific; the chaos run
 * passes `classifyWithRules` to get varied, realistic triage under load.
 */
export const FAKE_MODEL_ANSWER: ModelAnswer = (input) => ({
  category: 'support',
  intent: 'fake model: general question',
  priority: 'low',
  sentiment: 0,
  language: 'en',
  summary: `Fake model summary of a ${input.channel} message.`,
  extracted_data: { contacts: [], events: [], tasks: [] },
  confidence: 0.91,
});

function defaultAnswer(body: ChatCompletionCreateParamsNonStreaming, model: ModelAnswer): ScriptedResponse {
  const text = userMessageText(body);
  const input = text === null ? null : parseTriageUserMessage(text);
  if (!input) return { status: 400, body: { error: { message: 'Fake OpenAI: user message is not a triage input JSON', type: 'invalid_request_error', param: 'messages', code: null } } };
  return { content: JSON.stringify(model(input)) };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** What the fake's "speech" sounds like: an MP3-looking clip carrying its words, so transcribing it gives them back. */
const SPEECH_MARK = 'FAKE-SPEECH:';
export const fakeSpeechAudio = (words: string): Buffer => Buffer.concat([Buffer.from([0x49, 0x44, 0x33, 0x04, 0x00, 0x00]), Buffer.from(SPEECH_MARK + words, 'utf8')]);
export function wordsOfFakeSpeech(clip: Buffer): string | null {
  const at = clip.indexOf(SPEECH_MARK);
  return at < 0 ? null : clip.subarray(at + SPEECH_MARK.length).toString('utf8');
}

/** The fields and file of a multipart/form-data body (Whisper's transcription upload). */
function readMultipart(req: IncomingMessage, body: Buffer): Promise<{ fields: Record<string, string>; file: { name: string; content: Buffer } | null }> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let file: { name: string; content: Buffer } | null = null;
    const parser = busboy({ headers: req.headers });
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (_name, stream, info) => {
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('end', () => {
        file = { name: info.filename ?? '', content: Buffer.concat(parts) };
      });
    });
    parser.on('close', () => resolve({ fields, file }));
    parser.on('error', reject);
    parser.end(body);
  });
}

/** One request to the audio API, as received. */
export interface RecordedAudioRequest {
  path: string;
  model: string;
  /** Speech: the words and voice asked for. */
  input?: string;
  voice?: string;
  speed?: number;
  /** Transcription: the uploaded file's name and the language hint. */
  filename?: string;
  language?: string;
}

export interface FakeOpenAiOptions {
  model?: ModelAnswer;
  /** Length of embedding vectors unless a request asks for `dimensions`; default 1536, as text-embedding-3-small. */
  embeddingDimension?: number;
}

const CHAT_PATH = '/v1/chat/completions';
const EMBEDDINGS_PATH = '/v1/embeddings';
const TRANSCRIPTIONS_PATH = '/v1/audio/transcriptions';
const SPEECH_PATH = '/v1/audio/speech';

/** Starts the fake on 127.0.0.1 with an ephemeral port. */
export async function startFakeOpenAi(opts: FakeOpenAiOptions = {}): Promise<FakeOpenAi> {
  const model = opts.model ?? FAKE_MODEL_ANSWER;
  const embeddingDimension = opts.embeddingDimension ?? 1536;
  const queue: ScriptedResponse[] = [];
  const requests: RecordedRequest[] = [];
  const embeddingRequests: RecordedEmbeddingRequest[] = [];
  const audioRequests: RecordedAudioRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let sequence = 0;

  const send = (res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void => {
    // The client may have given up (timeout) while we were delaying.
    if (res.destroyed || res.writableEnded) return;
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_fake_${sequence}`, ...headers });
    res.end(payload);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const bytes = await readBody(req);
      const raw = bytes.toString('utf8');
      const path = req.url ?? '/';
      const route = path.split('?')[0];
      if (req.method === 'POST' && route === TRANSCRIPTIONS_PATH) {
        const { fields, file } = await readMultipart(req, bytes);
        audioRequests.push({ path: route, model: fields.model ?? '', filename: file?.name, language: fields.language });
        const words = file ? wordsOfFakeSpeech(file.content) : null;
        if (words === null) {
          send(res, 400, {}, { error: { message: 'Audio file might be corrupted or unsupported', type: 'invalid_request_error', param: 'file', code: 'invalid_value' } });
          return;
        }
        send(res, 200, {}, { text: words });
        return;
      }
      if (req.method === 'POST' && route === SPEECH_PATH) {
        const body = JSON.parse(raw) as { model: string; input: string; voice: string; speed?: number };
        audioRequests.push({ path: route, model: body.model, input: body.input, voice: body.voice, speed: body.speed });
        res.writeHead(200, { 'content-type': 'audio/mpeg' });
        res.end(fakeSpeechAudio(body.input));
        return;
      }
      if (req.method !== 'POST' || (route !== CHAT_PATH && route !== EMBEDDINGS_PATH)) {
        send(res, 404, {}, { error: { message: `Fake OpenAI: no route ${req.method} ${path}`, type: 'invalid_request_error', param: null, code: null } });
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        send(res, 400, {}, { error: { message: 'Fake OpenAI: body is not JSON', type: 'invalid_request_error', param: null, code: null } });
        return;
      }
      sequence += 1;

      let scripted: ScriptedResponse;
      let successBody: () => unknown;
      if (route === EMBEDDINGS_PATH) {
        const body = parsed as EmbeddingCreateParams;
        embeddingRequests.push({ method: req.method, path, headers: req.headers, body, at: Date.now() });
        const inputs = embeddingInputs(body);
        const queued = queue.shift() ?? {};
        // Scripted errors and bodies are sent as given, but vectors need valid inputs: a request OpenAI would refuse gets the refusal.
        const wantsVectors = queued.body === undefined && (queued.status ?? 200) < 300;
        scripted = Array.isArray(inputs) || !wantsVectors ? queued : { ...inputs, delayMs: queued.delayMs };
        successBody = () => embeddingsBody(body, Array.isArray(inputs) ? inputs : [], body.dimensions ?? embeddingDimension);
      } else {
        const body = parsed as ChatCompletionCreateParamsNonStreaming;
        requests.push({ method: req.method, path, headers: req.headers, body, at: Date.now() });
        scripted = queue.shift() ?? defaultAnswer(body, model);
        successBody = () => completionBody(body.model, sequence, scripted, raw.length);
      }

      const status = scripted.status ?? 200;
      const responseBody = scripted.body !== undefined ? scripted.body : status >= 200 && status < 300 ? successBody() : errorBody(status);
      const respond = (): void => send(res, status, scripted.headers ?? {}, responseBody);
      if (scripted.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          respond();
        }, scripted.delayMs);
        timers.add(timer);
      } else {
        respond();
      }
    })().catch((error: unknown) => {
      send(res, 500, {}, { error: { message: `Fake OpenAI crashed: ${String(error)}`, type: 'server_error', param: null, code: null } });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    embeddingRequests,
    audioRequests,
    enqueue(response: ScriptedResponse): void {
      queue.push(response);
    },
    async close(): Promise<void> {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      // Keep-alive sockets from the client would otherwise hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
