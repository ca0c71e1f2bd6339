/**
 * Picks the triage classifier for the deployment: the LLM when a key is configured,
 * otherwise the offline rules, so a fresh checkout works with no credentials.
 */
import { createLocalClassifier } from './localClassifier.ts';
import { createOpenAiClassifier } from './openaiClassifier.ts';
import type { TriageClassifier } from './types.ts';

export type { TriageClassifier } from './types.ts';

export interface TriageClassifierOptions {
  /** OpenAI (or compatible) API key; empty or missing selects the local rules. */
  apiKey?: string | null;
  baseURL?: string | null;
  model: string;
  timeoutMs: number;
}

/** An OpenAI classifier when `apiKey` is set, otherwise the rule-based "local-rules" classifier. */
export function createTriageClassifier(options: TriageClassifierOptions): TriageClassifier {
  if (!options.apiKey) return createLocalClassifier();
  return createOpenAiClassifier({
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? undefined,
    model: options.model,
    timeoutMs: options.timeoutMs,
  });
}
