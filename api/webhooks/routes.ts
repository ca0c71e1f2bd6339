import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FilterQuery } from '@mikro-orm/core';
import { conflict, notFound, validationError } from '../../lib/errors.ts';
import { EVENT_CATALOGUE, EVENT_TYPES, type EventType } from '../../lib/events.ts';
import { checkCustomHeaders, checkOutboundUrl, OutboundRefused } from '../../lib/outbound.ts';
import { newWebhookSecret, SIGNATURE_HEADERS } from '../../lib/webhookSignature.ts';
import type { EntityManager } from '../../lib/db.ts';
import { EventSchema } from '../../entities/Event.ts';
import { WebhookEndpointSchema, type WebhookEndpoint } from '../../entities/WebhookEndpoint.ts';
import { resumePausedDeliveries, WebhookDeliverySchema, type WebhookDelivery } from '../../entities/WebhookDelivery.ts';
import { WebhookAttemptSchema } from '../../entities/WebhookAttempt.ts';
import { queueWorkflowStart } from '../../entities/WorkflowStart.ts';
import { webhookStartRequest } from '../../workflows/deliverWebhook.client.ts';
import { listPage, paginationSchema } from '../pagination.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { madeOnce, startOrDefer } from '../startWork.ts';
import type { AppContext } from '../context.ts';
import {
  catalogueEntrySchema,
  deliveryListQuery,
  deliverySchema,
  replayBody,
  runRefSchema,
  triggerBody,
  webhookBody,
  webhookListQuery,
  webhookParams,
  webhookSchema,
  webhookUpdateBody,
  webhookWithSecretSchema,
} from './schema.ts';
import { deliveryDto, webhookDto } from './serialize.ts';

const MANAGERS = ['admin', 'manager'] as const;
const SORT = { created_at: 'createdAt', updated_at: 'updatedAt', url: 'url' } as const;
/** During a rotation the old secret keeps signing this long, so receivers can switch over. */
const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

/** The URL and headers pass the outbound guard's registration-time rules, or the answer says which field is wrong. */
function checkTarget(ctx: AppContext, url: string | undefined, headers: Record<string, string> | undefined) {
  try {
    if (url !== undefined) checkOutboundUrl(url, ctx.deps.config.outbound);
  } catch (err) {
    if (err instanceof OutboundRefused) throw validationError('Invalid webhook URL', [{ field: 'body.url', message: err.message, code: err.reason }]);
    throw err;
  }
  try {
    if (headers) checkCustomHeaders(headers, SIGNATURE_HEADERS);
  } catch (err) {
    if (err instanceof OutboundRefused) throw validationError('Invalid webhook headers', [{ field: 'body.headers', message: err.message, code: err.reason }]);
    throw err;
  }
}

async function findEndpoint(em: EntityManager, id: string): Promise<WebhookEndpoint> {
  const endpoint = await em.findOne(WebhookEndpointSchema, id);
  if (!endpoint) throw notFound('Webhook');
  return endpoint;
}

async function withAttempts(em: EntityManager, deliveries: WebhookDelivery[]) {
  const attempts = deliveries.length ? await em.find(WebhookAttemptSchema, { delivery: { $in: deliveries.map((d) => d.id) } }, { orderBy: { attemptNo: 'asc' } }) : [];
  return deliveries.map((d) => deliveryDto(d, attempts.filter((a) => a.delivery.id === d.id)));
}

function withSecret(ctx: AppContext, endpoint: WebhookEndpoint, secret: string) {
  return { ...webhookDto(endpoint), secret, previous_secret_expires_at: endpoint.previousSecretExpiresAt?.toISOString() ?? null };
}

/** A new endpoint with a new signing secret, shown in this answer only (and on rotation). */
async function register(ctx: AppContext, tenantId: string, body: z.infer<typeof webhookBody>, requestKey: string | null) {
  const secret = newWebhookSecret();
  const headers = body.headers ?? {};
  const endpoint = ctx.state.em.create(WebhookEndpointSchema, {
    tenant: tenantId,
    url: body.url,
    description: body.description ?? null,
    events: [...new Set(body.events)],
    headersSealed: Object.keys(headers).length ? ctx.deps.secrets.seal(JSON.stringify(headers)) : null,
    headerNames: Object.keys(headers),
    enabled: body.enabled ?? true,
    secretSealed: ctx.deps.secrets.seal(secret),
    requestKey,
  });
  await ctx.state.em.flush();
  return one(withSecret(ctx, endpoint, secret));
}

