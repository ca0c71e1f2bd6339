/**
 * Extra lead-scoring factors from an OpenAI-compatible model (Structured Outputs), added to
 * the rules of lib/leadScore.ts when POST /crm/leads/{id}/score runs and a key is configured.
 * The model sees the rule factors and the lead's recent notes and messages, and may add a
 * few factors of its own, each with a reason; each is bounded to ±0.2 on its dimension,
 * so the model can shade a score but never decide it alone.
 */
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import type { ScoreFactor } from '../../lib/leadScore.ts';
import { toProviderError } from './openaiErrors.ts';

export const MAX_MODEL_IMPACT = 0.2;

const advice = z.object({
  factors: z
    .array(
      z.object({
        dimension: z.enum(['demographic', 'behavioral', 'engagement', 'intent']),
        reason: z.string(),
        impact: z.number(),
      }),
    )
    .max(5),
});

const FORMAT = zodResponseFormat(advice, 'lead_score_factors');

const SYSTEM = `You help a small business prioritise sales leads. You are given a lead, the rule-based scoring factors already applied, and its recent timeline. Add at most 5 factors the rules missed, only when the timeline clearly supports them (budget, urgency, authority, fit, objections). Each factor: a dimension (demographic, behavioral, engagement or intent), a one-sentence reason a salesperson understands, and an impact between -${MAX_MODEL_IMPACT} and ${MAX_MODEL_IMPACT}. Return no factors when nothing stands out.`;

export interface LeadFacts {
  lead: { title: string; status: string; source: string; value: number | null; currency: string };
  contact: { name: string; job_title: string | null; company: string | null };
  rule_factors: string[];
  /** Newest first, already trimmed. */
  timeline: string[];
}

export interface ScoreAdvisor {
  readonly name: string;
  suggest(facts: LeadFacts): Promise<ScoreFactor[]>;
}

function parseJson(text: string | null | undefined): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

export function createScoreAdvisor(options: { apiKey?: string | null; baseURL?: string | null; model: string; timeoutMs: number }): ScoreAdvisor | null {
  if (!options.apiKey) return null;
  const client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL ?? undefined, maxRetries: 1, timeout: options.timeoutMs });
  const name = `openai:${options.model}`;
  return {
    name,
    async suggest(facts) {
      const startedAt = performance.now();
      try {
        const completion = await client.chat.completions.create({
          model: options.model,
          messages: [
            { role: 'system', content: SYSTEM },
            { role: 'user', content: JSON.stringify(facts) },
          ],
          response_format: FORMAT,
        });
        const parsed = advice.safeParse(parseJson(completion.choices?.[0]?.message?.content));
        // A refusal or a malformed answer adds nothing: the rules' score stands.
        if (!parsed.success) return [];
        return parsed.data.factors.map((f) => ({ ...f, reason: f.reason.slice(0, 300), impact: Math.max(-MAX_MODEL_IMPACT, Math.min(MAX_MODEL_IMPACT, f.impact)), source: name }));
      } catch (error) {
        throw toProviderError(error, 'openai', [options.apiKey!], { elapsedMs: performance.now() - startedAt, timeoutMs: options.timeoutMs });
      }
    },
  };
}
