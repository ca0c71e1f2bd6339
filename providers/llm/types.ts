import type { TriageInput, TriageResult } from '../../lib/triage.ts';

/** Classifies one inbound message. Implementations: OpenAI-compatible (openaiClassifier) and rule-based (localClassifier). */
export interface TriageClassifier {
  /** Shown on the message and in logs: "openai:gpt-4o-mini", "local-rules". */
  readonly name: string;
  /** Throws ProviderError (providers/errors.ts) on failure; never returns an unvalidated result. */
  classify(input: TriageInput, options?: { signal?: AbortSignal }): Promise<TriageResult>;
}
