import type { Config } from '../../lib/config.ts';
import type { SecretBox } from '../../lib/crypto.ts';

/** The tenant columns that choose its Twilio account. */
export interface TwilioOwner {
  twilioAccountSid?: string | null;
  twilioAuthTokenSealed?: string | null;
}

/**
 * Keeps one client per Twilio account and credential for `make`: the tenant's own account,
 * else the platform's (TWILIO_*), else null (no Twilio). The sealed token is opened only
 * when there is no client for it yet.
 */
export function twilioClientsBy<T>(platform: Config['twilio'], secrets: SecretBox, make: (accountSid: string, authToken: string) => T): (tenant: TwilioOwner) => T | null {
  const clients = new Map<string, T>();
  const clientFor = (accountSid: string, credential: string, token: () => string) => {
    const key = `${accountSid}:${credential}`;
    let client = clients.get(key);
    if (!client) {
      client = make(accountSid, token());
      clients.set(key, client);
    }
    return client;
  };
  return (tenant) => {
    const { twilioAccountSid: sid, twilioAuthTokenSealed: sealed } = tenant;
    if (sid && sealed) return clientFor(sid, sealed, () => secrets.open(sealed));
    if (platform.accountSid && platform.authToken) return clientFor(platform.accountSid, platform.authToken, () => platform.authToken as string);
    return null;
  };
}
