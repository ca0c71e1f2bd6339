import { DateTime } from 'luxon';
import type { MikroORM } from '../lib/db.ts';
import { tenantEm, type EntityManager } from '../lib/db.ts';
import { nextDialTime } from '../lib/voice/callWindow.ts';
import { agentReply, analyzeUtterance, nextState, summarizeCall, type CallContext, type ConversationState, type Turn } from '../lib/voice/conversation.ts';
import { recordEvent } from '../entities/Event.ts';
import { recordLeadActivity } from '../entities/LeadActivity.ts';
import { rescoreLead } from '../entities/leadScoring.ts';
import { senderNumber, TenantSchema, type Tenant } from '../entities/Tenant.ts';
import type { LineStatus, VoiceDialer } from '../providers/voice/index.ts';
import type { TwilioOwner } from '../providers/twilio/accounts.ts';
import { ProviderError } from '../providers/errors.ts';
import { callAutomation, FINAL_CALL_STATUSES, VoiceCallSchema, type CallAttempt, type CallStatus, type VoiceCall } from '../entities/VoiceCall.ts';
import type { EndAnswer, RespondAnswer } from '../workflows/placeCall.client.ts';
import type { CallAgent } from '../providers/llm/callAgent.ts';
import { log } from '@temporalio/activity';

