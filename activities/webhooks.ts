import { LockMode } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { tenantEm, type EntityManager } from '../lib/db.ts';
import type { SecretBox } from '../lib/crypto.ts';
import { eventEnvelope } from '../lib/events.ts';
import { OutboundError, OutboundRefused, type OutboundPolicy, type OutboundResponse } from '../lib/outbound.ts';
import { signatureHeaders } from '../lib/webhookSignature.ts';
import { recordEvent } from '../entities/Event.ts';
import { WebhookAttemptSchema } from '../entities/WebhookAttempt.ts';
import { resumePausedDeliveries, WebhookDeliverySchema, type DeliveryStatus, type WebhookDelivery } from '../entities/WebhookDelivery.ts';
import { WebhookEndpointSchema, type WebhookEndpoint } from '../entities/WebhookEndpoint.ts';
import { EventSchema } from '../entities/Event.ts';

export type WebhookPost = (url: string, opts: { headers: Record<string, string>; body: string; timeoutMs: number; maxBodyBytes: number; policy: OutboundPolicy }) => Promise<OutboundResponse>;

export interface WebhookDeps {
  orm: MikroORM;
  secrets: SecretBox;
  policy: OutboundPolicy;
  post: WebhookPost;
  timeoutMs: number;
  /** An endpoint failing every delivery for this long is disabled. */
  disableAfterMs: number;
  /** Start options of deliveries resumed when an endpoint recovers (config.webhooks.plan). */
  plan: { scheduleMs: number[]; attemptTimeoutMs: number };
  now?: () => Date;
}

export interface AttemptInput {
  tenantId: string;
  deliveryId: string;
  attemptNo: number;
  /** The wait before the next attempt, or null when this is the last one. */
  nextDelayMs: number | null;
}

export interface DeliveryAttemptResult {
  status: DeliveryStatus;
  attemptNo: number;
  statusCode: number | null;
  /** No further attempt: delivered, refused for good, or out of attempts. */
  final: boolean;
}

const EXCERPT_BYTES = 1024;
const USER_AGENT = 'AI-Secretary-Webhooks/1.0';

type Outcome = { kind: 'delivered' | 'gone' | 'failed' | 'refused'; statusCode: number | null; latencyMs: number | null; excerpt: string | null; error: string | null };

function excerpt(text: string): string {
  // Cut by bytes, not characters: the column holds 1 KB.
  const buf = Buffer.from(text, 'utf8').subarray(0, EXCERPT_BYTES);
  return buf.toString('utf8').replace(/\uFFFD$/, '');
}

async function send(deps: WebhookDeps, endpoint: WebhookEndpoint, event: { id: string; type: string; createdAt: Date; tenantId: string; payload: unknown }, now: Date): Promise<Outcome> {
  const body = JSON.stringify(eventEnvelope(event));
  const secrets = [deps.secrets.open(endpoint.secretSealed)];
  if (endpoint.previousSecretSealed && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
    secrets.push(deps.secrets.open(endpoint.previousSecretSealed));
  }
  const custom: Record<string, string> = endpoint.headersSealed ? JSON.parse(deps.secrets.open(endpoint.headersSealed)) : {};
  const headers = {
    ...custom,
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-webhook-event': event.type,
    ...signatureHeaders(secrets, event.id, Math.floor(now.getTime() / 1000), body),
  };
  try {
    const res = await deps.post(endpoint.url, { headers, body, timeoutMs: deps.timeoutMs, maxBodyBytes: EXCERPT_BYTES, policy: deps.policy });
    const kind = res.status >= 200 && res.status < 300 ? 'delivered' : res.status === 410 ? 'gone' : 'failed';
    return { kind, statusCode: res.status, latencyMs: Math.round(res.latencyMs), excerpt: excerpt(res.body), error: kind === 'failed' ? `HTTP ${res.status}` : null };
  } catch (err) {
    if (err instanceof OutboundRefused || (err instanceof OutboundError && err.kind === 'refused')) {
      return { kind: 'refused', statusCode: null, latencyMs: null, excerpt: null, error: `refused: ${err.message}`.slice(0, 500) };
    }
    if (err instanceof OutboundError) return { kind: 'failed', statusCode: null, latencyMs: null, excerpt: null, error: `${err.kind}: ${err.message}`.slice(0, 500) };
    // A request Node will not send (a stored header value it cannot encode): no attempt can
    // succeed, so it is final and recorded, not an activity failure retried until the run dies.
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN') {
      return { kind: 'refused', statusCode: null, latencyMs: null, excerpt: null, error: `refused: ${(err as Error).message}`.slice(0, 500) };
    }
    throw err;
  }
}

function disable(tx: EntityManager, endpoint: WebhookEndpoint, reason: string, now: Date) {
  if (!endpoint.enabled) return;
  endpoint.enabled = false;
  endpoint.disabledAt = now;
  endpoint.disabledReason = reason;
  recordEvent(tx, {
    tenantId: endpoint.tenant.id,
    type: 'webhook.endpoint_disabled',
    entityType: 'webhook_endpoint',
    entityId: endpoint.id,
    payload: { endpoint_id: endpoint.id, url: endpoint.url, reason },
  });
}

const resultOf = (d: WebhookDelivery, attemptNo: number, final: boolean): DeliveryAttemptResult => ({
  status: d.status,
  attemptNo,
  statusCode: d.lastStatusCode ?? null,
  final,
});

