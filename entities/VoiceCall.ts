import { defineEntity, type EntityManager, type InferEntity, p } from '@mikro-orm/core';
import { callStartRequest } from '../workflows/placeCall.client.ts';
import { queueWorkflowStart, type WorkflowStart } from './WorkflowStart.ts';
import type { Tenant } from './Tenant.ts';
import type { Contact } from './Contact.ts';
import type { Lead } from './Lead.ts';
import type { Config } from '../lib/config.ts';
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
  /**
   * The Twilio account that placed it (null on the simulator): only that account's webhooks
   * speak for this attempt, and its line is asked about and hung up through that account,
   * even after the tenant switched to another (the old one is kept 3 days). Attempts recorded
   * before this field say nothing: their webhooks are checked against the tenant's account.
   */
  account_sid?: string | null;
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
  uniques: [{ properties: ['tenant', 'requestKey'] }],
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
    /**
     * The automation run whose `start_call` step made it, and how many runs led to that
     * one: its `call.*` events carry them, so automations answering a call with a call stop
     * at AUTOMATION_MAX_DEPTH.
     */
    automationRunId: p.uuid().nullable(),
    automationDepth: p.integer().default(0),
    /**
     * The creating request's Idempotency-Key, hashed with its caller and body
     * (api/middleware/idempotency.ts): a retry after the API died between its commit and its
     * answer finds this row instead of making a second one.
     */
    requestKey: p.string().length(64).nullable(),
  },
});

export type VoiceCall = InferEntity<typeof VoiceCallSchema>;

/** The automation run a call's events report (recordEvent's `automation`), or null. */
export const callAutomation = (c: VoiceCall) => (c.automationRunId ? { runId: c.automationRunId, depth: c.automationDepth } : null);

/** What every new call's run is started with, from the configuration. */
export interface CallPlan {
  retryDelaysMs: number[];
  lineCheckMs: number;
  /** `llm` when an LLM key is configured: each turn asks the model. */
  engine: 'local' | 'llm';
}

/** The plan of calls made under this configuration. */
export const callPlan = (config: Pick<Config, 'voice' | 'llm'>): CallPlan => ({
  retryDelaysMs: config.voice.retryScheduleMs,
  lineCheckMs: config.voice.lineCheckMs,
  engine: config.llm.apiKey ? 'llm' : 'local',
});

const DEFAULT_AGENT_NAME = 'Alex';

/**
 * A new call and its run's start row, in the caller's unit of work (the API's create, an
 * automation's `start_call`). `autoStart`: the run dials without waiting for `start`.
 */
export function newVoiceCall(
  em: EntityManager,
  o: {
    tenant: Tenant;
    lead: Lead | null;
    contact: Contact | null;
    phoneNumber: string;
    callType?: string;
    purpose: string | null;
    voiceSettings: Record<string, unknown>;
    maxAttempts: number;
    window?: { notBefore: Date | null; notAfter: Date | null };
    plan: CallPlan;
    requestId?: string | null;
    autoStart?: boolean;
    /** The automation run whose step made the call. */
    automation?: { runId: string; depth: number } | null;
    requestKey?: string | null;
  },
): { call: VoiceCall; start: WorkflowStart } {
  const call = em.create(VoiceCallSchema, {
    tenant: o.tenant.id,
    lead: o.lead?.id ?? null,
    contact: o.contact?.id ?? null,
    phoneNumber: o.phoneNumber,
    requestKey: o.requestKey ?? null,
    callType: o.callType ?? 'outbound',
    purpose: o.purpose,
    voiceSettings: o.voiceSettings,
    maxAttempts: o.maxAttempts,
    notBefore: o.window?.notBefore ?? null,
    notAfter: o.window?.notAfter ?? null,
    automationRunId: o.automation?.runId ?? null,
    automationDepth: o.automation?.depth ?? 0,
  });
  const settings = o.voiceSettings;
  const agent = typeof settings.agent_name === 'string' ? settings.agent_name.slice(0, 60) : DEFAULT_AGENT_NAME;
  const voicemail = typeof settings.voicemail_message === 'string' ? settings.voicemail_message.trim().slice(0, 1_000) || null : null;
  const start = queueWorkflowStart(
    em,
    callStartRequest(
      {
        tenantId: o.tenant.id,
        callId: call.id,
        context: { agentName: agent, businessName: o.tenant.name, leadName: o.contact?.name ?? null, leadCompany: o.contact?.organization ?? null, purpose: o.purpose },
        maxAttempts: o.maxAttempts,
        retryDelaysMs: o.plan.retryDelaysMs,
        engine: o.plan.engine,
        voicemailMessage: voicemail,
        lineCheckMs: o.plan.lineCheckMs,
        ...(o.autoStart ? { autoStart: true } : {}),
      },
      { requestId: o.requestId ?? null },
    ),
    { handOver: o.autoStart },
  );
  return { call, start };
}
