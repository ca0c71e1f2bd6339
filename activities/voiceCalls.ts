import { DateTime } from 'luxon';
import type { MikroORM } from '../lib/db.ts';
import { tenantEm, type EntityManager } from '../lib/db.ts';
import { nextDialTime } from '../lib/voice/callWindow.ts';
import { agentReply, analyzeUtterance, nextState, summarizeCall, type CallContext, type ConversationState, type Turn } from '../lib/voice/conversation.ts';
import { recordEvent } from '../entities/Event.ts';
import { recordLeadActivity } from '../entities/LeadActivity.ts';
import { rescoreLead } from '../entities/leadScoring.ts';
import { TenantSchema } from '../entities/Tenant.ts';
import { FINAL_CALL_STATUSES, VoiceCallSchema, type CallStatus, type VoiceCall } from '../entities/VoiceCall.ts';
import type { EndAnswer, RespondAnswer } from '../workflows/placeCall.client.ts';
import type { CallAgent } from '../providers/llm/callAgent.ts';
import { log } from '@temporalio/activity';

/**
 * Places a call and says what happened. The local simulator (the embedded default) answers
 * every call as a person; the Twilio dialer comes with the voice webhooks.
 */
export interface VoiceDialer {
  dial(call: { id: string; phoneNumber: string; attempt: number }): Promise<{ outcome: 'answered' | 'busy' | 'no_answer' | 'voicemail' | 'failed'; providerCallId: string }>;
}

export const simulatedDialer: VoiceDialer = {
  dial: async (call) => ({ outcome: 'answered', providerCallId: `sim-${call.id}-${call.attempt}` }),
};

export interface VoiceCallDeps {
  orm: MikroORM;
  dialer: VoiceDialer;
  /** The model's lines when an LLM is configured; the local engine otherwise, and when it fails. */
  agent?: CallAgent | null;
}

interface CallRef {
  tenantId: string;
  callId: string;
}

const isZone = (zone: unknown): zone is string => typeof zone === 'string' && DateTime.local().setZone(zone).isValid;

/** What a dial must not cross: the person asked not to be called, or opted out of messages. */
function refusal(call: VoiceCall): 'do_not_call' | 'opted_out' | null {
  const contact = call.contact;
  if (!contact) return null;
  if (contact.doNotCall) return 'do_not_call';
  if (contact.smsOptOut) return 'opted_out';
  return null;
}

/** Outcome of a finished attempt → the call's status when it is the last one. */
const STATUS_OF: Record<string, CallStatus> = {
  answered: 'completed',
  busy: 'busy',
  no_answer: 'no_answer',
  voicemail: 'voicemail',
  declined: 'declined',
  do_not_call: 'declined',
  opted_out: 'declined',
  outside_window: 'failed',
  failed: 'failed',
  cancelled: 'cancelled',
};

