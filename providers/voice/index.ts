import type { Config } from '../../lib/config.ts';
import type { SecretBox } from '../../lib/crypto.ts';
import { twilioClientsBy, type TwilioOwner } from '../twilio/accounts.ts';
import { createTwilioVoiceDialer } from '../twilio/voice.ts';
import { simulatedDialer } from './simulator.ts';
import type { VoiceDialer } from './types.ts';

export type { DialOutcome, DialRequest, LineStatus, VoiceDialer } from './types.ts';
export { simulatedDialer } from './simulator.ts';

/** The dialer for a tenant: its own Twilio account, else the platform's (TWILIO_*), else the simulator. */
export function createVoiceDialers(config: Pick<Config, 'twilio'>, secrets: SecretBox): (tenant: TwilioOwner) => VoiceDialer {
  const twilioFor = twilioClientsBy(config.twilio, secrets, (accountSid, authToken) => createTwilioVoiceDialer({ accountSid, authToken, apiUrl: config.twilio.apiUrl }));
  return (tenant) => twilioFor(tenant) ?? simulatedDialer;
}
