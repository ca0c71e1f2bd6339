/**
 * Triage through an OpenAI-compatible Chat Completions endpoint with Structured Outputs:
 * the request carries a strict JSON schema derived from triageResultSchema, and the answer
 * is validated against the same zod schema before anyone sees it.
 */
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { type TriageInput, type TriageResult, triageResultSchema } from '../../lib/triage.ts';
import { ProviderError } from '../errors.ts';
import { toProviderError } from './openaiErrors.ts';
import { TRIAGE_SYSTEM_PROMPT, buildTriageUserMessage } from './triagePrompt.ts';
import type { TriageClassifier } from './types.ts';

export interface OpenAiClassifierOptions {
  apiKey: string;
  /** For OpenAI-compatible servers (Azure-style gateways, local models, test fakes), e.g. "http://127.0.0.1:8080/v1". */
  baseURL?: string;
  model: string;
  /** Per request, covering connect, response headers and body. */
  timeoutMs: number;
}

const PROVIDER = 'openai';

/**
 * Strict structured-output format: every property required, additionalProperties false,
 * nullable fields as ["string","null"]. The SDK helper accepts zod 4 schemas directly.
 */
export const TRIAGE_RESPONSE_FORMAT = zodResponseFormat(triageResultSchema, 'triage_result');

/** Checks the completion and returns a validated TriageResult, or throws ProviderError naming what was wrong (never the content itself). */
export function parseTriageCompletion(completion: ChatCompletion): TriageResult {
  const choice = completion.choices?.[0];
  if (!choice) throw new ProviderError(PROVIDER, 'malformed_response', 'completion has no choices');
  if (choice.message.refusal) {
    throw new ProviderError(PROVIDER, 'rejected', `model refused to triage the message: ${choice.message.refusal.slice(0, 200)}`);
  }
  if (choice.finish_reason === 'content_filter') {
    throw new ProviderError(PROVIDER, 'rejected', 'completion was stopped by the content filter');
  }
  if (choice.finish_reason === 'length') {
    throw new ProviderError(PROVIDER, 'malformed_response', 'completion was cut off by the token limit before the JSON ended');
  }
  const content = choice.message.content;
  if (!content) throw new ProviderError(PROVIDER, 'malformed_response', 'completion has no content');

  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (error) {
    throw new ProviderError(PROVIDER, 'malformed_response', `completion content is not JSON (${content.length} chars)`, { cause: error });
  }
  const parsed = triageResultSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new ProviderError(PROVIDER, 'malformed_response', `completion does not match the triage schema: ${problems}`);
  }
  return parsed.data;
}

/**
 * A TriageClassifier named "openai:<model>". The SDK does not retry (maxRetries 0): the
 * Temporal activity owns retries and uses ProviderError.retryAfterMs for 429s. Caller
 * cancellation rethrows the signal's reason instead of a ProviderError, so Temporal sees a
 * cancellation rather than a provider failure.
 */
export function createOpenAiClassifier(options: OpenAiClassifierOptions): TriageClassifier {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    maxRetries: 0,
    timeout: options.timeoutMs,
  });
  const secrets = [options.apiKey];

  return {
    name: `${PROVIDER}:${options.model}`,
    async classify(input: TriageInput, callOptions?: { signal?: AbortSignal }): Promise<TriageResult> {
      const signal = callOptions?.signal;
      let completion: ChatCompletion;
      const startedAt = performance.now();
      try {
        completion = await client.chat.completions.create(
          {
            model: options.model,
            messages: [
              { role: 'system', content: TRIAGE_SYSTEM_PROMPT },
              { role: 'user', content: buildTriageUserMessage(input) },
            ],
            response_format: TRIAGE_RESPONSE_FORMAT,
          },
          { signal },
        );
      } catch (error) {
        if (signal?.aborted) throw signal.reason ?? error;
        throw toProviderError(error, PROVIDER, secrets, { elapsedMs: performance.now() - startedAt, timeoutMs: options.timeoutMs });
      }
      return parseTriageCompletion(completion);
    },
  };
}
