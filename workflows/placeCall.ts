import { ActivityFailure, allHandlersFinished, ApplicationFailure, condition, log, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { VoiceCallActivities } from '../activities/voiceCalls.ts';
import { agentReply, analyzeUtterance, nextState, openingMessage, type Turn } from '../lib/voice/conversation.ts';
import { presets } from './activityOptions.ts';
import { callProgressQuery, endCallUpdate, respondUpdate, startCallUpdate, type CallInput, type CallProgress, type EndAnswer } from './placeCall.client.ts';

const { planDial, finishCall, saveTranscript } = proxyActivities<VoiceCallActivities>(presets.database);
// A dial is made once per attempt: the activity records the attempt before placing it and
// answers the recorded outcome when retried, so a worker crash never dials twice.
const { dialCall } = proxyActivities<VoiceCallActivities>({ ...presets.providerCall, retry: { ...presets.providerCall.retry, maximumAttempts: 5 } });
const { converseTurn } = proxyActivities<VoiceCallActivities>({ ...presets.providerCall, startToCloseTimeout: '30 seconds' });

/** A conversation nobody ends is closed after this long. */
const CONVERSATION_LIMIT_MS = 60 * 60_000;
/** Dial outcomes after which the call is not tried again (an answered call ends after its conversation). */
const FINAL_OUTCOMES = new Set(['declined', 'voicemail', 'failed', 'do_not_call', 'opted_out']);

/**
 * One outbound AI call (ID `call-<id>`): it waits to be started, dials inside the calling
 * hours of the recipient's zone (checking consent right before each dial), retries busy or
 * unanswered calls within one attempt budget, holds the conversation (each utterance an
 * Update answered with the agent's next line), and sums the call up when it ends.
 */
export async function placeCallWorkflow(input: CallInput): Promise<CallProgress> {
  const ref = { tenantId: input.tenantId, callId: input.callId };
  const progress: CallProgress = { status: 'scheduled', attempt: 0, conversation_state: 'greeting', turns: 0, dial_at: null, outcome: null };
  let started = false;
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

  await condition(() => started || ending !== null);
  let outcome = ending ? 'cancelled' : 'failed';
  for (let attempt = 1; !ending && attempt <= input.maxAttempts; ) {
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
    Object.assign(progress, { status: 'dialing', dial_at: null, attempt });
    let dialed: Awaited<ReturnType<typeof dialCall>>;
    try {
      dialed = await dialCall({ ...ref, attempt, opening: openingMessage(input.context) });
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      outcome = 'failed';
      break;
    }
    // The calling hours closed between the plan and the dial: plan again, the attempt unspent.
    if (dialed.outcome === 'not_now') continue;
    outcome = dialed.outcome;
    if (dialed.outcome === 'answered') {
      Object.assign(progress, { status: 'in_progress', turns: 1 });
      transcript = [{ role: 'agent', text: openingMessage(input.context), state: 'greeting' }];
      await condition(() => ending !== null, CONVERSATION_LIMIT_MS);
      break;
    }
    if (FINAL_OUTCOMES.has(dialed.outcome) || attempt >= input.maxAttempts) break;
    progress.status = 'scheduled';
    const delay = input.retryDelaysMs[Math.min(attempt - 1, input.retryDelaysMs.length - 1)] ?? 0;
    attempt++;
    if (await condition(() => ending !== null, delay)) break;
  }
  await saving;
  final = await finishCall({ ...ref, outcome: ending && outcome !== 'answered' ? 'cancelled' : outcome, reason: ending, workflowId: workflowInfo().workflowId });
  Object.assign(progress, { status: final.status, outcome, dial_at: null });
  // An `end` or `respond` Update still answering finishes before the run closes.
  await condition(allHandlersFinished);
  return progress;
}
