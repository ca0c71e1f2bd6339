/**
 * A reply to an inbound message written by an OpenAI-compatible model from knowledge-base
 * passages, for a person to check and send. The model is told to answer only from the
 * passages, so a draft never invents a policy the business does not have.
 */
import OpenAI from 'openai';
import { toProviderError } from './openaiErrors.ts';

const SYSTEM = `You draft replies for a small business's inbox. Answer the customer's message using only the numbered knowledge-base passages given. Be brief, friendly and specific; do not invent facts, prices or promises that are not in the passages. If the passages do not answer the message, say you will check and get back to them. Reply with the message text only.`;

export interface DraftPassage {
  title: string;
  content: string;
}

export interface ReplyDrafter {
  readonly name: string;
  draft(input: { message: string; customerName: string | null; passages: DraftPassage[] }, options?: { signal?: AbortSignal }): Promise<string>;
}

/** The model's drafter when a key is configured; null otherwise (the activity quotes the best passage instead). */
export function createReplyDrafter(options: { apiKey?: string | null; baseURL?: string | null; model: string; timeoutMs: number }): ReplyDrafter | null {
  if (!options.apiKey) return null;
  const client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL ?? undefined, maxRetries: 1, timeout: options.timeoutMs });
  return {
    name: `openai:${options.model}`,
    async draft(input, opts) {
      const startedAt = performance.now();
      const passages = input.passages.map((p, i) => `[${i + 1}] ${p.title}\n${p.content}`).join('\n\n');
      try {
        const completion = await client.chat.completions.create(
          {
            model: options.model,
            messages: [
              { role: 'system', content: SYSTEM },
              { role: 'user', content: `Passages:\n\n${passages}\n\nCustomer${input.customerName ? ` (${input.customerName})` : ''} wrote:\n${input.message}` },
            ],
          },
          { signal: opts?.signal },
        );
        return (completion.choices?.[0]?.message?.content ?? '').trim();
      } catch (error) {
        throw toProviderError(error, 'openai', [options.apiKey!], { elapsedMs: performance.now() - startedAt, timeoutMs: options.timeoutMs });
      }
    },
  };
}
