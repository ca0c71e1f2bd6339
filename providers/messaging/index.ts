import type { Config } from '../../lib/config.ts';
import type { SecretBox } from '../../lib/crypto.ts';
import { createLocalTextProvider, createTwilioTextProvider } from '../twilio/messaging.ts';
import { createLocalEmailProvider, createSmtpEmailProvider } from './email.ts';
import type { EmailProvider, TextProvider } from './types.ts';

export type { EmailProvider, TextProvider } from './types.ts';

/** The tenant columns that choose its Twilio account. */
export interface TwilioOwner {
  twilioAccountSid?: string | null;
  twilioAuthTokenSealed?: string | null;
}

export interface MessagingProviders {
  /** The tenant's own Twilio account, else the platform's (TWILIO_*), else the local sink. */
  text(tenant: TwilioOwner): TextProvider;
  email: EmailProvider;
}

export function createMessagingProviders(config: Pick<Config, 'twilio' | 'smtp' | 'sms'>, secrets: SecretBox): MessagingProviders {
  const clients = new Map<string, TextProvider>();
  const twilioFor = (accountSid: string, authToken: string) => {
    const key = `${accountSid}:${authToken}`;
    let provider = clients.get(key);
    if (!provider) {
      provider = createTwilioTextProvider({ accountSid, authToken, apiUrl: config.twilio.apiUrl, timeoutMs: config.sms.sendTimeoutMs });
      clients.set(key, provider);
    }
    return provider;
  };
  const local = createLocalTextProvider();
  return {
    text(tenant) {
      if (tenant.twilioAccountSid && tenant.twilioAuthTokenSealed) return twilioFor(tenant.twilioAccountSid, secrets.open(tenant.twilioAuthTokenSealed));
      if (config.twilio.accountSid && config.twilio.authToken) return twilioFor(config.twilio.accountSid, config.twilio.authToken);
      return local;
    },
    email: config.smtp ? createSmtpEmailProvider(config.smtp) : createLocalEmailProvider(),
  };
}