const updateRoute = (method: 'put' | 'patch') =>
  route({
    method,
    path: '/webhooks/:id',
    tag: 'webhooks',
    summary: 'Change a webhook (url, events, description, headers, enabled); re-enabling clears its failure state',
    roles: [...MANAGERS],
    params: webhookParams,
    body: webhookUpdateBody,
    response: dataSchema(webhookSchema),
    handler: async (ctx, { params, body }) => {
      const em = ctx.state.em;
      const endpoint = await findEndpoint(em, params.id);
      checkTarget(ctx, body.url, body.headers);
      if (body.url !== undefined) endpoint.url = body.url;
      if (body.events !== undefined) endpoint.events = [...new Set(body.events)];
      if (body.description !== undefined) endpoint.description = body.description;
      if (body.headers !== undefined) {
        endpoint.headersSealed = Object.keys(body.headers).length ? ctx.deps.secrets.seal(JSON.stringify(body.headers)) : null;
        endpoint.headerNames = Object.keys(body.headers);
      }
      const reenabled = body.enabled === true && (!endpoint.enabled || endpoint.consecutiveFailures > 0);
      if (body.enabled !== undefined) endpoint.enabled = body.enabled;
      if (reenabled) {
        // A person vouches for it again: a clean slate, and its paused deliveries go out. Events
        // raised while it was disabled made no delivery; POST /webhooks/{id}/replay sends them.
        endpoint.disabledAt = null;
        endpoint.disabledReason = null;
        endpoint.failingSince = null;
        endpoint.consecutiveFailures = 0;
      }
      await em.transactional(async (tx) => {
        await tx.flush();
        if (reenabled) await resumePausedDeliveries(tx, endpoint.id, ctx.deps.config.webhooks.plan);
      });
      return one(webhookDto(endpoint));
    },
  });

