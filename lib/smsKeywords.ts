/**
 * Carrier-standard SMS control words (CTIA; Twilio honours the same list). A message
 * that is exactly one of these changes the sender's consent rather than being triaged.
 */
const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const OPT_IN = new Set(['START', 'YES', 'UNSTOP', 'SUBSCRIBE']);

export type SmsConsentChange = 'opt_out' | 'opt_in' | null;

export function smsConsentChange(body: string): SmsConsentChange {
  const word = body.trim().replace(/[.!]+$/, '').toUpperCase();
  if (OPT_OUT.has(word)) return 'opt_out';
  if (OPT_IN.has(word)) return 'opt_in';
  return null;
}
