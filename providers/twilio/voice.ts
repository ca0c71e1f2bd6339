import { twilioCall as call, twilioClient } from './client.ts';
import type { VoiceDialer } from '../voice/types.ts';

/** Twilio's statuses of a call still ringing or live. */
const LIVE = new Set(['queued', 'initiated', 'ringing', 'in-progress']);
/** Twilio's clock and ours may differ by this much when looking for a call already placed. */
const CLOCK_SKEW_MS = 60_000;

/**
 * Outbound calls through the real `twilio` client: answering-machine detection, the answer
 * URL (TwiML from /voice/twilio/answer) and every progress event posted to the status
 * callback. The outcome of a dial is never known here: it arrives as a webhook.
 */
export function createTwilioVoiceDialer(o: { accountSid: string; authToken: string; apiUrl?: string; timeoutMs?: number }): VoiceDialer {
  const client = twilioClient(o.accountSid, o.authToken, o.apiUrl, o.timeoutMs ?? 15_000);
  return {
    kind: 'twilio',
    accountSid: o.accountSid,
    async dial(r) {
      const placed = await call(() =>
        client.calls.create({
          to: r.to,
          from: r.from,
          url: r.answerUrl,
          method: 'POST',
          statusCallback: r.statusCallback,
          statusCallbackMethod: 'POST',
          statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
          machineDetection: r.waitForBeep ? 'DetectMessageEnd' : 'Enable',
          timeout: r.ringSeconds,
        }),
      );
      return { outcome: 'placed', providerCallId: placed.sid };
    },
    async findPlaced(r) {
      const placed = await call(() => client.calls.list({ to: r.to, from: r.from, limit: 20 }));
      const since = r.since.getTime() - CLOCK_SKEW_MS;
      const found = placed.find((c) => !r.excluding.includes(c.sid) && (c.dateCreated?.getTime() ?? Date.now()) >= since);
      return found?.sid ?? null;
    },
    async status(sid) {
      const c = await call(() => client.calls(sid).fetch());
      return { status: c.status, answeredBy: c.answeredBy ?? null };
    },
    async hangUp(sid) {
      const { status } = await call(() => client.calls(sid).fetch());
      if (!LIVE.has(status)) return;
      await call(() => client.calls(sid).update({ status: status === 'in-progress' ? 'completed' : 'canceled' })).catch((err: unknown) => {
        // 21220: the call ended between the read and the hang-up.
        if ((err as { code?: string }).code !== '21220') throw err;
      });
    },
  };
}
