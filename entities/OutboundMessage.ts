import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { ContactSchema } from './Contact.ts';

export const OUTBOUND_CHANNELS = ['sms', 'whatsapp', 'email'] as const;
export type OutboundChannel = (typeof OUTBOUND_CHANNELS)[number];

/**
 * queued → sending (the provider was asked) → sent → delivered, or undelivered / failed
 * (the provider's verdict), or blocked (never sent: opt-out, no route). Twilio's own
 * statuses map onto these (status callback, POST /sms/status).
 */
export const OUTBOUND_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'blocked'] as const;
export type OutboundStatus = (typeof OUTBOUND_STATUSES)[number];

/** Why it was sent: a person through the API, or a reminder's occurrence. */
export interface OutboundCause {
  type: 'api' | 'reminder' | 'automation' | 'campaign';
  user_id?: string;
  reminder_id?: string;
  occurrence?: string;
  /** An automation's run and step (`automation-<run_id>` sends it). */
  run_id?: string;
  step?: string;
  /** That run's depth: the send's events carry it, so automations that answer them stop at AUTOMATION_MAX_DEPTH. */
  depth?: number;
  /** A campaign's recipient (`campaign-<campaign_id>` sends it). */
  campaign_id?: string;
  contact_id?: string;
}

/**
 * One outgoing SMS, WhatsApp message or email, sent by the workflow `sms-<id>` (or by a
 * reminder's). `idempotencyKey` makes one row per reason to send (a reminder occurrence,
 * a request), and `attemptedAt` is written before the provider is called, so a retry after
 * a crash asks the provider what it already sent instead of sending again. It is also the
 * local sink's record when no provider is configured (GET /sms/outbox).
 */
export const OutboundMessageSchema = defineEntity({
  name: 'OutboundMessage',
  tableName: 'outbound_messages',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['tenant', 'idempotencyKey'] }],
  indexes: [{ properties: ['tenant', 'createdAt'] }, { properties: ['providerSid'] }],
  properties: {
    channel: p.enum(OUTBOUND_CHANNELS),
    toAddress: p.string().length(320),
    fromAddress: p.string().length(320).nullable(),
    subject: p.string().length(300).nullable(),
    body: p.text(),
    contact: () => p.manyToOne(ContactSchema).nullable().deleteRule('set null'),
    status: p.enum(OUTBOUND_STATUSES).default('queued'),
    /** `twilio`, `smtp`, or `local` (the sink: recorded, not sent). */
    provider: p.string().length(20).nullable(),
    /** The Twilio account that sent it: status callbacks must come from the same one. */
    accountSid: p.string().length(64).nullable(),
    providerSid: p.string().length(100).nullable(),
    errorCode: p.string().length(20).nullable(),
    errorMessage: p.string().length(500).nullable(),
    cause: p.json<OutboundCause>(),
    idempotencyKey: p.string().length(200),
    /** Send attempts that reached the provider (a transient undelivery is sent again). */
    attempts: p.integer().default(0),
    attemptedAt: p.datetime().nullable(),
    sentAt: p.datetime().nullable(),
    deliveredAt: p.datetime().nullable(),
  },
});

export type OutboundMessage = InferEntity<typeof OutboundMessageSchema>;
