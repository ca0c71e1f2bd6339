import type { TriageResult } from '../../lib/triage.ts';

/** A structured answer as the model would give it; tests override what they are about. */
export function aTriageResult(overrides: Partial<TriageResult> = {}): TriageResult {
  return {
    category: 'sales_inquiry',
    intent: 'pricing request',
    priority: 'medium',
    sentiment: 0.4,
    language: 'en',
    summary: 'Asks for pricing.',
    extracted_data: { contacts: [], events: [], tasks: [] },
    confidence: 0.92,
    ...overrides,
  };
}

/** The settings that point the product's real `openai` client at a test's fake server. */
export function openAiEnv(fake: { url: string }): Record<string, string> {
  return { OPENAI_API_KEY: 'sk-test-not-a-real-key', OPENAI_BASE_URL: fake.url, OPENAI_MODEL: 'gpt-test-mini' };
}
