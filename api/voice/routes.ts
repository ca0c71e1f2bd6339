import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { ContactSchema, type Contact } from '../../entities/Contact.ts';
import { LeadSchema } from '../../entities/Lead.ts';
import { TenantSchema } from '../../entities/Tenant.ts';
import { callPlan, newVoiceCall, VoiceCallSchema, type VoiceCall } from '../../entities/VoiceCall.ts';
import { conflict, notFound, validationError } from '../../lib/errors.ts';
import { callWorkflowId, endCallUpdate, respondUpdate, startCallUpdate } from '../../workflows/placeCall.client.ts';
import type { AppContext } from '../context.ts';
import { listPage, paginationSchema } from '../pagination.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { madeOnce, runAskedFor, startOrDefer } from '../startWork.ts';
import { callBody, callListQuery, callParams, callSchema, endAnswerSchema, endBody, respondAnswerSchema, respondBody, startAnswerSchema, startBody } from './schema.ts';
import { callDto } from './serialize.ts';
import { decodeAudio, hear, spoken } from './speech.ts';


/** That the caller's tenant has this call (a 404 otherwise): one indexed read, for the Update routes. */
async function ownCall(ctx: AppContext, id: string): Promise<string> {
  const found = await ctx.state.em.count(VoiceCallSchema, { id });
  if (!found) throw notFound('Call');
  return id;
}

async function findCall(ctx: AppContext, id: string): Promise<VoiceCall> {
  const call = await ctx.state.em.findOne(VoiceCallSchema, id, { populate: ['lead', 'contact'] });
  if (!call) throw notFound('Call');
  return call;
}

/** An Update to the call's run; a refused one (ended, not started) is a 409 saying why. */
async function updateCall<R, A>(ctx: AppContext, id: string, update: UpdateDefinition<R, [A]>, arg: A): Promise<R> {
  // Under an Idempotency-Key the Update's ID is the request's: a retry after the API died
  // before answering gets the outcome of the Update it already made (Temporal keeps it by
  // ID), not a second turn of the conversation.
  const updateId = ctx.state.idempotencyRef ? `request-${ctx.state.idempotencyRef}` : undefined;
  try {
    return await ctx.deps.temporal.workflow.getHandle(callWorkflowId(id)).executeUpdate(update, { args: [arg], ...(updateId ? { updateId } : {}) });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw conflict(`The call refused this: ${err.cause?.message ?? err.message}`);
    if (err instanceof WorkflowNotFoundError) throw conflict('The call is not running (it has ended, or its run has not started yet)');
    throw err;
  }
}

