import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import twilio from 'twilio';
import { z } from 'zod';
import { CROSS_TENANT, systemEm } from '../../lib/db.ts';
import { forbidden, notFound, validationError } from '../../lib/errors.ts';
import { VoiceCallSchema, type VoiceCall } from '../../entities/VoiceCall.ts';
import { callWorkflowId, connectCallUpdate, lineStatusSignal, respondUpdate, type ConnectAnswer } from '../../workflows/placeCall.client.ts';
import type { AppContext } from '../context.ts';
import { twilioFacingBase, verifyTwilioRequest } from '../messaging/twilioAccounts.ts';
import { publicRoute, type RouteDef } from '../routing.ts';
import { zodIssuesToFields } from '../validation.ts';

const sid = z.string().regex(/^CA[0-9a-f]{32}$/, 'must be a Twilio call SID');
/** The fields we use of Twilio's voice webhooks; all are covered by the signature. */
const voiceWebhook = z.looseObject({
  CallSid: sid,
  AccountSid: z.string().max(64).optional(),
  CallStatus: z.string().max(32).optional(),
  AnsweredBy: z.string().max(32).optional(),
  SpeechResult: z.string().max(4_000).optional(),
});
/** Which call and attempt a webhook is about: written by us into the URLs Twilio was given, and signed with them. */
const webhookQuery = z.object({
  call: z.uuid(),
  attempt: z.coerce.number().int().min(1).max(10),
  /** Gathers that heard nothing so far. */
  silent: z.coerce.number().int().min(0).max(5).default(0),
});
/** Gathers that hear nothing before the agent says goodbye. */
const MAX_SILENT = 2;
const LANGUAGE = /^[a-z]{2,3}-[A-Z]{2}$/;

/**
 * A signed voice webhook and the call it is about: the account that signed it must be the
 * one that placed the attempt (the tenant's own Twilio account, or the platform's), so one
 * business's account cannot steer another's calls, and a call placed before its tenant
 * switched accounts still hears from the account it is on.
 */
async function verifiedCall(ctx: AppContext, query: z.infer<typeof webhookQuery>): Promise<{ call: VoiceCall; hook: z.infer<typeof voiceWebhook> }> {
  const { params, accountTenant, accountSid } = await verifyTwilioRequest(ctx, { previousAccounts: true });
  const parsed = voiceWebhook.safeParse(params);
  if (!parsed.success) throw validationError('Invalid Twilio voice webhook', zodIssuesToFields(parsed.error));
  const call = await systemEm(ctx.deps.orm).findOne(VoiceCallSchema, { id: query.call }, { ...CROSS_TENANT, populate: ['tenant'] });
  if (!call) throw notFound('Call');
  const attempt = call.attempts.find((a) => a.n === query.attempt);
  const placedBy = attempt && attempt.account_sid !== undefined ? attempt.account_sid === accountSid : (accountTenant?.id ?? null) === (call.tenant.twilioAccountSid ? call.tenant.id : null);
  if (!placedBy) throw forbidden('This call was not placed from that Twilio account');
  return { call, hook: parsed.data };
}

/** What the agent says on the line, and where Twilio posts what it hears next. */
function twiml(ctx: AppContext, call: VoiceCall, attempt: number, say: string | null, next: 'listen' | 'hangup', silent = 0): string {
  const language = typeof call.voiceSettings.language === 'string' && LANGUAGE.test(call.voiceSettings.language) ? call.voiceSettings.language : 'en-US';
  const response = new twilio.twiml.VoiceResponse();
  if (next === 'hangup') {
    if (say) response.say({ language: language as 'en-US' }, say);
    response.hangup();
  } else {
    const gather = `${twilioFacingBase(ctx)}/api/v1/voice/twilio/gather?call=${call.id}&attempt=${attempt}`;
    // The person may speak over the line (barge-in); nothing heard comes back as a silent gather.
    const listen = response.gather({ input: ['speech'], action: gather, method: 'POST', speechTimeout: 'auto', language: language as 'en-US' });
    if (say) listen.say({ language: language as 'en-US' }, say);
    response.redirect({ method: 'POST' }, `${gather}&silent=${silent + 1}`);
  }
  ctx.type = 'text/xml';
  return response.toString();
}