export function createWebhookActivities(deps: WebhookDeps) {
  const clock = deps.now ?? (() => new Date());
  return {
    /**
     * One attempt of a delivery. Idempotent per (delivery, attempt number): an attempt
     * already recorded as finished is returned, not sent again; one that was interrupted
     * (the worker died mid-request) is sent again with the same `webhook-id`, which is
     * what receivers deduplicate on. The delivery, the attempt and the endpoint's health
     * are written together after the request.
     */
    async attemptDelivery({ tenantId, deliveryId, attemptNo, nextDelayMs }: AttemptInput): Promise<DeliveryAttemptResult> {
      const em = tenantEm(deps.orm, tenantId);
      const delivery = await em.findOne(WebhookDeliverySchema, deliveryId, { populate: ['endpoint'] });
      if (!delivery) return { status: 'cancelled', attemptNo, statusCode: null, final: true };
      const done = await em.findOne(WebhookAttemptSchema, { delivery: deliveryId, attemptNo, finishedAt: { $ne: null } });
      if (done) return resultOf(delivery, attemptNo, delivery.status !== 'retrying' && delivery.status !== 'pending');
      if (delivery.status === 'delivered' || delivery.status === 'cancelled') return resultOf(delivery, attemptNo, true);
      const endpoint = delivery.endpoint as WebhookEndpoint;
      if (!endpoint.enabled) {
        delivery.status = 'cancelled';
        delivery.lastError = `endpoint disabled${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ''}`.slice(0, 500);
        delivery.nextAttemptAt = null;
        await em.flush();
        return resultOf(delivery, attemptNo, true);
      }
      const event = await em.findOneOrFail(EventSchema, delivery.event.id);

      const startedAt = clock();
      await em.upsert(WebhookAttemptSchema, { tenant: tenantId, delivery: deliveryId, attemptNo, startedAt }, { onConflictFields: ['delivery', 'attemptNo'], onConflictAction: 'merge', onConflictMergeFields: ['startedAt'] });
      const outcome = await send(deps, endpoint, { id: event.id, type: event.type, createdAt: event.createdAt, tenantId, payload: event.payload }, startedAt);
      const now = clock();

      return em.transactional(async (tx) => {
        // Read again under a lock: its run may have been cancelled while the request was out.
        const d = await tx.findOneOrFail(WebhookDeliverySchema, deliveryId, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
        // Locked: attempts to one endpoint finish concurrently, and its health counts each
        // (unlocked, two failures read the same count and wrote the same count + 1).
        const ep = await tx.findOneOrFail(WebhookEndpointSchema, d.endpoint.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
        const attempt = await tx.findOneOrFail(WebhookAttemptSchema, { delivery: deliveryId, attemptNo });
        attempt.finishedAt = now;
        attempt.statusCode = outcome.statusCode;
        attempt.latencyMs = outcome.latencyMs;
        attempt.responseExcerpt = outcome.excerpt;
        attempt.error = outcome.error;
        // Its run was cancelled while this attempt was out (closeDelivery): it stays cancelled,
        // unless this very attempt got it through.
        const cancelledMeanwhile = d.status === 'cancelled';
        d.attempts = Math.max(d.attempts, attemptNo);
        d.lastStatusCode = outcome.statusCode;
        d.lastError = outcome.error;
        let final = true;
        if (outcome.kind === 'delivered') {
          d.status = 'delivered';
          d.deliveredAt = now;
          d.nextAttemptAt = null;
          const wasOpen = ep.consecutiveFailures > 0;
          ep.failingSince = null;
          ep.consecutiveFailures = 0;
          if (wasOpen) await resumePausedDeliveries(tx, ep.id, deps.plan);
        } else {
          ep.failingSince ??= now;
          ep.consecutiveFailures += 1;
          if (outcome.kind === 'gone') disable(tx, ep, 'answered 410 Gone', now);
          else if (now.getTime() - ep.failingSince.getTime() >= deps.disableAfterMs) disable(tx, ep, 'failed every delivery for too long', now);
          if (outcome.kind === 'failed' && nextDelayMs !== null && ep.enabled) {
            d.status = 'retrying';
            d.nextAttemptAt = new Date(now.getTime() + nextDelayMs);
            final = false;
          } else {
            d.status = 'failed';
            d.nextAttemptAt = null;
          }
        }
        if (cancelledMeanwhile && d.status !== 'delivered') {
          d.status = 'cancelled';
          d.nextAttemptAt = null;
          final = true;
        }
        return resultOf(d, attemptNo, final);
      });
    },

    /**
     * A delivery whose run stopped before a final attempt (cancelled through /runs, or
     * failed): still pending or retrying, it would block its retry and replay and the
     * endpoint's probe for good, so it says how it ended. Idempotent: a delivery already
     * final is left as it is.
     */
    async closeDelivery({ tenantId, deliveryId, status, reason }: { tenantId: string; deliveryId: string; status: 'cancelled' | 'failed'; reason: string }): Promise<void> {
      const em = tenantEm(deps.orm, tenantId);
      await em.nativeUpdate(
        WebhookDeliverySchema,
        { id: deliveryId, status: { $in: ['pending', 'retrying'] } },
        { status, lastError: reason.slice(0, 500), nextAttemptAt: null },
      );
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
