/**
 * Carrier-standard SMS control words (CTIA; Twilio honours the same opt-out list). A
 * message that is exactly one of these changes the sender's consent rather than being
 * triaged. Opting in takes START or UNSTOP only: a "Yes" is far more often a customer
 * confirming an appointment, which must reach the inbox (Twilio's own YES opt-in still
 * applies at Twilio, and this product then texts that number only after START).
 */
const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const OPT_IN = new Set(['START', 'UNSTOP']);

export type SmsConsentChange = 'opt_out' | 'opt_in' | null;

export function smsConsentChange(body: string): SmsConsentChange {
  const word = body.trim().replace(/[.!]+$/, '').toUpperCase();
  if (OPT_OUT.has(word)) return 'opt_out';
  if (OPT_IN.has(word)) return 'opt_in';
  return null;
}
