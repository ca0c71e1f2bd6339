/**
 * What placing an AI call needs from a telephony provider: Twilio (providers/twilio/voice.ts),
 * whose outcome arrives later through its webhooks, or the local simulator (the embedded
 * default), which answers every call at once as a person.
 */
export type DialOutcome = 'answered' | 'busy' | 'no_answer' | 'voicemail' | 'failed' | 'placed';

export interface DialRequest {
  callId: string;
  attempt: number;
  to: string;
  from: string;
  /** Where the provider asks what to say once the line is answered (TwiML). */
  answerUrl: string;
  /** Where the provider posts the call's progress. */
  statusCallback: string;
  /** Detect an answering machine and wait for its beep (a voicemail message is to be left), or only detect one. */
  waitForBeep: boolean;
  /** How long the phone rings before Twilio gives up (no-answer). */
  ringSeconds: number;
}

/** The provider's own view of a call: Twilio's status word and who answered. */
export interface LineStatus {
  status: string;
  answeredBy: string | null;
}

export interface VoiceDialer {
  readonly kind: 'twilio' | 'simulator';
  readonly accountSid: string | null;
  /** `placed`: the call is on its way, its outcome comes through the status callback. */
  dial(request: DialRequest): Promise<{ outcome: DialOutcome; providerCallId: string }>;
  /** A call already placed from `from` to `to` since `since` (and not one of `excluding`): the check before dialling again. */
  findPlaced(request: { to: string; from: string; since: Date; excluding: string[] }): Promise<string | null>;
  status(providerCallId: string): Promise<LineStatus>;
  /** Ends the call if it is still ringing or live; a call already over is left as it is. */
  hangUp(providerCallId: string): Promise<void>;
}
