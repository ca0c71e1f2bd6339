import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSmtpEmailProvider } from '../../providers/messaging/email.ts';
import { ProviderError } from '../../providers/errors.ts';
import { startFakeSmtp } from '../fakes/smtpServer.ts';

/**
 * The SMTP provider against a local SMTP server: a server that takes a message but stalls
 * before answering is given up on within the send's timeout, so the send activity (whose
 * timeout is that plus ten seconds) never has a second attempt running beside the first.
 */
let smtp: Awaited<ReturnType<typeof startFakeSmtp>>;
beforeAll(async () => {
  smtp = await startFakeSmtp();
});
afterAll(() => smtp.close());

const mail = (n: number) => ({ from: 'office@acme.test', to: 'jane@example.com', subject: 'Hi', text: 'See you', messageId: `<m${n}.1@ai-secretary>` });

describe('createSmtpEmailProvider', () => {
  it('sends, and gives up on a server stalled past the send timeout with a timeout error', async () => {
    const email = createSmtpEmailProvider({ host: '127.0.0.1', port: smtp.port, secure: false }, 1_000);
    expect(await email.send(mail(1))).toEqual({ id: '<m1.1@ai-secretary>' });
    smtp.holdReply(4_000);
    try {
      const stalled = await email.send(mail(2)).then(
        () => 'sent',
        (err: unknown) => err,
      );
      expect(stalled).toBeInstanceOf(ProviderError);
      expect(stalled).toMatchObject({ kind: 'timeout', retryable: true });
    } finally {
      smtp.holdReply(0);
    }
  });
});
