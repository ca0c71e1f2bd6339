import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import type { CallAnalytics, CallContext, CallSummary, ConversationState, UtteranceAnalysis } from '../lib/voice/conversation.ts';
import { defineWorkflowKind, kindStartRequest } from './kind.ts';

export const callKind = defineWorkflowKind({ runType: 'voice_call', workflowType: 'placeCallWorkflow', entityType: 'voice_call' });

export const callWorkflowId = (callId: string) => `call-${callId}`;

export interface CallInput {
  tenantId: string;
  callId: string;
  context: CallContext;
  maxAttempts: number;
  /** Waits before each further attempt after busy or no answer (the last repeats). */
  retryDelaysMs: number[];
  /** `llm`: each turn is an activity asking the model (an LLM key was configured when the call was made); else the local engine, in the workflow. */
  engine?: 'local' | 'llm';
  /** Left once on an answering machine (voice_settings.voicemail_message); none: hang up and try again. */
  voicemailMessage?: string | null;
  /** A ringing or quiet phone call is checked with the provider after this long without news. */
  lineCheckMs?: number;
  /** Dial without waiting for `start` (an automation's start_call). */
  autoStart?: boolean;
}

export interface CallProgress {
  status: string;
  attempt: number;
  conversation_state: ConversationState;
  turns: number;
  /** When the next dial is planned (inside the calling hours), while waiting for it. */
  dial_at: string | null;
  outcome: string | null;
}

export interface StartAnswer {
  success: true;
  call_id: string;
  opening_message: string;
  session_info: { state: ConversationState; context: { lead_name: string | null; company: string | null; purpose: string | null } };
}

export interface RespondAnswer {
  success: true;
  ai_response: string;
  /** Spoken audio, with a speech API configured; null on the local engine. */
  audio_data: string | null;
  analysis: UtteranceAnalysis;
  conversation_state: ConversationState;
  should_continue: boolean;
}

export interface EndAnswer {
  success: true;
  call_id: string;
  status: string;
  summary: CallSummary;
  analytics: CallAnalytics;
}

/** POST /voice/calls/{id}/start: dial (inside the calling hours); answers the opening line. */
export const startCallUpdate = defineUpdate<StartAnswer, [{ voice_config?: Record<string, unknown> }]>('start');
/** POST /voice/calls/{id}/respond: the caller said something; answers the agent's next line. */
export const respondUpdate = defineUpdate<RespondAnswer, [{ text: string }]>('respond');
/** POST /voice/calls/{id}/end: hang up (or give up a call not made yet); answers the summary. */
export const endCallUpdate = defineUpdate<EndAnswer, [{ reason: string }]>('end');
/** What the phone says once the line is answered: the opening line then listen, the voicemail message, or nothing (hang up). */
export interface ConnectAnswer {
  action: 'converse' | 'voicemail' | 'hangup';
  say: string | null;
}

/** Twilio's answer webhook (/voice/twilio/answer): who answered the attempt's call (answering-machine detection). */
export const connectCallUpdate = defineUpdate<ConnectAnswer, [{ attempt: number; call_sid: string; answered_by: string | null }]>('connect');

/** One of Twilio's status callbacks for an attempt (/voice/twilio/status). */
export interface LineEvent {
  attempt: number;
  call_sid: string;
  status: string;
  answered_by: string | null;
}
export const lineStatusSignal = defineSignal<[LineEvent]>('lineStatus');

export const callProgressQuery = defineQuery<CallProgress>('progress');

export function callStartRequest(input: CallInput, opts: { requestId?: string | null } = {}): StartRequest {
  return kindStartRequest(callKind, callWorkflowId(input.callId), input.callId, input, opts);
}
