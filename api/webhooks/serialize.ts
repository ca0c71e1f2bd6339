import type { WebhookEndpoint } from '../../entities/WebhookEndpoint.ts';
import type { WebhookDelivery } from '../../entities/WebhookDelivery.ts';
import type { WebhookAttempt } from '../../entities/WebhookAttempt.ts';
import { webhookWorkflowId } from '../../workflows/deliverWebhook.client.ts';

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

export function webhookDto(w: WebhookEndpoint) {
  return {
    id: w.id,
    url: w.url,
    description: w.description ?? null,
    events: w.events,
    header_names: w.headerNames,
    enabled: w.enabled,
    disabled_at: iso(w.disabledAt),
    disabled_reason: w.disabledReason ?? null,
    failing_since: iso(w.failingSince),
    consecutive_failures: w.consecutiveFailures,
    created_at: w.createdAt.toISOString(),
    updated_at: w.updatedAt.toISOString(),
  };
}

export function attemptDto(a: WebhookAttempt) {
  return {
    attempt: a.attemptNo,
    started_at: a.startedAt.toISOString(),
    finished_at: iso(a.finishedAt),
    status_code: a.statusCode ?? null,
    latency_ms: a.latencyMs ?? null,
    response_excerpt: a.responseExcerpt ?? null,
    error: a.error ?? null,
  };
}

export function deliveryDto(d: WebhookDelivery, attempts: WebhookAttempt[]) {
  return {
    id: d.id,
    webhook_id: d.endpoint.id,
    event_id: d.event.id,
    event: d.eventType,
    status: d.status,
    attempts: attempts.map(attemptDto),
    attempt_count: d.attempts,
    next_attempt_at: iso(d.nextAttemptAt),
    last_status_code: d.lastStatusCode ?? null,
    last_error: d.lastError ?? null,
    delivered_at: iso(d.deliveredAt),
    created_at: d.createdAt.toISOString(),
    workflow_id: webhookWorkflowId(d.id),
  };
}
