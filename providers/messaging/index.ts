import type { Config } from '../../lib/config.ts';
import type { SecretBox } from '../../lib/crypto.ts';
import { twilioClientsBy, type TwilioOwner } from '../twilio/accounts.ts';
import { createLocalTextProvider, createTwilioTextProvider } from '../twilio/messaging.ts';
import { createLocalEmailProvider, createSmtpEmailProvider } from './email.ts';
import type { EmailProvider, TextProvider } from './types.ts';

export type { EmailProvider, TextProvider } from './types.ts';
export type { TwilioOwner } from '../twilio/accounts.ts';

export interface MessagingProviders {
  /** The tenant's own Twilio account, else the platform's (TWILIO_*), else the local sink. */
  text(tenant: TwilioOwner): TextProvider;
  email: EmailProvider;
}

export function createMessagingProviders(config: Pick<Config, 'twilio' | 'smtp' | 'sms'>, secrets: SecretBox): MessagingProviders {
  const twilioFor = twilioClientsBy(config.twilio, secrets, (accountSid, authToken) =>
    createTwilioTextProvider({ accountSid, authToken, apiUrl: config.twilio.apiUrl, timeoutMs: config.sms.sendTimeoutMs }),
  );
  const local = createLocalTextProvider();
  return {
    text: (tenant) => twilioFor(tenant) ?? local,
    email: config.smtp ? createSmtpEmailProvider(config.smtp, config.sms.sendTimeoutMs) : createLocalEmailProvider(),
  };
}
