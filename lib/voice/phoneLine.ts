/**
 * Reading a telephony provider's words about a call (pure): Twilio's CallStatus and
 * AnsweredBy, as its status callbacks and its Calls API give them.
 */

/** Statuses after which the call will not change again. */
const FINAL_STATUSES = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

export const isFinalLineStatus = (status: string): boolean => FINAL_STATUSES.has(status);

/** An answering machine or a fax answered, not a person (answering-machine detection). */
export const isMachine = (answeredBy: string | null | undefined): boolean => Boolean(answeredBy && (answeredBy.startsWith('machine') || answeredBy === 'fax'));

export type LineOutcome = 'answered' | 'busy' | 'no_answer' | 'voicemail' | 'failed' | 'cancelled';

/**
 * An attempt's outcome from the line's final status. `connected`: the call reached our
 * answer webhook (so a completed call was a conversation, not a line that dropped first).
 * Null while the call is still queued, ringing or live.
 */
export function lineOutcome(status: string, answeredBy: string | null, connected: boolean): LineOutcome | null {
  switch (status) {
    case 'busy':
      return 'busy';
    case 'no-answer':
      return 'no_answer';
    case 'failed':
      return 'failed';
    case 'canceled':
      return 'cancelled';
    case 'completed':
      if (isMachine(answeredBy)) return 'voicemail';
      return connected ? 'answered' : 'failed';
    default:
      return null;
  }
}