export function createVoiceCallActivities(deps: VoiceCallDeps) {
  async function load(ref: CallRef): Promise<{ em: EntityManager; call: VoiceCall }> {
    const em = tenantEm(deps.orm, ref.tenantId);
    const call = await em.findOneOrFail(VoiceCallSchema, ref.callId, { populate: ['contact', 'lead'] });
    return { em, call };
  }

  /** When the next dial may happen: inside the tenant's calling hours in the recipient's zone (the contact's, else the tenant's), within the call's window. */
  async function dialTime(em: EntityManager, call: VoiceCall, now: Date): Promise<Date | null> {
    const tenant = await em.findOneOrFail(TenantSchema, call.tenant.id);
    const contactZone = call.contact?.customFields?.timezone;
    const zone = isZone(contactZone) ? contactZone : tenant.timezone;
    return nextDialTime(now, zone, tenant.workingHours, { notBefore: call.notBefore ?? null, notAfter: call.notAfter ?? null });
  }

  return {
    /** The next allowed dial time, or why the call may not be made at all. */
    async planDial(ref: CallRef): Promise<{ at: string | null; refused: string | null }> {
      const { em, call } = await load(ref);
      const refused = refusal(call);
      if (refused) return { at: null, refused };
      return { at: (await dialTime(em, call, new Date()))?.toISOString() ?? null, refused: null };
    },

    /**
     * One attempt: consent and calling hours checked again right before dialling, the
     * attempt recorded before the dial and its outcome after. A retry of an attempt that
     * already has an outcome answers it instead of dialling again.
     */
    async dialCall(ref: CallRef & { attempt: number; opening: string }): Promise<{ outcome: string }> {
      const { em, call } = await load(ref);
      const recorded = call.attempts.find((a) => a.n === ref.attempt);
      if (recorded && recorded.outcome !== 'dialing') return { outcome: recorded.outcome };
      const refused = refusal(call);
      if (refused) return { outcome: refused };
      const now = new Date();
      if ((await dialTime(em, call, now))?.getTime() !== now.getTime()) return { outcome: 'not_now' };
      const attempts = [...call.attempts.filter((a) => a.n !== ref.attempt), { n: ref.attempt, at: now.toISOString(), outcome: 'dialing', provider_call_id: null }];
      await em.nativeUpdate(VoiceCallSchema, { id: call.id }, { attempts, status: 'dialing' });
      const dialed = await deps.dialer.dial({ id: call.id, phoneNumber: call.phoneNumber, attempt: ref.attempt });
      const done = attempts.map((a) => (a.n === ref.attempt ? { ...a, outcome: dialed.outcome, provider_call_id: dialed.providerCallId } : a));
      const answered = dialed.outcome === 'answered';
      await em.transactional(async (tx) => {
        await tx.nativeUpdate(
          VoiceCallSchema,
          { id: call.id },
          {
            attempts: done,
            providerCallId: dialed.providerCallId,
            // Answered: the agent's opening line starts the transcript.
            ...(answered ? { status: 'in_progress', answeredAt: new Date(), transcript: [{ role: 'agent', text: ref.opening, state: 'greeting' }] } : { status: 'scheduled' }),
          },
        );
        if (answered && ref.attempt === done.length && !call.answeredAt) {
          recordEvent(tx, { tenantId: ref.tenantId, type: 'call.started', entityType: 'voice_call', entityId: call.id, payload: { call_id: call.id, to: call.phoneNumber } });
          await tx.flush();
        }
      });
      return { outcome: dialed.outcome };
    },

    /**
     * The caller's utterance and the agent's answer, appended to the transcript once: a
     * retry finds its turn already there (by position) and answers it again.
     */
    async converseTurn(ref: CallRef & { text: string; state: ConversationState; turnsInState: number; turn: number; context: CallContext }): Promise<RespondAnswer> {
      // The transcript alone: a turn is on the hot path of a live call.
      const em = tenantEm(deps.orm, ref.tenantId);
      const call = await em.findOneOrFail(VoiceCallSchema, ref.callId, { fields: ['id', 'transcript'] });
      const local = (): RespondAnswer => {
        const analysis = analyzeUtterance(ref.text);
        const state = nextState(ref.state, analysis, ref.turnsInState);
        const reply = agentReply(ref.context, state, analysis);
        return { success: true, ai_response: reply.text, audio_data: null, analysis, conversation_state: state, should_continue: reply.should_continue };
      };
      let answer = local();
      if (deps.agent) {
        try {
          const turn = await deps.agent.next({ context: ref.context, state: ref.state, transcript: call.transcript.slice(0, ref.turn), text: ref.text });
          answer = { success: true, audio_data: null, ...turn };
        } catch (err) {
          // The call goes on: the local engine answers this turn.
          log.warn('the model did not answer the call turn; the local engine did', { error: err instanceof Error ? err.message : String(err) });
        }
      }
      const { analysis, conversation_state: state } = answer;
      // `turn`: the position of this utterance (the opening line is 0).
      const existing = call.transcript[ref.turn + 1];
      if (call.transcript[ref.turn]?.text === ref.text && existing?.role === 'agent') return { ...answer, ai_response: existing.text };
      const transcript: Turn[] = [...call.transcript.slice(0, ref.turn), { role: 'caller', text: ref.text, state: ref.state, analysis }, { role: 'agent', text: answer.ai_response, state }];
      await em.nativeUpdate(VoiceCallSchema, { id: call.id }, { transcript, conversationState: state, lastAnalysis: analysis });
      return answer;
    },

    /** The workflow's transcript (local engine), written behind its answers: an older snapshot never overwrites a longer one. */
    async saveTranscript(ref: CallRef & { transcript: Turn[] }): Promise<void> {
      const last = ref.transcript.at(-1);
      const caller = [...ref.transcript].reverse().find((t) => t.role === 'caller');
      await tenantEm(deps.orm, ref.tenantId)
        .getConnection()
        .execute(
          'update voice_calls set transcript = ?::jsonb, conversation_state = ?, last_analysis = ?::jsonb, updated_at = now() where tenant_id = ? and id = ? and jsonb_array_length(transcript) <= ?',
          [JSON.stringify(ref.transcript), last?.state ?? 'greeting', caller?.analysis ? JSON.stringify(caller.analysis) : null, ref.tenantId, ref.callId, ref.transcript.length],
        );
    },

    /**
     * Closes the call once: its status from the last outcome, the summary and analytics of
     * its transcript, an activity on its lead (rescored), a person who asked not to be
     * called again marked so, and `call.ended` plus `call.completed` or `call.failed`.
     */
    async finishCall(ref: CallRef & { outcome: string; reason: string | null; workflowId: string }): Promise<EndAnswer> {
      // One read, in the transaction that closes the call.
      return tenantEm(deps.orm, ref.tenantId).transactional(async (tx) => {
        const call = await tx.findOneOrFail(VoiceCallSchema, ref.callId, { populate: ['lead', 'contact'] });
        if (FINAL_CALL_STATUSES.includes(call.status) && call.summary && call.analytics) {
          return { success: true as const, call_id: call.id, status: call.status, summary: call.summary, analytics: call.analytics };
        }
        const endedAt = new Date();
        const talked = call.answeredAt ? endedAt.getTime() - call.answeredAt.getTime() : 0;
        const { summary, analytics } = summarizeCall(call.transcript, talked);
        const status: CallStatus = STATUS_OF[ref.outcome] ?? 'failed';
        Object.assign(call, { status, summary, analytics, endedAt, endReason: (ref.reason ?? ref.outcome).slice(0, 100) });
        if (call.contact && call.transcript.some((t) => t.analysis?.intent === 'do_not_call')) call.contact.doNotCall = true;
        const base = { call_id: call.id };
        recordEvent(tx, { tenantId: ref.tenantId, type: 'call.ended', entityType: 'voice_call', entityId: call.id, payload: { ...base, duration_seconds: Math.round(talked / 1000) } });
        if (status === 'completed') {
          recordEvent(tx, { tenantId: ref.tenantId, type: 'call.completed', entityType: 'voice_call', entityId: call.id, payload: { ...base, outcome: summary.recommendation } });
        } else {
          recordEvent(tx, { tenantId: ref.tenantId, type: 'call.failed', entityType: 'voice_call', entityId: call.id, payload: { ...base, error: ref.outcome } });
        }
        if (call.lead) {
          recordLeadActivity(tx, {
            tenantId: ref.tenantId,
            leadId: call.lead.id,
            activityType: status === 'completed' ? 'call_completed' : 'call_failed',
            description: status === 'completed' ? `AI call: ${summary.recommendation}` : `AI call not completed: ${ref.outcome}`,
            metadata: { call_id: call.id, run: ref.workflowId, summary, analytics },
          });
          await tx.flush();
          await rescoreLead(tx, call.lead);
        }
        await tx.flush();
        return { success: true as const, call_id: call.id, status, summary, analytics };
      });
    },
  };
}

export type VoiceCallActivities = ReturnType<typeof createVoiceCallActivities>;
