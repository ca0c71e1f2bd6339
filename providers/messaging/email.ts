import nodemailer from 'nodemailer';
import { ProviderError } from '../errors.ts';
import type { EmailProvider } from './types.ts';

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
}

/**
 * Email over SMTP with nodemailer (seed 002's SMTP_* settings). Each wait (connecting, the
 * greeting, any silence mid-exchange) ends within `timeoutMs`, the send's timeout, which
 * the send activity's own timeout exceeds: a stalled server is given up on by this attempt
 * before Temporal starts another beside it. SMTP has no way to ask what was delivered, so a
 * retry sends again under the same Message-ID, which receiving servers use to drop the copy.
 */
export function createSmtpEmailProvider(s: SmtpSettings, timeoutMs: number): EmailProvider {
  const transport = nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.secure,
    // A username alone is a sender name (seed 002 sets SMTP_USERNAME), not a login.
    ...(s.user && s.password ? { auth: { user: s.user, pass: s.password } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    kind: 'smtp',
    async send(m) {
      try {
        const info = await transport.sendMail({ from: m.from, to: m.to, subject: m.subject, text: m.text, messageId: m.messageId });
        return { id: info.messageId };
      } catch (err) {
        // A 5xx reply is the server refusing this message for good; anything else may pass later.
        const code = (err as { responseCode?: number }).responseCode;
        const message = err instanceof Error ? err.message : String(err);
        const kind = code && code >= 500 ? 'rejected' : (err as { code?: string }).code === 'ETIMEDOUT' ? 'timeout' : 'unavailable';
        throw new ProviderError('smtp', kind, message, { status: code, cause: err });
      }
    },
  };
}

/** No SMTP server configured: the outbound row is the record. */
export function createLocalEmailProvider(): EmailProvider {
  return { kind: 'local', send: async (m) => ({ id: m.messageId }) };
}