export interface VoiceCallDeps {
  orm: MikroORM;
  /** The tenant's own Twilio account, else the platform's, else the local simulator. */
  dialerFor: (owner: TwilioOwner) => VoiceDialer;
  /** Where Twilio reaches the call's webhooks (PUBLIC_BASE_URL), the platform's number, and how long a phone rings. */
  phone: { publicBaseUrl?: string; platformNumber?: string; ringSeconds: number };
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

export interface DialAnswer {
  outcome: string;
  providerCallId: string | null;
  /** Why an attempt failed, in words (a provider's refusal, a missing setting). */
  reason: string | null;
}

/**
 * Records an attempt's outcome (and the provider's id for it); an answered call starts its
 * transcript with the agent's opening line and says `call.started` once.
 */
async function settle(
  em: EntityManager,
  call: VoiceCall,
  recorded: CallAttempt[],
  a: { n: number; outcome: string; providerCallId: string | null; opening: string; reason?: string; accountSid?: string | null },
): Promise<DialAnswer> {
  // Written directly (the loaded row stays as read): a flush must never put older attempts back.
  const attempts = recorded.map((x) =>
    x.n === a.n
      ? { ...x, outcome: a.outcome, provider_call_id: a.providerCallId ?? x.provider_call_id, ...(a.accountSid !== undefined ? { account_sid: a.accountSid } : {}), ...(a.reason ? { error: a.reason.slice(0, 300) } : {}) }
      : x,
  );
  const answered = a.outcome === 'answered';
  await em.transactional(async (tx) => {
    await tx.nativeUpdate(
      VoiceCallSchema,
      { id: call.id },
      {
        attempts,
        ...(a.providerCallId ? { providerCallId: a.providerCallId } : {}),
        ...(answered ? { status: 'in_progress', answeredAt: new Date(), transcript: [{ role: 'agent', text: a.opening, state: 'greeting' }] } : { status: a.outcome === 'placed' ? 'dialing' : 'scheduled' }),
      },
    );
    if (answered && !call.answeredAt) {
      recordEvent(tx, { tenantId: call.tenant.id, type: 'call.started', entityType: 'voice_call', entityId: call.id, payload: { call_id: call.id, to: call.phoneNumber }, automation: callAutomation(call) });
      await tx.flush();
    }
  });
  return { outcome: a.outcome, providerCallId: a.providerCallId, reason: a.reason ?? null };
}

export function createVoiceCallActivities(deps: VoiceCallDeps) {
  async function load(ref: CallRef): Promise<{ em: EntityManager; call: VoiceCall }> {
    const em = tenantEm(deps.orm, ref.tenantId);
    const call = await em.findOneOrFail(VoiceCallSchema, ref.callId, { populate: ['contact', 'lead'] });
    return { em, call };
  }

  /**
   * The dialer of the account that placed an attempt: the tenant's now, the one it switched
   * away from (while its token is kept), or the platform's; the tenant's now when unknown.
   */
  function dialerOfAccount(tenant: Tenant, accountSid: string | null | undefined): VoiceDialer {
    const current = deps.dialerFor(tenant);
    if (!accountSid || accountSid === current.accountSid) return current;
    const { twilioPreviousAccountSid: previous, twilioPreviousAuthTokenSealed: sealed, twilioPreviousUntil: until } = tenant;
    if (accountSid === previous && sealed && until && until > new Date()) return deps.dialerFor({ twilioAccountSid: previous, twilioAuthTokenSealed: sealed });
    const platform = deps.dialerFor({});
    return platform.accountSid === accountSid ? platform : current;
  }

  /** The dialer of the account that placed the call's line `providerCallId`. */
  async function dialerOfLine(ref: CallRef & { providerCallId: string }): Promise<VoiceDialer> {
    const em = tenantEm(deps.orm, ref.tenantId);
    const call = await em.findOneOrFail(VoiceCallSchema, ref.callId, { fields: ['attempts'] });
    const tenant = await em.findOneOrFail(TenantSchema, ref.tenantId);
    return dialerOfAccount(tenant, call.attempts.find((a) => a.provider_call_id === ref.providerCallId)?.account_sid);
  }

  /** When the next dial may happen: inside the tenant's calling hours in the recipient's zone (the contact's, else the tenant's), within the call's window. */
  function dialTime(tenant: Tenant, call: VoiceCall, now: Date): Date | null {
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
      const tenant = await em.findOneOrFail(TenantSchema, call.tenant.id);
      return { at: dialTime(tenant, call, new Date())?.toISOString() ?? null, refused: null };
    },

    /**
     * One attempt: consent and calling hours checked again right before dialling, the
     * attempt recorded before the dial and its outcome after. A retry of an attempt that
     * already has an outcome answers it; one that died mid-dial asks the provider whether
     * the call was placed before dialling again, so a crash never dials twice. On Twilio the
     * outcome is `placed`: what happened next arrives through its webhooks.
     */
    async dialCall(ref: CallRef & { attempt: number; opening: string; waitForBeep: boolean }): Promise<DialAnswer> {
      const { em, call } = await load(ref);
      const recorded = call.attempts.find((a) => a.n === ref.attempt);
      if (recorded && recorded.outcome !== 'dialing') return { outcome: recorded.outcome, providerCallId: recorded.provider_call_id, reason: recorded.error ?? null };
      const refused = refusal(call);
      if (refused) return { outcome: refused, providerCallId: null, reason: null };
      const tenant = await em.findOneOrFail(TenantSchema, call.tenant.id);
      const now = new Date();
      if (dialTime(tenant, call, now)?.getTime() !== now.getTime()) return { outcome: 'not_now', providerCallId: null, reason: null };
      const dialer = deps.dialerFor(tenant);
      const from = senderNumber(tenant, deps.phone.platformNumber);
      const base = deps.phone.publicBaseUrl?.replace(/\/$/, '');
      const attempts = recorded ? call.attempts : [...call.attempts, { n: ref.attempt, at: now.toISOString(), outcome: 'dialing', provider_call_id: null, account_sid: dialer.accountSid }];
      if (!recorded) await em.nativeUpdate(VoiceCallSchema, { id: call.id }, { attempts, status: 'dialing' });
      const fail = (reason: string) => settle(em, call, attempts, { n: ref.attempt, outcome: 'failed', providerCallId: null, opening: ref.opening, reason });
      if (dialer.kind === 'twilio' && !from) return fail('No number to call from: add one to the tenant (PATCH /tenant phone_numbers) or set TWILIO_PHONE_NUMBER');
      if (dialer.kind === 'twilio' && !base) return fail('PUBLIC_BASE_URL is not set, so Twilio cannot reach the call’s webhooks');
      const query = `call=${call.id}&attempt=${ref.attempt}`;
      const request = {
        callId: call.id,
        attempt: ref.attempt,
        to: call.phoneNumber,
        from: from ?? 'local',
        answerUrl: `${base}/api/v1/voice/twilio/answer?${query}`,
        statusCallback: `${base}/api/v1/voice/twilio/status?${query}`,
        waitForBeep: ref.waitForBeep,
        ringSeconds: deps.phone.ringSeconds,
      };
      let dialed: { outcome: string; providerCallId: string; accountSid: string | null };
      try {
        const earlier = call.attempts.flatMap((a) => (a.n !== ref.attempt && a.provider_call_id ? [a.provider_call_id] : []));
        // The account the dead attempt dialled through is the one to ask.
        const before = recorded ? dialerOfAccount(tenant, recorded.account_sid) : null;
        const placed = before && recorded ? await before.findPlaced({ to: request.to, from: request.from, since: new Date(recorded.at), excluding: earlier }) : null;
        dialed = placed && before ? { outcome: 'placed', providerCallId: placed, accountSid: before.accountSid } : { ...(await dialer.dial(request)), accountSid: dialer.accountSid };
      } catch (err) {
        // Refused for good (an invalid number, no permission to call there, bad credentials): this attempt failed.
        if (err instanceof ProviderError && !err.retryable) return fail(`${err.provider} refused the call${err.code ? ` (${err.code})` : ''}: ${err.message}`);
        throw err;
      }
      return settle(em, call, attempts, { n: ref.attempt, outcome: dialed.outcome, providerCallId: dialed.providerCallId, opening: ref.opening, accountSid: dialed.accountSid });
    },

    /** What the line's webhooks (or a status check) said of an attempt placed on Twilio: recorded once. */
    async settleAttempt(ref: CallRef & { attempt: number; outcome: string; providerCallId: string | null; opening: string }): Promise<DialAnswer> {
      const { em, call } = await load(ref);
      const recorded = call.attempts.find((a) => a.n === ref.attempt);
      if (recorded?.outcome === ref.outcome) return { outcome: recorded.outcome, providerCallId: recorded.provider_call_id, reason: recorded.error ?? null };
      return settle(em, call, call.attempts, { n: ref.attempt, outcome: ref.outcome, providerCallId: ref.providerCallId, opening: ref.opening });
    },

    /** The provider's view of a call, when its callbacks have gone quiet. */
    async lineStatus(ref: CallRef & { providerCallId: string }): Promise<LineStatus> {
      return (await dialerOfLine(ref)).status(ref.providerCallId);
    },

    /** Hangs up a call still ringing or live (ended from the API, cancelled, or the conversation is over); a call already over stays as it is. */
    async hangUp(ref: CallRef & { providerCallId: string }): Promise<void> {
      await (await dialerOfLine(ref)).hangUp(ref.providerCallId);
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
        recordEvent(tx, { tenantId: ref.tenantId, type: 'call.ended', entityType: 'voice_call', entityId: call.id, payload: { ...base, duration_seconds: Math.round(talked / 1000) }, automation: callAutomation(call) });
        if (status === 'completed') {
          recordEvent(tx, { tenantId: ref.tenantId, type: 'call.completed', entityType: 'voice_call', entityId: call.id, payload: { ...base, outcome: summary.recommendation }, automation: callAutomation(call) });
        } else {
          recordEvent(tx, { tenantId: ref.tenantId, type: 'call.failed', entityType: 'voice_call', entityId: call.id, payload: { ...base, error: ref.outcome }, automation: callAutomation(call) });
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
