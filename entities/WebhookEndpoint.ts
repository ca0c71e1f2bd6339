import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';

/**
 * A URL a tenant wants events POSTed to. The signing secret and the custom headers
 * (which often carry the receiver's own API key) are sealed with lib/crypto.ts and
 * never returned after creation.
 */
export const WebhookEndpointSchema = defineEntity({
  name: 'WebhookEndpoint',
  tableName: 'webhook_endpoints',
  extends: TenantScopedSchema,
  indexes: [{ properties: ['tenant', 'enabled'] }],
  uniques: [{ properties: ['tenant', 'requestKey'] }],
  properties: {
    url: p.string().length(2048),
    description: p.string().length(500).nullable(),
    /** Event types, or `*` for all. */
    events: p.json<string[]>(),
    headersSealed: p.text().nullable(),
    /** Header names only, so the API can say which are set without revealing values. */
    headerNames: p.json<string[]>().onCreate(() => []),
    enabled: p.boolean().default(true),
    secretSealed: p.text(),
    /** During a rotation the old secret signs too, until this time. */
    previousSecretSealed: p.text().nullable(),
    previousSecretExpiresAt: p.datetime().nullable(),
    /** First failure since the last success; an endpoint failing for too long is disabled. */
    failingSince: p.datetime().nullable(),
    /**
     * Failed attempts in a row. Past WEBHOOK_BREAKER_FAILURES the endpoint's circuit is
     * open: new deliveries are stored `paused` (no workflow, no attempt) and one at a time
     * probes; the first success resumes them all.
     */
    consecutiveFailures: p.integer().default(0),
    disabledAt: p.datetime().nullable(),
    disabledReason: p.string().length(300).nullable(),
    /**
     * The creating request's Idempotency-Key, hashed with its caller and body
     * (api/middleware/idempotency.ts): a retry after the API died between its commit and its
     * answer finds this row instead of making a second one.
     */
    requestKey: p.string().length(64).nullable(),
  },
});

export type WebhookEndpoint = InferEntity<typeof WebhookEndpointSchema>;