export const webhookRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/webhooks/events',
    tag: 'webhooks',
    summary: 'The event catalogue: every event a webhook can subscribe to, with a description and an example payload',
    response: z.object({ data: z.array(catalogueEntrySchema) }),
    handler: async () => ({
      data: EVENT_TYPES.map((event) => ({ event, description: EVENT_CATALOGUE[event].description, emitted: EVENT_CATALOGUE[event].emitted, example: EVENT_CATALOGUE[event].example })),
    }),
  }),

  route({
    method: 'post',
    path: '/webhooks',
    tag: 'webhooks',
    summary: 'Register a webhook; the answer carries its signing secret, shown only here and on rotation',
    roles: [...MANAGERS],
    body: webhookBody,
    status: 201,
    response: dataSchema(webhookWithSecretSchema),
    handler: async (ctx, { body, caller }) => {
      checkTarget(ctx, body.url, body.headers);
      return madeOnce(
        ctx,
        async (requestKey) => {
          // The first try's answer never reached the caller: this is its one showing of the secret.
          const endpoint = await ctx.state.em.findOne(WebhookEndpointSchema, { requestKey });
          return endpoint && one(withSecret(ctx, endpoint, ctx.deps.secrets.open(endpoint.secretSealed)));
        },
        (requestKey) => register(ctx, caller.tenantId, body, requestKey),
      );
    },
  }),

  route({
    method: 'get',
    path: '/webhooks',
    tag: 'webhooks',
    summary: 'List webhooks (filters: event, enabled)',
    query: webhookListQuery,
    response: z.object({ data: z.array(webhookSchema), pagination: paginationSchema }),
    handler: async (ctx, { query }) => {
      const where: FilterQuery<WebhookEndpoint> = {};
      // An endpoint subscribed to `*` receives every event, so it matches any event filter.
      if (query.event) where.$or = [{ events: { $contains: [query.event] } }, { events: { $contains: ['*'] } }];
      if (query.enabled !== undefined) where.enabled = query.enabled;
      return listPage(ctx.state.em, WebhookEndpointSchema, where, query, SORT, webhookDto);
    },
  }),

  route({
    method: 'get',
    path: '/webhooks/:id',
    tag: 'webhooks',
    summary: 'Get a webhook (never its secret or header values)',
    params: webhookParams,
    response: dataSchema(webhookSchema),
    handler: async (ctx, { params }) => one(webhookDto(await findEndpoint(ctx.state.em, params.id))),
  }),

  updateRoute('put'),
  updateRoute('patch'),

  route({
    method: 'delete',
    path: '/webhooks/:id',
    tag: 'webhooks',
    summary: 'Delete a webhook; deliveries still pending stop',
    roles: [...MANAGERS],
    params: webhookParams,
    status: 204,
    handler: async (ctx, { params }) => {
      const endpoint = await findEndpoint(ctx.state.em, params.id);
      await ctx.state.em.remove(endpoint).flush();
      ctx.status = 204;
      return undefined;
    },
  }),

  route({
    method: 'post',
    answerWithWork: true,
    path: '/webhooks/:id/rotate-secret',
    tag: 'webhooks',
    summary: "Make a new signing secret; the old one keeps signing webhook-signature (beside the new) for 24 hours. The seeds' X-Webhook-Signature carries one HMAC and uses the new secret at once",
    roles: [...MANAGERS],
    params: webhookParams,
    response: dataSchema(webhookWithSecretSchema),
    handler: async (ctx, { params }) => {
      const endpoint = await findEndpoint(ctx.state.em, params.id);
      const secret = newWebhookSecret();
      endpoint.previousSecretSealed = endpoint.secretSealed;
      endpoint.previousSecretExpiresAt = new Date(Date.now() + ROTATION_OVERLAP_MS);
      endpoint.secretSealed = ctx.deps.secrets.seal(secret);
      await ctx.state.em.flush();
      return one(withSecret(ctx, endpoint, secret));
    },
  }),

  route({
    method: 'post',
    answerWithWork: true,
    path: '/webhooks/trigger',
    tag: 'webhooks',
    summary: 'Send a test event with your data through the real path (outbox, signing, retries) to every subscribed webhook; like a real event of its type, it also starts automations triggered by that type and wakes runs waiting for it',
    roles: [...MANAGERS],
    body: triggerBody,
    status: 202,
    response: dataSchema(z.object({ event_id: z.uuid(), event: z.string(), webhooks: z.number().int() })),
    handler: async (ctx, { body, caller }) => {
      const em = ctx.state.em;
      const type = body.event as EventType;
      const endpoints = await em.find(WebhookEndpointSchema, { enabled: true });
      const subscribed = endpoints.filter((e) => e.events.includes('*') || e.events.includes(type)).length;
      // The caller's data is the payload as given: a test of the receiver, not of the schema.
      const event = em.create(EventSchema, { tenant: caller.tenantId, type, entityType: 'test', entityId: randomUUID(), payload: body.data });
      await em.flush();
      return one({ event_id: event.id, event: type, webhooks: subscribed });
    },
  }),

  route({
    method: 'get',
    path: '/webhooks/:id/deliveries',
    tag: 'webhooks',
    summary: 'Deliveries of a webhook, newest first, each with its attempts (filters: status, event)',
    params: webhookParams,
    query: deliveryListQuery,
    response: z.object({ data: z.array(deliverySchema), pagination: paginationSchema }),
    handler: async (ctx, { params, query }) => {
      const em = ctx.state.em;
      await findEndpoint(em, params.id);
      const where: FilterQuery<WebhookDelivery> = { endpoint: params.id };
      if (query.status) where.status = query.status;
      if (query.event) where.eventType = query.event;
      const page = await listPage(em, WebhookDeliverySchema, where, query, { created_at: 'createdAt', updated_at: 'updatedAt' }, (d) => d);
      return { data: await withAttempts(em, page.data), pagination: page.pagination };
    },
  }),

  route({
    method: 'post',
    path: '/webhooks/deliveries/:id/retry',
    tag: 'webhooks',
    summary: 'Retry a delivery that failed or was cancelled (same webhook-id, the retry schedule again)',
    roles: [...MANAGERS],
    params: webhookParams,
    status: 202,
    response: dataSchema(deliverySchema.extend({ run: runRefSchema })),
    handler: async (ctx, { params, caller }) => {
      const em = ctx.state.em;
      const delivery = await em.findOne(WebhookDeliverySchema, params.id, { populate: ['endpoint'] });
      if (!delivery) throw notFound('Delivery');
      if (delivery.status === 'pending' || delivery.status === 'retrying') throw conflict('This delivery is still being attempted', { status: delivery.status });
      if (!delivery.endpoint.enabled) throw conflict('The webhook is disabled: enable it first', { webhook_id: delivery.endpoint.id });
      delivery.status = 'pending';
      delivery.nextAttemptAt = new Date();
      const start = queueWorkflowStart(
        em,
        webhookStartRequest(
          { tenantId: caller.tenantId, deliveryId: delivery.id, ...ctx.deps.config.webhooks.plan, firstAttemptNo: delivery.attempts + 1 },
          { requestId: ctx.state.requestId, rerun: true },
        ),
      );
      await em.flush();
      const run = await startOrDefer(ctx, start);
      const [dto] = await withAttempts(em, [delivery]);
      return one({ ...dto, run });
    },
  }),

  route({
    method: 'post',
    path: '/webhooks/:id/replay',
    tag: 'webhooks',
    summary: 'Send again every subscribed event since a time: missed events get a delivery, finished ones are retried with their webhook-id',
    roles: [...MANAGERS],
    params: webhookParams,
    body: replayBody,
    status: 202,
    response: dataSchema(z.object({ webhook_id: z.uuid(), since: z.string(), queued: z.number().int() })),
    handler: async (ctx, { params, body, caller }) => {
      const since = new Date(body.since);
      if (since.getTime() > Date.now()) throw validationError('Invalid body', [{ field: 'body.since', message: 'must not be in the future' }]);
      const queued = await replayEvents(ctx, params.id, caller.tenantId, since);
      return one({ webhook_id: params.id, since: since.toISOString(), queued });
    },
  }),
];

