import { freePort, startStack, type TestStack } from './app.ts';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilioServer.ts';

/**
 * A stack whose platform Twilio account is the fake Twilio server (reached through the
 * real client via TWILIO_API_URL), sending from `number`. With `callbacks`, the API
 * listens on a port known in advance, so PUBLIC_BASE_URL and Twilio's status callbacks point at it.
 */
export async function startTwilioStack(o: { accountSid: string; authToken: string; number: string; callbacks?: boolean; env?: Record<string, string> }): Promise<{ stack: TestStack; twilio: FakeTwilio; close(): Promise<void> }> {
  const twilio = await startFakeTwilio();
  twilio.addAccount(o.accountSid, { authToken: o.authToken, numbers: [o.number] });
  const port = o.callbacks ? await freePort() : undefined;
  const stack = await startStack({
    port,
    env: {
      TWILIO_ACCOUNT_SID: o.accountSid,
      TWILIO_AUTH_TOKEN: o.authToken,
      TWILIO_PHONE_NUMBER: o.number,
      TWILIO_API_URL: twilio.url,
      ...(port ? { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` } : {}),
      RATE_LIMIT_PER_MINUTE: '1000',
      ...o.env,
    },
  });
  return {
    stack,
    twilio,
    async close() {
      await stack.close();
      await twilio.close();
    },
  };
}