/** An Update the call may refuse (it has ended, or is not on this attempt): null then. */
async function askCall<R>(ctx: AppContext, callId: string, run: (handle: ReturnType<AppContext['deps']['temporal']['workflow']['getHandle']>) => Promise<R>): Promise<R | null> {
  try {
    return await run(ctx.deps.temporal.workflow.getHandle(callWorkflowId(callId)));
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) {
      ctx.state.log.info({ call_id: callId, reason: err.message }, 'the call refused a Twilio webhook; hanging up');
      return null;
    }
    throw err;
  }
}

const summaryOf = (what: string) => `${what} (form-encoded, X-Twilio-Signature checked against the call's Twilio account; \`call\` and \`attempt\` come from the URL the call was placed with)`;

/** Twilio's voice webhooks for calls placed on Twilio: who answered, what the person said, how the line is doing. */
export const twilioVoiceRoutes: RouteDef[] = [
  publicRoute({
    method: 'post',
    path: '/voice/twilio/answer',
    tag: 'voice',
    summary: summaryOf("Twilio's answer webhook for an AI call: answering-machine detection's verdict reaches the call's run, which answers TwiML with the opening line and a speech <Gather>, the voicemail message, or a hang-up"),
    bodyType: 'form',
    documentedBody: voiceWebhook,
    query: webhookQuery,
    handler: async (ctx, { query }) => {
      const { call, hook } = await verifiedCall(ctx, query);
      const answer = await askCall<ConnectAnswer>(ctx, call.id, (h) =>
        h.executeUpdate(connectCallUpdate, { args: [{ attempt: query.attempt, call_sid: hook.CallSid, answered_by: hook.AnsweredBy ?? null }] }),
      );
      ctx.body = !answer || answer.action !== 'converse' ? twiml(ctx, call, query.attempt, answer?.say ?? null, 'hangup') : twiml(ctx, call, query.attempt, answer.say, 'listen');
      return undefined;
    },
  }),
  publicRoute({
    method: 'post',
    path: '/voice/twilio/gather',
    tag: 'voice',
    summary: summaryOf("Twilio's <Gather input=\"speech\"> webhook: what the person said reaches the call's run as a `respond` Update; answers TwiML with the agent's next line and listens again, or says goodbye and hangs up"),
    bodyType: 'form',
    documentedBody: voiceWebhook,
    query: webhookQuery,
    handler: async (ctx, { query }) => {
      const { call, hook } = await verifiedCall(ctx, query);
      const heard = hook.SpeechResult?.trim();
      if (!heard) {
        ctx.body = query.silent >= MAX_SILENT ? twiml(ctx, call, query.attempt, 'I’ll let you go for now. Goodbye!', 'hangup') : twiml(ctx, call, query.attempt, 'Sorry, I didn’t catch that. Could you say it again?', 'listen', query.silent);
        return undefined;
      }
      const answer = await askCall(ctx, call.id, (h) => h.executeUpdate(respondUpdate, { args: [{ text: heard }] }));
      ctx.body = !answer ? twiml(ctx, call, query.attempt, null, 'hangup') : twiml(ctx, call, query.attempt, answer.ai_response, answer.should_continue ? 'listen' : 'hangup');
      return undefined;
    },
  }),
  publicRoute({
    method: 'post',
    path: '/voice/twilio/status',
    tag: 'voice',
    summary: summaryOf("Twilio's status callback for an AI call (initiated, ringing, answered, completed, busy, no-answer, failed, canceled): reaches the call's run as a signal"),
    bodyType: 'form',
    documentedBody: voiceWebhook,
    query: webhookQuery,
    status: 204,
    handler: async (ctx, { query }) => {
      const { call, hook } = await verifiedCall(ctx, query);
      if (hook.CallStatus) {
        await ctx.deps.temporal.workflow
          .getHandle(callWorkflowId(call.id))
          .signal(lineStatusSignal, { attempt: query.attempt, call_sid: hook.CallSid, status: hook.CallStatus, answered_by: hook.AnsweredBy ?? null })
          // A run that has ended has nothing left to hear.
          .catch((err: unknown) => {
            if (!(err instanceof WorkflowNotFoundError)) throw err;
          });
      }
      ctx.status = 204;
      return undefined;
    },
  }),
];
