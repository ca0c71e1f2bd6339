import { z } from 'zod';
import { EVENT_TYPES } from '../../lib/events.ts';
import { listQuery } from '../pagination.ts';
import { isoDateTime, uuidParam } from '../validation.ts';
import { DELIVERY_STATUSES } from '../../entities/WebhookDelivery.ts';

const eventName = z.enum(['*', ...EVENT_TYPES] as [string, ...string[]], { error: 'must be an event type from GET /webhooks/events, or *' });
/** RFC 7230 token characters: a name that cannot smuggle another header or a line break. */
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, 'must be a valid HTTP header name');
// Latin-1 only: Node (like HTTP itself) refuses any other character in a header value, so
// a value with one would make every delivery throw before it left.
const headerValue = z.string().max(1000).regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'must be printable Latin-1 text: no control characters, nothing beyond U+00FF');

export const webhookBody = z.strictObject({
  url: z.string().trim().min(1).max(2048),
  events: z.array(eventName).min(1, 'subscribe to at least one event').max(100),
  description: z.string().trim().max(500).nullable().optional(),
  headers: z
    .record(headerName, headerValue)
    .refine((h) => Object.keys(h).length <= 20, 'at most 20 headers')
    .optional(),
  enabled: z.boolean().optional(),
});

export const webhookUpdateBody = webhookBody.partial();

export const webhookListQuery = listQuery(['created_at', 'updated_at', 'url'] as const, 'created_at').extend({
  event: eventName.optional(),
  enabled: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});

export const webhookParams = z.object({ id: uuidParam });

export const deliveryListQuery = listQuery(['created_at', 'updated_at'] as const, 'created_at').extend({
  status: z.enum(DELIVERY_STATUSES).optional(),
  event: eventName.optional(),
});

export const triggerBody = z.strictObject({
  event: z.enum(EVENT_TYPES as [string, ...string[]], { error: 'must be an event type from GET /webhooks/events' }),
  data: z.record(z.string(), z.unknown()).default({}),
});

export const replayBody = z.strictObject({ since: isoDateTime });

export const webhookSchema = z.object({
  id: z.uuid(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.string()),
  /** Names only: values often carry the receiver's credentials and are never returned. */
  header_names: z.array(z.string()),
  enabled: z.boolean(),
  disabled_at: z.string().nullable(),
  disabled_reason: z.string().nullable(),
  failing_since: z.string().nullable(),
  /** Failed attempts in a row; past the breaker threshold new deliveries wait, `paused`, while one probes. */
  consecutive_failures: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** Create and rotate are the only answers that carry the secret. */
export const webhookWithSecretSchema = webhookSchema.extend({
  secret: z.string(),
  previous_secret_expires_at: z.string().nullable(),
});

export const attemptSchema = z.object({
  attempt: z.number().int(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  status_code: z.number().int().nullable(),
  latency_ms: z.number().int().nullable(),
  response_excerpt: z.string().nullable(),
  error: z.string().nullable(),
});

export const deliverySchema = z.object({
  id: z.uuid(),
  webhook_id: z.uuid(),
  event_id: z.uuid(),
  event: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.array(attemptSchema),
  attempt_count: z.number().int(),
  next_attempt_at: z.string().nullable(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  delivered_at: z.string().nullable(),
  created_at: z.string(),
  workflow_id: z.string(),
});

export { runRefSchema } from '../runs/schema.ts';

export const catalogueEntrySchema = z.object({
  event: z.string(),
  description: z.string(),
  emitted: z.boolean(),
  example: z.record(z.string(), z.unknown()),
});
