import { describe, expect, it } from '@jest/globals';
import { isFinalLineStatus, isMachine, lineOutcome } from '../../lib/voice/phoneLine.ts';

describe("reading Twilio's call statuses", () => {
  it('knows which statuses are final', () => {
    expect(['completed', 'busy', 'no-answer', 'failed', 'canceled'].every(isFinalLineStatus)).toBe(true);
    expect(['queued', 'initiated', 'ringing', 'in-progress'].some(isFinalLineStatus)).toBe(false);
  });

  it('tells machines and faxes from people', () => {
    expect(['machine_start', 'machine_end_beep', 'machine_end_silence', 'machine_end_other', 'fax'].every((a) => isMachine(a))).toBe(true);
    expect([null, undefined, 'human', 'unknown'].some((a) => isMachine(a))).toBe(false);
  });

  it('maps a final status to the attempt outcome', () => {
    expect(lineOutcome('busy', null, false)).toBe('busy');
    expect(lineOutcome('no-answer', null, false)).toBe('no_answer');
    expect(lineOutcome('failed', null, false)).toBe('failed');
    expect(lineOutcome('canceled', null, false)).toBe('cancelled');
    expect(lineOutcome('completed', 'machine_end_beep', true)).toBe('voicemail');
    expect(lineOutcome('completed', 'human', true)).toBe('answered');
    // Completed without ever reaching the answer webhook: nobody was spoken to.
    expect(lineOutcome('completed', 'human', false)).toBe('failed');
    expect(lineOutcome('ringing', null, false)).toBeNull();
    expect(lineOutcome('in-progress', 'human', true)).toBeNull();
  });
});
