import type { VoiceCall } from '../../entities/VoiceCall.ts';
import type { RunRef } from '../../lib/workflowClient.ts';

export const callDto = (c: VoiceCall, run?: RunRef | null) => ({
  id: c.id,
  lead_id: c.lead?.id ?? null,
  contact_id: c.contact?.id ?? null,
  phone_number: c.phoneNumber,
  call_type: c.callType,
  purpose: c.purpose ?? null,
  voice_settings: c.voiceSettings,
  status: c.status,
  max_attempts: c.maxAttempts,
  call_window: { not_before: c.notBefore?.toISOString() ?? null, not_after: c.notAfter?.toISOString() ?? null },
  // Which Twilio account placed an attempt is the webhooks' business, not the API's.
  attempts: c.attempts.map(({ account_sid: _account, ...a }) => a),
  conversation_state: c.conversationState,
  transcript: c.transcript,
  analysis: c.lastAnalysis ?? null,
  summary: c.summary ?? null,
  analytics: c.analytics ?? null,
  answered_at: c.answeredAt?.toISOString() ?? null,
  ended_at: c.endedAt?.toISOString() ?? null,
  end_reason: c.endReason ?? null,
  created_at: c.createdAt.toISOString(),
  ...(run !== undefined ? { run } : {}),
});