/** Seed 004's voice calls: a workflow per call, its conversation through Updates. */
export const voiceRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/voice/calls',
    tag: 'voice',
    summary:
      'Create an outbound AI call (seed 004): to a lead or contact, or a raw number; `max_attempts` (3) across busy and no answer; `call_window` {not_before, not_after}. Its run, `call-<id>`, waits for `start`, then dials inside the calling hours (the tenant’s working hours) in the recipient’s zone',
    body: callBody,
    status: 201,
    response: dataSchema(callSchema),
    handler: async (ctx, { body, caller }) => {
      const em = ctx.state.em;
      const lead = body.lead_id ? await em.findOne(LeadSchema, body.lead_id, { populate: ['contact'] }) : null;
      if (body.lead_id && !lead) throw notFound('Lead');
      let contact: Contact | null = lead?.contact ?? null;
      if (body.contact_id) {
        contact = await em.findOne(ContactSchema, body.contact_id);
        if (!contact) throw notFound('Contact');
      }
      if (lead && contact && lead.contact.id !== contact.id) throw validationError('Invalid body', [{ field: 'body.contact_id', message: 'is not the lead’s contact' }]);
      const tenant = await em.findOneOrFail(TenantSchema, caller.tenantId);
      return madeOnce(
        ctx,
        async (requestKey) => {
          const call = await em.findOne(VoiceCallSchema, { requestKey });
          return call && one(callDto(call, await runAskedFor(ctx, callWorkflowId(call.id))));
        },
        async (requestKey) => {
          const { call, start } = newVoiceCall(em, {
            tenant,
            lead,
            contact,
            phoneNumber: body.phone_number,
            callType: body.call_type,
            purpose: body.purpose ?? null,
            voiceSettings: body.voice_settings ?? {},
            maxAttempts: body.max_attempts,
            window: { notBefore: body.call_window?.not_before ? new Date(body.call_window.not_before) : null, notAfter: body.call_window?.not_after ? new Date(body.call_window.not_after) : null },
            plan: callPlan(ctx.deps.config),
            requestId: ctx.state.requestId,
            requestKey,
          });
          await em.flush();
          return one(callDto(call, await startOrDefer(ctx, start)));
        },
      );
    },
  }),
  route({
    method: 'get',
    path: '/voice/calls',
    tag: 'voice',
    summary: 'List calls, newest first (filters: status, lead_id, start_date, end_date)',
    query: callListQuery,
    response: z.object({ data: z.array(callSchema), pagination: paginationSchema }),
    handler: async (ctx, { query }) => {
      const createdAt = { ...(query.start_date ? { $gte: new Date(query.start_date) } : {}), ...(query.end_date ? { $lt: new Date(query.end_date) } : {}) };
      const where = { ...(query.status ? { status: query.status } : {}), ...(query.lead_id ? { lead: query.lead_id } : {}), ...(Object.keys(createdAt).length ? { createdAt } : {}) };
      return listPage(ctx.state.em, VoiceCallSchema, where, query, { created_at: 'createdAt', updated_at: 'updatedAt', status: 'status' }, (c) => callDto(c));
    },
  }),
  route({
    method: 'get',
    path: '/voice/calls/:id',
    tag: 'voice',
    summary: 'Get a call: status, attempts, transcript, last analysis, summary and analytics',
    params: callParams,
    response: dataSchema(callSchema),
    handler: async (ctx, { params }) => one(callDto(await findCall(ctx, params.id))),
  }),
  route({
    method: 'post',
    path: '/voice/calls/:id/start',
    tag: 'voice',
    summary: 'Start the call (seed 004): it dials inside the calling hours; answers the opening message and `session_info`',
    params: callParams,
    body: startBody,
    response: dataSchema(startAnswerSchema),
    handler: async (ctx, { params, body }) => {
      const call = await findCall(ctx, params.id);
      if (body?.voice_config) {
        call.voiceSettings = { ...call.voiceSettings, ...body.voice_config };
        await ctx.state.em.flush();
      }
      return one(await updateCall(ctx, call.id, startCallUpdate, { voice_config: body?.voice_config }));
    },
  }),
  route({
    method: 'post',
    path: '/voice/calls/:id/respond',
    tag: 'voice',
    summary: 'What the person said (seed 004), as `text` or, with a speech API configured, `audio_data` (base64; transcribed): answers the agent’s next line, the analysis (sentiment, intent, objections, interest signals), the conversation state, whether to go on, and with a speech API the line spoken (`audio_data`, base64 MP3)',
    params: callParams,
    body: respondBody,
    response: dataSchema(respondAnswerSchema),
    handler: async (ctx, { params, body }) => {
      const speech = ctx.deps.speech;
      if (!body.text && !(body.audio_data && speech)) {
        throw validationError('Invalid body', [{ field: 'body.text', message: body.audio_data ? 'audio needs a speech API on this server: send the words as text' : 'is required' }]);
      }
      // Text alone needs only to know the call is the caller's; speech needs its voice settings.
      let settings: Record<string, unknown> = {};
      if (speech) {
        const call = await ctx.state.em.findOne(VoiceCallSchema, params.id, { fields: ['id', 'voiceSettings'] });
        if (!call) throw notFound('Call');
        settings = call.voiceSettings;
      } else {
        await ownCall(ctx, params.id);
      }
      const text = body.text ?? (await hear(speech!, decodeAudio(body.audio_data!, 'body.audio_data'), settings, 'body.audio_data'));
      const answer = await updateCall(ctx, params.id, respondUpdate, { text });
      return one({ ...answer, audio_data: await spoken(speech, answer.ai_response, settings, ctx.state.log) });
    },
  }),
  route({
    method: 'post',
    path: '/voice/calls/:id/end',
    tag: 'voice',
    summary: 'End the call (seed 004; a call not dialled yet is cancelled): answers its summary and analytics',
    params: callParams,
    body: endBody,
    response: dataSchema(endAnswerSchema),
    handler: async (ctx, { params, body }) => {
      return one(await updateCall(ctx, await ownCall(ctx, params.id), endCallUpdate, { reason: body?.reason ?? 'completed' }));
    },
  }),
];
