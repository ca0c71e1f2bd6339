import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { MESSAGE_CHANNELS, PRIORITIES, TRIAGE_CATEGORIES, type TriageResult } from '../lib/triage.ts';
import { TenantScopedSchema } from './base.ts';
import { ContactSchema } from './Contact.ts';
import { LeadSchema } from './Lead.ts';

export const MESSAGE_STATUSES = ['new', 'triaged', 'needs_review', 'in_progress', 'resolved', 'spam'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** An inbound message on any channel, and what triage made of it. */
export const MessageSchema = defineEntity({
  name: 'Message',
  tableName: 'messages',
  extends: TenantScopedSchema,
  indexes: [{ properties: ['tenant', 'receivedAt'] }, { properties: ['tenant', 'status'] }],
  // A provider's id (Twilio's MessageSid) is stored once per tenant and channel: redelivery is a no-op.
  uniques: [{ properties: ['tenant', 'channel', 'externalId'] }, { properties: ['tenant', 'requestKey'] }],
  properties: {
    channel: p.enum(MESSAGE_CHANNELS),
    externalId: p.string().length(100).nullable(),
    /**
     * The request that stored it (its caller and Idempotency-Key, hashed), for clients with
     * no message id of their own: a retry after the API died mid-request finds this row.
     */
    requestKey: p.string().length(64).nullable(),
    subject: p.string().length(500).nullable(),
    content: p.text(),
    customerName: p.string().length(200).nullable(),
    customerEmail: p.string().length(320).nullable(),
    customerPhone: p.string().length(32).nullable(),
    receivedAt: p.datetime(),
    status: p.enum(MESSAGE_STATUSES).default('new'),
    response: p.text().nullable(),
    /** A reply drafted from the knowledge base by triage, for a person to send with `response`. */
    suggestedResponse: p.text().nullable(),
    suggestedSources: p.json<SuggestedSource[]>().nullable(),
    category: p.enum(TRIAGE_CATEGORIES).nullable(),
    intent: p.string().length(200).nullable(),
    priority: p.enum(PRIORITIES).nullable(),
    sentiment: p.double().nullable(),
    language: p.string().length(8).nullable(),
    summary: p.text().nullable(),
    extractedData: p.json<TriageResult['extracted_data']>().nullable(),
    aiConfidence: p.double().nullable(),
    classifier: p.string().length(100).nullable(),
    /** The triage run whose outcome is applied; a retried apply of the same run changes nothing. */
    triageRunKey: p.string().length(200).nullable(),
    triagedAt: p.datetime().nullable(),
    reviewedAt: p.datetime().nullable(),
    contact: () => p.manyToOne(ContactSchema).nullable().deleteRule('set null'),
    lead: () => p.manyToOne(LeadSchema).nullable().deleteRule('set null'),
    metadata: p.json<Record<string, unknown>>().onCreate(() => ({})),
  },
});

/** A passage a drafted reply drew on. */
export interface SuggestedSource {
  document_id: string;
  title: string;
  chunk_id: string;
  similarity: number;
}

export type Message = InferEntity<typeof MessageSchema>;
