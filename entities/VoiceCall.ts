import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { ContactSchema } from './Contact.ts';
import { LeadSchema } from './Lead.ts';
import type { CallAnalytics, CallSummary, ConversationState, Turn, UtteranceAnalysis } from '../lib/voice/conversation.ts';

export const CALL_STATUSES = ['scheduled', 'dialing', 'in_progress', 'completed', 'no_answer', 'busy', 'voicemail', 'declined', 'failed', 'cancelled'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];
/** A call in one of these is over: it refuses to start, respond or end again. */
export const FINAL_CALL_STATUSES: readonly CallStatus[] = ['completed', 'no_answer', 'busy', 'voicemail', 'declined', 'failed', 'cancelled'];

export interface CallAttempt {
  n: number;
  at: string;
  outcome: string;
  provider_call_id: string | null;
  /** Why the attempt failed, when it did. */
  error?: string;
}

/**
 * An outbound AI voice call (seed 004), run by the workflow `call-<id>`: dialled inside the
 * calling hours of the recipient's zone, retried on busy or no answer within one attempt
 * budget, its conversation kept as a transcript, and summed up when it ends.
 */
export const VoiceCallSchema = defineEntity({
  name: 'VoiceCall',
  tableName: 'voice_calls',
  extends: TenantScopedSchema,
  indexes: [{ properties: ['tenant', 'createdAt'] }, { properties: ['tenant', 'status'] }, { properties: ['tenant', 'lead'] }],
  properties: {
    lead: () => p.manyToOne(LeadSchema).nullable().deleteRule('set null'),
    contact: () => p.manyToOne(ContactSchema).nullable().deleteRule('set null'),
    phoneNumber: p.string().length(32),
    callType: p.string().length(20).default('outbound'),
    purpose: p.string().length(500).nullable(),
    voiceSettings: p.json<Record<string, unknown>>().onCreate(() => ({})),
    status: p.enum(CALL_STATUSES).default('scheduled'),
    maxAttempts: p.integer().default(3),
    notBefore: p.datetime().nullable(),
    notAfter: p.datetime().nullable(),
    attempts: p.json<CallAttempt[]>().onCreate(() => []),
    transcript: p.json<Turn[]>().onCreate(() => []),
    conversationState: p.string().length(20).$type<ConversationState>().default('greeting'),
    lastAnalysis: p.json<UtteranceAnalysis>().nullable(),
    summary: p.json<CallSummary>().nullable(),
    analytics: p.json<CallAnalytics>().nullable(),
    providerCallId: p.string().length(64).nullable(),
    answeredAt: p.datetime().nullable(),
    endedAt: p.datetime().nullable(),
    endReason: p.string().length(100).nullable(),
  },
});

export type VoiceCall = InferEntity<typeof VoiceCallSchema>;
