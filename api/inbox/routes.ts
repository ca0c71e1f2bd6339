import { z } from 'zod';
import type { FilterQuery } from '@mikro-orm/core';
import { MessageSchema, type Message } from '../../entities/Message.ts';
import { notFound, validationError } from '../../lib/errors.ts';
import { REVIEW_STATUSES, submitReview, triageStartRequest } from '../../workflows/triageMessage.client.ts';
import { reviewStartRequest } from '../../workflows/reviewMessage.client.ts';
import type { MessageReview } from '../../activities/triage.ts';
import { queueWorkflowStart } from '../../entities/WorkflowStart.ts';
import { startOrDefer } from '../startWork.ts';
import { listPage, paginationSchema } from '../pagination.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import type { AppContext } from '../context.ts';
import { createMessageBody, messageListQuery, messageParams, messageSchema, messageWithRunSchema, updateMessageBody } from './schema.ts';
import { messageDto } from './serialize.ts';
import { storeMessage } from './store.ts';

const SORT_COLUMNS = { received_at: 'receivedAt', created_at: 'createdAt', priority: 'priority' } as const;

const REVIEW_DEADLINE_MS = 10_000;

/**
 * A review no triage waits for: the review run applies it (from a start row, so it is not
 * lost when Temporal is down; then the answer shows the message as it is, and the relay
 * applies the review shortly).
 */
async function lateReview(ctx: AppContext, tenantId: string, messageId: string, review: MessageReview) {
  const row = queueWorkflowStart(ctx.state.em, reviewStartRequest({ tenantId, messageId, review }, ctx.state.requestId));
  await ctx.state.em.flush();
  const run = await startOrDefer(ctx, row);
  if (!run.run_id) return;
  await ctx.deps.temporal.connection
    .withDeadline(Date.now() + REVIEW_DEADLINE_MS, () => ctx.deps.temporal.workflow.getHandle(run.workflow_id, run.run_id ?? undefined).result())
    .catch((err: unknown) => ctx.state.log.warn({ err: err instanceof Error ? err.message : String(err), messageId }, 'review not applied yet'));
}

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
        requestKey: ctx.state.idempotencyRef,
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
    handler: async (ctx, { params, body, caller }) => {
      const em = ctx.state.em;
      const message = await em.findOne(MessageSchema, params.id);
      if (!message) throw notFound('Message');
      if (body.response !== undefined) message.response = body.response;
      const isReview = message.status === 'needs_review' && (body.status !== undefined || body.category !== undefined || body.priority !== undefined);
      if (!isReview) {
        if (body.category) message.category = body.category;
        if (body.priority) message.priority = body.priority;
        if (body.status) message.status = body.status;
        await em.flush();
        return one(messageDto(message));
      }
      await em.flush();
      // A review's effects (status by one rule, reviewed_at, a lead for a sales inquiry) are
      // written by one activity: in the triage waiting for it, or in a review run when none waits.
      const review = { category: body.category, priority: body.priority, status: body.status };
      if (review.status && !(REVIEW_STATUSES as readonly string[]).includes(review.status)) {
        throw validationError('Invalid review', [{ field: 'body.status', message: `a review may set the status to ${REVIEW_STATUSES.join(', ')}` }]);
      }
      const answer = await ctx.deps.temporal.connection
        .withDeadline(Date.now() + REVIEW_DEADLINE_MS, () => submitReview(ctx.deps.temporal, message.id, review))
        .catch(() => ({ kind: 'unreachable' }) as const);
      if (answer.kind === 'invalid') throw validationError('Invalid review', [{ field: 'body', message: answer.reason }]);
      if (answer.kind !== 'applied') await lateReview(ctx, caller.tenantId, message.id, review);
      await em.refresh(message);
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
