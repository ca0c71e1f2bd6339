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

/** Email over SMTP with nodemailer (seed 002's SMTP_* settings). */
export function createSmtpEmailProvider(s: SmtpSettings): EmailProvider {
  const transport = nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.secure,
    // A username alone is a sender name (seed 002 sets SMTP_USERNAME), not a login.
    ...(s.user && s.password ? { auth: { user: s.user, pass: s.password } } : {}),
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
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
        throw new ProviderError('smtp', code && code >= 500 ? 'rejected' : 'unavailable', message, { status: code, cause: err });
      }
    },
  };
}

/** No SMTP server configured: the outbound row is the record. */
export function createLocalEmailProvider(): EmailProvider {
  return { kind: 'local', send: async (m) => ({ id: m.messageId }) };
}
