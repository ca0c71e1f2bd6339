import type { VoiceDialer } from './types.ts';

/** The embedded default: every call is answered by a person at once, and nothing leaves the machine. */
export const simulatedDialer: VoiceDialer = {
  kind: 'simulator',
  accountSid: null,
  dial: async (r) => ({ outcome: 'answered', providerCallId: `sim-${r.callId}-${r.attempt}` }),
  // Dialling has no effect, so there is nothing to find.
  findPlaced: async () => null,
  status: async () => ({ status: 'in-progress', answeredBy: 'human' }),
  hangUp: async () => undefined,
};
