import { twilioCall, twilioClient } from './client.ts';

/**
 * Twilio's word on an account SID and auth token, through the real client: the account's
 * status (`active`, `suspended`, `closed`). Refused credentials throw a ProviderError of
 * kind `auth`. The resource Twilio returns carries the auth token too; only the status
 * leaves here.
 */
export async function fetchTwilioAccount(o: { accountSid: string; authToken: string; apiUrl?: string; timeoutMs: number }): Promise<{ status: string }> {
  const client = twilioClient(o.accountSid, o.authToken, o.apiUrl, o.timeoutMs);
  const account = await twilioCall(() => client.api.v2010.accounts(o.accountSid).fetch());
  return { status: account.status };
}
