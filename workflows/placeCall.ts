import { ActivityFailure, allHandlersFinished, ApplicationFailure, CancellationScope, condition, isCancellation, log, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { VoiceCallActivities } from '../activities/voiceCalls.ts';
import { agentReply, analyzeUtterance, nextState, openingMessage, type Turn } from '../lib/voice/conversation.ts';
import { isFinalLineStatus, isMachine, lineOutcome } from '../lib/voice/phoneLine.ts';
import { presets } from './activityOptions.ts';
import { callProgressQuery, connectCallUpdate, endCallUpdate, lineStatusSignal, respondUpdate, startCallUpdate, type CallInput, type CallProgress, type ConnectAnswer, type EndAnswer } from './placeCall.client.ts';

const { planDial, finishCall, saveTranscript, settleAttempt } = proxyActivities<VoiceCallActivities>(presets.database);
const { lineStatus, hangUp } = proxyActivities<VoiceCallActivities>(presets.providerCall);
// A dial is made once per attempt: the activity records the attempt before placing it and
// answers the recorded outcome when retried, so a worker crash never dials twice.
const { dialCall } = proxyActivities<VoiceCallActivities>({ ...presets.providerCall, retry: { ...presets.providerCall.retry, maximumAttempts: 5 } });
const { converseTurn } = proxyActivities<VoiceCallActivities>({ ...presets.providerCall, startToCloseTimeout: '30 seconds' });

/** A conversation nobody ends is closed after this long. */
const CONVERSATION_LIMIT_MS = 60 * 60_000;
/** Dial outcomes after which the call is not tried again (an answered call ends after its conversation; voicemail only once a message was left, or on the simulator). */
const FINAL_OUTCOMES = new Set(['declined', 'failed', 'do_not_call', 'opted_out', 'cancelled']);
/** A phone line without news this long is checked with the provider (a lost callback), unless the input says otherwise. */
const LINE_CHECK_MS = 2 * 60_000;
/** Checks of a line that neither connects nor ends before the attempt is hung up as failed. */
const LINE_CHECKS = 5;

/** The attempt on the phone network (Twilio): what its webhooks said so far. */
interface PhoneLine {
  attempt: number;
  sid: string | null;
  /** Who the answer webhook said picked up. */
  connected: 'human' | 'machine' | null;
  /** The line's final status, once it has one. */
  status: string | null;
  answeredBy: string | null;
}

/**
 * One outbound AI call (ID `call-<id>`): it waits to be started, dials inside the calling
 * hours of the recipient's zone (checking consent right before each dial), retries busy or
 * unanswered calls within one attempt budget, holds the conversation (each utterance an
 * Update answered with the agent's next line), and sums the call up when it ends.
 */
export async function placeCallWorkflow(input: CallInput): Promise<CallProgress> {
  const ref = { tenantId: input.tenantId, callId: input.callId };
  const progress: CallProgress = { status: 'scheduled', attempt: 0, conversation_state: 'greeting', turns: 0, dial_at: null, outcome: null };
  let started = input.autoStart ?? false;
  let ending: string | null = null;
  let final: EndAnswer | null = null;
  let speaking = false;
  let turnsInState = 0;
  // The local engine is pure: its turns are taken here and answered at once, the transcript
  // written behind them (in order) instead of an activity per utterance before the answer.
  let transcript: Turn[] = [];
  let saving: Promise<void> = Promise.resolve();
  const save = (snapshot: Turn[]) => {
    saving = saving.then(() =>
      saveTranscript({ ...ref, transcript: snapshot }).catch((err: unknown) => {
        log.warn('transcript not saved; the next turn writes it whole', { error: err instanceof Error ? err.message : String(err) });
      }),
    );
  };
  const over = () => final !== null || ending !== null;
  let line: PhoneLine | null = null;
  let voicemailLeft = false;
  const opening = openingMessage(input.context);

  setHandler(callProgressQuery, () => progress);
  setHandler(
    startCallUpdate,
    (_config) => {
      started = true;
      const { leadName, leadCompany, purpose } = input.context;
      return { success: true as const, call_id: input.callId, opening_message: openingMessage(input.context), session_info: { state: 'greeting' as const, context: { lead_name: leadName, company: leadCompany, purpose } } };
    },
    {
      validator: (_config) => {
        if (started || over()) throw new Error('the call was already started');
      },
    },
  );
  /** One utterance answered by the local engine, appended to the transcript. */
  const localTurn = (text: string) => {
    const analysis = analyzeUtterance(text);
    const state = nextState(progress.conversation_state, analysis, turnsInState + 1);
    const reply = agentReply(input.context, state, analysis);
    transcript = [...transcript, { role: 'caller', text, state: progress.conversation_state, analysis }, { role: 'agent', text: reply.text, state }];
    save(transcript);
    return { success: true as const, ai_response: reply.text, audio_data: null, analysis, conversation_state: state, should_continue: reply.should_continue };
  };

  setHandler(
    respondUpdate,
    async ({ text }) => {
      // An utterance during the dial waits for the answer; utterances are taken one at a time.
      await condition(() => (progress.status === 'in_progress' && !speaking) || over());
      if (over()) throw ApplicationFailure.nonRetryable('the call has ended', 'CallEnded');
      speaking = true;
      try {
        const answer = input.engine !== 'llm' && patched('local-turn-in-workflow') ? localTurn(text) : await converseTurn({ ...ref, text, state: progress.conversation_state, turnsInState: turnsInState + 1, turn: progress.turns, context: input.context });
        turnsInState = answer.conversation_state === progress.conversation_state ? turnsInState + 1 : 0;
        progress.conversation_state = answer.conversation_state;
        progress.turns += 2;
        if (!answer.should_continue) ending ??= 'conversation_ended';
        return answer;
      } finally {
        speaking = false;
      }
    },
    {
      validator: ({ text }) => {
        if (!started || over()) throw new Error('the call is not in progress');
        if (typeof text !== 'string' || !text.trim()) throw new Error('text must not be empty');
      },
    },
  );
  setHandler(
    connectCallUpdate,
    ({ call_sid, answered_by }): ConnectAnswer => {
      const l = line as PhoneLine;
      l.sid ??= call_sid;
      l.answeredBy = answered_by;
      if (over()) return { action: 'hangup', say: null };
      if (isMachine(answered_by)) {
        l.connected = 'machine';
        if (!input.voicemailMessage || voicemailLeft) return { action: 'hangup', say: null };
        voicemailLeft = true;
        return { action: 'voicemail', say: input.voicemailMessage };
      }
      l.connected = 'human';
      return { action: 'converse', say: opening };
    },
    {
      validator: ({ attempt, call_sid }) => {
        if (!line || line.attempt !== attempt || line.connected || line.status || (line.sid && line.sid !== call_sid)) throw new Error('no call of this attempt is ringing');
      },
    },
  );
  // Callbacks of an earlier attempt, or of another call, change nothing.
  setHandler(lineStatusSignal, (e) => {
    if (!line || line.attempt !== e.attempt || (line.sid && line.sid !== e.call_sid)) return;
    line.sid ??= e.call_sid;
    if (e.answered_by) line.answeredBy = e.answered_by;
    if (isFinalLineStatus(e.status)) line.status = e.status;
  });
  setHandler(
    endCallUpdate,
    async ({ reason }) => {
      ending ??= reason;
      await condition(() => final !== null);
      return final as EndAnswer;
    },
    {
      validator: (_end) => {
        if (final !== null) throw new Error('the call has already ended');
      },
    },
  );

  /** The line reports back until the call is answered (by a person or a machine) or ends; a quiet line is asked. */
  async function ringing(l: PhoneLine, sid: string, checkMs: number): Promise<void> {
    for (let checks = 0; !l.connected && !l.status; ) {
      if (await condition(() => l.connected !== null || l.status !== null || ending !== null, checkMs)) {
        if (l.connected || l.status) return;
        // Ended from here (end, cancel) while it rang.
        await hangUp({ ...ref, providerCallId: sid });
        l.status = 'canceled';
        return;
      }
      const seen = await lineStatus({ ...ref, providerCallId: sid });
      if (isFinalLineStatus(seen.status)) {
        l.status = seen.status;
        l.answeredBy ??= seen.answeredBy;
      } else if (++checks >= LINE_CHECKS) {
        await hangUp({ ...ref, providerCallId: sid });
        l.status = 'failed';
      }
    }
  }

  /**
   * An attempt placed on the phone network: the outcome from its webhooks (a status check
   * covering a lost one), and an answered call's conversation through the Gather webhook,
   * until either side ends it. Hangs up whatever it ends.
   */
  async function followLine(l: PhoneLine, sid: string): Promise<string> {
    l.sid ??= sid;
    const checkMs = input.lineCheckMs ?? LINE_CHECK_MS;
    await ringing(l, sid, checkMs);
    if (l.connected !== 'human') {
      const outcome = l.connected === 'machine' ? 'voicemail' : (lineOutcome(l.status ?? 'failed', l.answeredBy, false) ?? 'failed');
      await settleAttempt({ ...ref, attempt: l.attempt, outcome, providerCallId: sid, opening });
      return outcome;
    }
    await settleAttempt({ ...ref, attempt: l.attempt, outcome: 'answered', providerCallId: sid, opening });
    transcript = [{ role: 'agent', text: opening, state: 'greeting' }];
    Object.assign(progress, { status: 'in_progress', turns: 1 });
    const until = Date.now() + CONVERSATION_LIMIT_MS;
    while (ending === null && l.status === null && Date.now() < until) {
      const turns = progress.turns;
      if (await condition(() => ending !== null || l.status !== null || progress.turns !== turns, checkMs)) continue;
      const seen = await lineStatus({ ...ref, providerCallId: sid });
      if (isFinalLineStatus(seen.status)) l.status = seen.status;
    }
    if (l.status !== null) {
      ending ??= 'caller_hung_up';
      return 'answered';
    }
    // The agent's goodbye ends in a hang-up of its own: let it be heard first.
    if (ending === 'conversation_ended') await condition(() => l.status !== null, checkMs);
    if (l.status === null) await hangUp({ ...ref, providerCallId: sid });
    return 'answered';
  }

  let failure: string | null = null;
  async function dialAndTalk(): Promise<string> {
    await condition(() => started || ending !== null);
    let outcome = ending ? 'cancelled' : 'failed';
    // The dial step checks consent and the calling hours itself (`not_now` outside them), so
    // a run since dial-first dials at once and plans only when told not now: one activity
    // fewer before each attempt that may go at once, the common case. Older runs plan first.
    const dialFirst = patched('dial-first');
    let planFirst = !dialFirst;
    for (let attempt = 1; !ending && attempt <= input.maxAttempts; ) {
      if (planFirst) {
        const plan = await planDial(ref);
        if (plan.refused || !plan.at) {
          outcome = plan.refused ?? 'outside_window';
          break;
        }
        const wait = Date.parse(plan.at) - Date.now();
        if (wait > 0) {
          Object.assign(progress, { status: 'scheduled', dial_at: plan.at });
          if (await condition(() => ending !== null, wait)) break;
        }
      }
      Object.assign(progress, { status: 'dialing', dial_at: null, attempt });
      line = { attempt, sid: null, connected: null, status: null, answeredBy: null };
      let dialed: Awaited<ReturnType<typeof dialCall>>;
      try {
        dialed = await dialCall({ ...ref, attempt, opening, waitForBeep: Boolean(input.voicemailMessage) });
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        outcome = 'failed';
        break;
      }
      // Outside the calling hours (they closed since the plan, or a dial-first run was early):
      // plan, the attempt unspent.
      if (dialed.outcome === 'not_now') {
        planFirst = true;
        continue;
      }
      planFirst = !dialFirst;
      failure = dialed.reason ?? null;
      outcome = dialed.outcome === 'placed' && dialed.providerCallId ? await followLine(line, dialed.providerCallId) : dialed.outcome;
      if (outcome === 'answered') {
        if (dialed.outcome === 'answered') {
          // The simulator answers at once: the conversation goes on through the API alone.
          Object.assign(progress, { status: 'in_progress', turns: 1 });
          transcript = [{ role: 'agent', text: opening, state: 'greeting' }];
          await condition(() => ending !== null, CONVERSATION_LIMIT_MS);
        }
        break;
      }
      // Voicemail on the simulator, or once a message was left, is the end of it.
      const voicemailDone = outcome === 'voicemail' && (dialed.outcome === 'voicemail' || voicemailLeft);
      if (FINAL_OUTCOMES.has(outcome) || voicemailDone || attempt >= input.maxAttempts) break;
      progress.status = 'scheduled';
      const delay = input.retryDelaysMs[Math.min(attempt - 1, input.retryDelaysMs.length - 1)] ?? 0;
      attempt++;
      if (await condition(() => ending !== null, delay)) break;
    }
    return outcome;
  }

  const close = async (outcome: string) => {
    await saving;
    final = await finishCall({ ...ref, outcome, reason: ending ?? failure, workflowId: workflowInfo().workflowId });
    Object.assign(progress, { status: final.status, outcome, dial_at: null });
  };
  try {
    const outcome = await dialAndTalk();
    await close(ending && outcome !== 'answered' ? 'cancelled' : outcome);
  } catch (err) {
    if (!isCancellation(err) || !patched('cancel-hangs-up')) throw err;
    // Cancelled through /runs: a live call is hung up and the call closed before the run ends cancelled.
    await CancellationScope.nonCancellable(async () => {
      ending ??= 'cancelled';
      if (line?.sid && !line.status) await hangUp({ ...ref, providerCallId: line.sid });
      await close('cancelled');
    });
    throw err;
  }
  // An `end` or `respond` Update still answering finishes before the run closes.
  await condition(allHandlersFinished);
  return progress;
}
