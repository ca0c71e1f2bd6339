import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { LockMode, type FilterQuery } from '@mikro-orm/core';
import { forbidden, notFound, optedOut, validationError } from '../../lib/errors.ts';
import { CROSS_TENANT, systemEm, tenantEm, type EntityManager } from '../../lib/db.ts';
import { outboundEventData } from '../../lib/events.ts';
import { isLaterStatus, sendStepTimeoutMs, type DeliveryVerdict } from '../../lib/smsDelivery.ts';
import { ContactSchema, isOptedOut } from '../../entities/Contact.ts';
import { recordEvent } from '../../entities/Event.ts';
import { OutboundMessageSchema, type OutboundChannel, type OutboundMessage, type OutboundStatus } from '../../entities/OutboundMessage.ts';
import { queueWorkflowStart, type WorkflowStart } from '../../entities/WorkflowStart.ts';
import { deliveryStatusSignal, sendMessageStartRequest, sendMessageWorkflowId } from '../../workflows/sendMessage.client.ts';
import { listPage, paginationSchema } from '../pagination.ts';
import { dataSchema, one, publicRoute, route, type RouteDef } from '../routing.ts';
import { madeOnce, runAskedFor, startOrDefer } from '../startWork.ts';
import type { RunRef } from '../../lib/workflowClient.ts';
import type { AppContext, Caller } from '../context.ts';
import { zodIssuesToFields } from '../validation.ts';
import { followReminderVerdict } from './reminderVerdicts.ts';
import { verifyTwilioRequest } from './twilioAccounts.ts';
import { emailSendBody, outboundParams, outboundSchema, outboxQuery, sendAnswerSchema, smsSendBody, twilioStatusCallback } from './schema.ts';
import { outboundDto } from './serialize.ts';

const statusQuery = z.object({ id: z.uuid() });
const SORT = { created_at: 'createdAt', sent_at: 'sentAt' } as const;

/** An opted-out number is never texted: refused up front, and checked again right before sending. */

async function contactFor(em: EntityManager, id: string | undefined) {
  if (!id) return null;
  const contact = await em.findOne(ContactSchema, id);
  if (!contact) throw validationError('Invalid contact', [{ field: 'body.contact_id', message: 'no such contact', code: 'not_found' }]);
  return contact;
}

/** What a send request answers: seed 002's shape, with the run that sends it. */
const sendAnswer = (m: OutboundMessage, run: RunRef) => one({ success: true, sid: m.id, to: m.toAddress, status: m.status, channel: m.channel, run });

/**
 * Stores the message and its send's start row in one transaction, then starts it. A
 * request with an Idempotency-Key is the message's own key, so a retry whose first try
 * committed before the API died finds that message instead of texting a second time.
 */
async function queueSend(ctx: AppContext, caller: Caller, m: { channel: OutboundChannel; to: string; body: string; subject?: string; contactId: string | null }) {
  const em = ctx.state.em;
  return madeOnce(
    ctx,
    async (requestKey) => {
      const sent = await em.findOne(OutboundMessageSchema, { idempotencyKey: `request:${requestKey}` });
      return sent && sendAnswer(sent, await runAskedFor(ctx, sendMessageWorkflowId(sent.id)));
    },
    async (requestKey) => {
      const id = randomUUID();
      const sms = ctx.deps.config.sms;
      const input = { tenantId: caller.tenantId, messageId: id, retryScheduleMs: sms.retryScheduleMs, deliveryWaitMs: sms.deliveryWaitMs, sendTimeoutMs: sendStepTimeoutMs(sms.sendTimeoutMs) };
      const { message, start } = await em.transactional(async (tx) => {
        const message = tx.create(OutboundMessageSchema, {
          id,
          tenant: caller.tenantId,
          channel: m.channel,
          toAddress: m.to,
          body: m.body,
          subject: m.subject ?? null,
          contact: m.contactId,
          cause: { type: 'api', user_id: caller.userId },
          idempotencyKey: requestKey ? `request:${requestKey}` : `api:${id}`,
        });
        return { message, start: queueWorkflowStart(tx, sendMessageStartRequest(input, { requestId: ctx.state.requestId })) };
      });
      return sendAnswer(message, await startOrDefer(ctx, start));
    },
  );
}

const TWILIO_STATUS: Record<string, OutboundStatus> = { sent: 'sent', delivered: 'delivered', undelivered: 'undelivered', failed: 'failed' };

