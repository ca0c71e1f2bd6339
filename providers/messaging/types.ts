/**
 * What sending a text needs from a provider: send, the status check before a second send,
 * and whether a number belongs to the account. Twilio (providers/twilio/messaging.ts) or
 * the local sink (no credentials: recorded in outbound_messages, never sent).
 */
export interface TextSend {
  from: string;
  /** E.164, or `whatsapp:+1…` for WhatsApp. */
  to: string;
  body: string;
  /** Where the provider posts delivery status (POST /sms/status); null: no callbacks. */
  statusCallback: string | null;
}

export interface ProviderMessage {
  sid: string;
  /** The provider's status word (queued, sent, delivered, …). */
  status: string;
}

export interface TextProvider {
  readonly kind: 'twilio' | 'local';
  readonly accountSid: string | null;
  send(message: TextSend): Promise<ProviderMessage>;
  /** The messages already sent from `from` to `to` with this body since `since`, newest first. */
  findSent(message: Omit<TextSend, 'statusCallback'>, since: Date): Promise<ProviderMessage[]>;
  /** Whether the number is one of the account's own (IncomingPhoneNumbers). */
  ownsNumber(phoneNumber: string): Promise<boolean>;
}

export interface EmailSend {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** The same on every retry, so a receiver can tell a repeat (RFC 5322 Message-ID). */
  messageId: string;
}

export interface EmailProvider {
  readonly kind: 'smtp' | 'local';
  send(message: EmailSend): Promise<{ id: string }>;
}
