import twilio from 'twilio';

/**
 * Whether a webhook really comes from Twilio: the `X-Twilio-Signature` over the full
 * public URL and the posted form fields, with the account's auth token (twilio's own validator).
 */
export function isValidTwilioSignature(authToken: string, signature: string | undefined, url: string, params: Record<string, unknown>): boolean {
  if (!signature) return false;
  return twilio.validateRequest(authToken, signature, url, params as Record<string, string>);
}
