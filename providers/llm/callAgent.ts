/**
 * The agent's lines on a call, from an OpenAI-compatible model with structured output:
 * the next line, the state the conversation moved to, and the analysis of what the person
 * said, in the local engine's terms (lib/voice/conversation.ts), which answers instead
 * when no key is configured or the model fails.
 */
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { CONVERSATION_STATES, type CallContext, type ConversationState, type Turn, type UtteranceAnalysis } from '../../lib/voice/conversation.ts';
import { ProviderError } from '../errors.ts';
import { toProviderError } from './openaiErrors.ts';

const turnSchema = z.object({
  ai_response: z.string().min(1).max(2_000),
  conversation_state: z.enum(CONVERSATION_STATES),
  should_continue: z.boolean(),
  analysis: z.object({
    sentiment: z.number().min(-1).max(1),
    intent: z.string().max(50),
    objections: z.array(z.string().max(50)).max(10),
    interest_signals: z.array(z.string().max(50)).max(10),
  }),
});

export const CALL_TURN_FORMAT = zodResponseFormat(turnSchema, 'call_turn');

export interface AgentTurn {
  ai_response: string;
  conversation_state: ConversationState;
  should_continue: boolean;
  analysis: UtteranceAnalysis;
}

export interface CallAgent {
  readonly name: string;
  next(input: { context: CallContext; state: ConversationState; transcript: Turn[]; text: string }): Promise<AgentTurn>;
}

const system = (c: CallContext) =>
  `You are ${c.agentName}, calling on behalf of ${c.businessName}${c.purpose ? ` about: ${c.purpose}` : ''}. You speak on the phone: one or two short sentences a turn, friendly, never pushy. ` +
  `Move the conversation through greeting, discovery (their situation and needs), qualification (timeline, budget, who decides) and closing (agree a next step). ` +
  `If the person is not interested, is busy, or asks not to be called, thank them and end (should_continue false; intent "not_interested", "busy" or "do_not_call"). ` +
  `Analyse their last words: sentiment from -1 to 1, intent, objections (price, timing, authority, need, competitor, trust) and interest signals (verbal_interest, demo_interest, pricing_interest, timeline_interest, decision_maker).`;

/** The model's agent when a key is configured; null otherwise (the call uses the local engine). */
export function createCallAgent(options: { apiKey?: string | null; baseURL?: string | null; model: string; timeoutMs: number }): CallAgent | null {
  if (!options.apiKey) return null;
  const client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL ?? undefined, maxRetries: 1, timeout: options.timeoutMs });
  return {
    name: `openai:${options.model}`,
    async next(input) {
      const startedAt = performance.now();
      const history = input.transcript.map((t) => ({ role: t.role === 'agent' ? ('assistant' as const) : ('user' as const), content: t.text }));
      let content: string | null | undefined;
      try {
        const completion = await client.chat.completions.create({
          model: options.model,
          response_format: CALL_TURN_FORMAT,
          messages: [
            { role: 'system', content: system(input.context) },
            ...history,
            { role: 'user', content: `${input.text}\n\n(The conversation is in its ${input.state} stage.)` },
          ],
        });
        content = completion.choices?.[0]?.message?.content;
      } catch (error) {
        throw toProviderError(error, 'openai', [options.apiKey!], { elapsedMs: performance.now() - startedAt, timeoutMs: options.timeoutMs });
      }
      let json: unknown;
      try {
        json = JSON.parse(content ?? '');
      } catch {
        throw new ProviderError('openai', 'malformed_response', 'the call turn is not JSON');
      }
      const parsed = turnSchema.safeParse(json);
      if (!parsed.success) throw new ProviderError('openai', 'malformed_response', `the call turn does not match its schema: ${parsed.error.issues[0]?.message ?? ''}`);
      return parsed.data;
    },
  };
}