/** At most this many events per replay request; a larger window is replayed in several. */
const REPLAY_LIMIT = 10_000;

async function replayEvents(ctx: AppContext, endpointId: string, tenantId: string, since: Date): Promise<number> {
  const em = ctx.state.em;
  return em.transactional(async (tx) => {
    const endpoint = await tx.findOne(WebhookEndpointSchema, endpointId);
    if (!endpoint) throw notFound('Webhook');
    if (!endpoint.enabled) throw conflict('The webhook is disabled: enable it first', { webhook_id: endpoint.id });
    const where: FilterQuery<{ type: string; createdAt: Date }> = { createdAt: { $gte: since } };
    if (!endpoint.events.includes('*')) where.type = { $in: endpoint.events };
    const events = await tx.find(EventSchema, where as never, { orderBy: { createdAt: 'asc' }, limit: REPLAY_LIMIT + 1, fields: ['id', 'type', 'createdAt'] });
    if (events.length > REPLAY_LIMIT) {
      throw validationError('Too many events to replay at once', [{ field: 'body.since', message: `more than ${REPLAY_LIMIT} events since then: choose a later time` }]);
    }
    const existing = await tx.find(WebhookDeliverySchema, { endpoint: endpoint.id, event: { $in: events.map((e) => e.id) } });
    const byEvent = new Map(existing.map((d) => [d.event.id, d]));
    // An endpoint whose circuit is open gets its replay as paused deliveries, sent when its
    // probe answers, not as a workflow each retrying a dead endpoint for a day.
    const circuitOpen = endpoint.consecutiveFailures >= ctx.deps.config.webhooks.breakerFailures;
    let queued = 0;
    for (const event of events) {
      let delivery = byEvent.get(event.id);
      if (delivery && (delivery.status === 'pending' || delivery.status === 'retrying')) continue;
      if (delivery?.status === 'paused' && circuitOpen) continue;
      delivery ??= tx.create(WebhookDeliverySchema, { tenant: tenantId, endpoint, event: event.id, eventType: event.type });
      queued++;
      if (circuitOpen) {
        delivery.status = 'paused';
        delivery.nextAttemptAt = null;
        continue;
      }
      delivery.status = 'pending';
      // Queued, not started here: the outbox relay starts them within seconds, however many.
      queueWorkflowStart(
        tx,
        webhookStartRequest(
          { tenantId, deliveryId: delivery.id, ...ctx.deps.config.webhooks.plan, firstAttemptNo: delivery.attempts + 1 },
          { requestId: ctx.state.requestId, rerun: true },
        ),
        { handOver: true },
      );
    }
    return queued;
  });
}
