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
  /** One client per account and credential; `token` opens the credential only when there is none yet. */
  const twilioFor = (accountSid: string, credential: string, token: () => string) => {
    const key = `${accountSid}:${credential}`;
    let provider = clients.get(key);
    if (!provider) {
      provider = createTwilioTextProvider({ accountSid, authToken: token(), apiUrl: config.twilio.apiUrl, timeoutMs: config.sms.sendTimeoutMs });
      clients.set(key, provider);
    }
    return provider;
  };
  const local = createLocalTextProvider();
  return {
    text(tenant) {
      const { twilioAccountSid: sid, twilioAuthTokenSealed: sealed } = tenant;
      if (sid && sealed) return twilioFor(sid, sealed, () => secrets.open(sealed));
      const platform = config.twilio;
      if (platform.accountSid && platform.authToken) return twilioFor(platform.accountSid, platform.authToken, () => platform.authToken as string);
      return local;
    },
    email: config.smtp ? createSmtpEmailProvider(config.smtp) : createLocalEmailProvider(),
  };
}