export const messagingRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/sms/send',
    tag: 'sms',
    summary: 'Send a text (SMS, or WhatsApp with channel: whatsapp); answers at once, the send is the workflow sms-<id>',
    body: smsSendBody,
    status: 201,
    response: dataSchema(sendAnswerSchema),
    handler: async (ctx, { body, caller }) => {
      const { number, whatsapp } = body.to_number;
      if (whatsapp && body.channel === 'sms') throw validationError('Invalid body', [{ field: 'body.channel', message: 'a whatsapp: number goes over WhatsApp; leave channel out or say whatsapp', code: 'invalid' }]);
      const channel = body.channel ?? (whatsapp ? 'whatsapp' : 'sms');
      const contact = await contactFor(ctx.state.em, body.contact_id);
      if (await isOptedOut(ctx.state.em, { channel, toAddress: number, contact })) throw optedOut(number, 'body.to_number');
      return queueSend(ctx, caller, { channel, to: number, body: body.message, contactId: contact?.id ?? null });
    },
  }),

  route({
    method: 'post',
    path: '/email/send',
    tag: 'sms',
    summary: 'Send an email over SMTP (the local sink records it when SMTP_* is unset); answers at once',
    body: emailSendBody,
    status: 201,
    response: dataSchema(sendAnswerSchema),
    handler: async (ctx, { body, caller }) => {
      const contact = await contactFor(ctx.state.em, body.contact_id);
      return queueSend(ctx, caller, { channel: 'email', to: body.to, subject: body.subject, body: body.message, contactId: contact?.id ?? null });
    },
  }),

  route({
    method: 'get',
    path: '/sms/outbox',
    tag: 'sms',
    summary: 'What was sent (texts and emails), newest first: recipient, body, status, when, and what caused it',
    query: outboxQuery,
    response: z.object({ data: z.array(outboundSchema), pagination: paginationSchema }),
    handler: async (ctx, { query }) => {
      const where: FilterQuery<OutboundMessage> = {};
      if (query.channel) where.channel = query.channel;
      if (query.status) where.status = query.status;
      if (query.contact_id) where.contact = query.contact_id;
      return listPage(ctx.state.em, OutboundMessageSchema, where, query, SORT, outboundDto);
    },
  }),

  route({
    method: 'get',
    path: '/sms/outbox/:id',
    tag: 'sms',
    summary: 'One outgoing message and its delivery status',
    params: outboundParams,
    response: dataSchema(outboundSchema),
    handler: async (ctx, { params }) => {
      const m = await ctx.state.em.findOne(OutboundMessageSchema, params.id);
      if (!m) throw notFound('Message');
      return one(outboundDto(m));
    },
  }),

  publicRoute({
    method: 'post',
    path: '/sms/status',
    tag: 'sms',
    summary: "Twilio's status callback (form-encoded, X-Twilio-Signature checked against the sending account): records delivery",
    bodyType: 'form',
    documentedBody: twilioStatusCallback,
    status: 204,
    handler: async (ctx) => {
      const { params, accountSid } = await verifyTwilioRequest(ctx, { previousAccounts: true });
      const parsed = twilioStatusCallback.safeParse(params);
      if (!parsed.success) throw validationError('Invalid Twilio status callback', zodIssuesToFields(parsed.error));
      const cb = parsed.data;
      const id = statusQuery.safeParse(ctx.query).data?.id;
      // Which tenant is not known yet: the message's own row says.
      const found = await systemEm(ctx.deps.orm).findOne(OutboundMessageSchema, id ? { id } : { providerSid: cb.MessageSid }, CROSS_TENANT);
      if (!found) throw notFound('Message');
      // Only the account that sent a message may report on it, and only on that message.
      if (found.accountSid !== accountSid || (found.providerSid && found.providerSid !== cb.MessageSid)) {
        throw forbidden('This message was not sent from that Twilio account');
      }
      const next = TWILIO_STATUS[cb.MessageStatus];
      const verdict: DeliveryVerdict | null = next && next !== 'sent' ? { sid: cb.MessageSid, status: next as DeliveryVerdict['status'], errorCode: cb.ErrorCode ?? null } : null;
      const em = tenantEm(ctx.deps.orm, found.tenant.id);
      let resend: WorkflowStart | null = null;
      // Locked: the send activity may be recording Twilio's acceptance at this moment.
      const m = await em.transactional(async (tx) => {
        const row = await tx.findOneOrFail(OutboundMessageSchema, found.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
        // The callback can overtake the send's own bookkeeping; the signed URL names the message.
        row.providerSid ??= cb.MessageSid;
        if (!next || !isLaterStatus(row.status, next)) return null;
        row.status = next;
        if (next === 'delivered') row.deliveredAt = new Date();
        if (next === 'undelivered' || next === 'failed') {
          row.errorCode = cb.ErrorCode ?? null;
          row.errorMessage = `Twilio reported ${next}${cb.ErrorCode ? ` (error ${cb.ErrorCode})` : ''}`;
        }
        if (verdict) {
          recordEvent(tx, { tenantId: row.tenant.id, type: next === 'delivered' ? 'sms.delivered' : 'sms.failed', entityType: 'outbound_message', entityId: row.id, payload: outboundEventData(row) });
          resend = await followReminderVerdict(tx, row, verdict, ctx.deps.config.sms, ctx.state.requestId ?? null);
        }
        return row;
      });
      if (resend) {
        await startOrDefer(ctx, resend);
      } else if (m && verdict) {
        // The run may have stopped listening (or be a reminder's): the row already says it all.
        await ctx.deps.temporal.workflow
          .getHandle(sendMessageWorkflowId(m.id))
          .signal(deliveryStatusSignal, verdict)
          .catch((err: unknown) => ctx.state.log.debug({ err: err instanceof Error ? err.message : String(err), id: m.id }, 'delivery status not signalled'));
      }
      ctx.status = 204;
      return undefined;
    },
  }),
];
