import { z } from 'zod';
import type { FilterQuery } from '@mikro-orm/core';
import { MessageSchema, type Message } from '../../entities/Message.ts';
import { notFound } from '../../lib/errors.ts';
import { sendReview, triageStartRequest } from '../../workflows/triageMessage.client.ts';
import { queueWorkflowStart } from '../../entities/WorkflowStart.ts';
import { startOrDefer } from '../startWork.ts';
import { listPage, paginationSchema } from '../pagination.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import type { AppContext } from '../context.ts';
import { createMessageBody, messageListQuery, messageParams, messageSchema, messageWithRunSchema, updateMessageBody } from './schema.ts';
import { messageDto } from './serialize.ts';
import { storeMessage } from './store.ts';

const SORT_COLUMNS = { received_at: 'receivedAt', created_at: 'createdAt', priority: 'priority' } as const;

/** What a message's triage start row holds; `rerun` restarts a finished triage. */
export const triageRequest = (ctx: AppContext, tenantId: string, messageId: string, rerun = false) =>
  triageStartRequest(tenantId, messageId, { reviewTimeoutSeconds: ctx.deps.config.triage.reviewTimeoutSeconds, rerun, requestId: ctx.state.requestId });

/**
 * (Re)starts triage of a message already stored, from a start row committed first: a
 * redelivered webhook whose first delivery died before starting, or a person's re-run.
 */
export async function triage(ctx: AppContext, tenantId: string, message: Message, rerun = false) {
  const row = queueWorkflowStart(ctx.state.em, triageRequest(ctx, tenantId, message.id, rerun));
  await ctx.state.em.flush();
  return startOrDefer(ctx, row);
}

export const inboxRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/inbox/messages',
    tag: 'inbox',
    summary: 'Store an inbound message and start its triage',
    body: createMessageBody,
    status: 201,
    response: dataSchema(messageWithRunSchema),
    handler: async (ctx, { body, caller }) => {
      const { message, start } = await storeMessage(ctx.state.em, caller.tenantId, {
        channel: body.channel,
        content: body.content,
        subject: body.subject,
        customerName: body.customer_name,
        customerEmail: body.customer_email,
        customerPhone: body.customer_phone,
        externalId: body.external_id,
        receivedAt: body.received_at ? new Date(body.received_at) : undefined,
        metadata: body.metadata,
      }, (id) => triageRequest(ctx, caller.tenantId, id));
      // A client's own message id seen before: its triage was queued with it the first time.
      const run = start ? await startOrDefer(ctx, start) : await triage(ctx, caller.tenantId, message);
      return one({ ...messageDto(message), run });
    },
  }),

  route({
    method: 'get',
    path: '/inbox/messages',
    tag: 'inbox',
    summary: 'List messages (filters: channel, status, contact_id, processed, start_date, end_date)',
    query: messageListQuery,
    response: z.object({ data: z.array(messageSchema), pagination: paginationSchema }),
    handler: async (ctx, { query }) => {
      const where: FilterQuery<Message> = {};
      if (query.channel) where.channel = query.channel;
      if (query.status) where.status = query.status;
      if (query.contact_id) where.contact = query.contact_id;
      if (query.processed !== undefined) where.triagedAt = query.processed ? { $ne: null } : null;
      if (query.start_date || query.end_date) {
        where.receivedAt = {
          ...(query.start_date ? { $gte: new Date(query.start_date) } : {}),
          ...(query.end_date ? { $lte: new Date(query.end_date) } : {}),
        };
      }
      return listPage(ctx.state.em, MessageSchema, where, query, SORT_COLUMNS, messageDto);
    },
  }),

  route({
    method: 'get',
    path: '/inbox/messages/:id',
    tag: 'inbox',
    summary: 'Get a message with its triage',
    params: messageParams,
    response: dataSchema(messageSchema),
    handler: async (ctx, { params }) => {
      const message = await ctx.state.em.findOne(MessageSchema, params.id);
      if (!message) throw notFound('Message');
      return one(messageDto(message));
    },
  }),

  route({
    method: 'put',
    path: '/inbox/messages/:id',
    tag: 'inbox',
    summary: 'Set status or response; on a needs_review message this confirms or corrects triage',
    params: messageParams,
    body: updateMessageBody,
    response: dataSchema(messageSchema),
    handler: async (ctx, { params, body }) => {
      const em = ctx.state.em;
      const message = await em.findOne(MessageSchema, params.id);
      if (!message) throw notFound('Message');
      const isReview = message.status === 'needs_review' && (body.status !== undefined || body.category !== undefined || body.priority !== undefined);
      if (body.response !== undefined) message.response = body.response;
      if (body.category) message.category = body.category;
      if (body.priority) message.priority = body.priority;
      if (body.status) message.status = body.status;
      if (isReview) {
        // A person settled a low-confidence triage: the status follows the review, and the
        // waiting triage applies what the correction implies (a lead for a sales inquiry).
        message.status = body.status ?? (message.category === 'spam' ? 'spam' : 'triaged');
        message.reviewedAt = new Date();
      }
      await em.flush();
      if (isReview) await sendReview(ctx.deps.temporal, message.id, { category: body.category, priority: body.priority, status: message.status });
      return one(messageDto(message));
    },
  }),

  route({
    method: 'post',
    path: '/inbox/messages/:id/process',
    tag: 'inbox',
    summary: 'Run triage again (creates no duplicate contacts, leads, events or tasks)',
    params: messageParams,
    status: 202,
    response: dataSchema(messageWithRunSchema),
    handler: async (ctx, { params, caller }) => {
      const message = await ctx.state.em.findOne(MessageSchema, params.id);
      if (!message) throw notFound('Message');
      const run = await triage(ctx, caller.tenantId, message, true);
      return one({ ...messageDto(message), run });
    },
  }),
];
