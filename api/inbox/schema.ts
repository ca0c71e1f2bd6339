import { z } from 'zod';
import { MESSAGE_STATUSES } from '../../entities/Message.ts';
import { MESSAGE_CHANNELS, PRIORITIES, TRIAGE_CATEGORIES } from '../../lib/triage.ts';
import { listQuery } from '../pagination.ts';
import { emailField, isoDateTime } from '../validation.ts';
import { runRefSchema } from '../runs/schema.ts';

const booleanQuery = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');

export const createMessageBody = z
  .strictObject({
    channel: z.enum(MESSAGE_CHANNELS),
    content: z.string().trim().min(1, 'must not be empty').max(20_000),
    subject: z.string().trim().max(500).optional(),
    customer_name: z.string().trim().max(200).optional(),
    customer_email: emailField.optional(),
    customer_phone: z.string().trim().max(32).optional(),
    external_id: z.string().trim().min(1).max(100).optional(),
    received_at: isoDateTime.optional(),
    metadata: z.record(z.string().max(100), z.unknown()).optional(),
  });

export const updateMessageBody = z.strictObject({
  status: z.enum(MESSAGE_STATUSES).optional(),
  response: z.string().trim().max(20_000).nullable().optional(),
  category: z.enum(TRIAGE_CATEGORIES).optional(),
  priority: z.enum(PRIORITIES).optional(),
});

export const messageListQuery = listQuery(['received_at', 'created_at', 'priority'] as const, 'received_at').extend({
  channel: z.enum(MESSAGE_CHANNELS).optional(),
  status: z.enum(MESSAGE_STATUSES).optional(),
  contact_id: z.uuid({ error: 'must be a UUID' }).optional(),
  processed: booleanQuery.optional(),
  start_date: isoDateTime.optional(),
  end_date: isoDateTime.optional(),
});

export const messageParams = z.object({ id: z.uuid({ error: 'must be a UUID' }) });


export const messageSchema = z.object({
  id: z.uuid(),
  channel: z.enum(MESSAGE_CHANNELS),
  external_id: z.string().nullable(),
  subject: z.string().nullable(),
  content: z.string(),
  customer_name: z.string().nullable(),
  customer_email: z.string().nullable(),
  customer_phone: z.string().nullable(),
  received_at: z.string(),
  status: z.enum(MESSAGE_STATUSES),
  response: z.string().nullable(),
  suggested_response: z.string().nullable().meta({ description: 'A reply drafted from the knowledge base by triage; send it with PUT `response`' }),
  suggested_sources: z.array(z.object({ document_id: z.uuid(), title: z.string(), chunk_id: z.uuid(), similarity: z.number() })).nullable(),
  category: z.enum(TRIAGE_CATEGORIES).nullable(),
  intent: z.string().nullable(),
  priority: z.enum(PRIORITIES).nullable(),
  sentiment: z.number().nullable(),
  language: z.string().nullable(),
  summary: z.string().nullable(),
  extracted_data: z.object({ contacts: z.array(z.unknown()), events: z.array(z.unknown()), tasks: z.array(z.unknown()) }).nullable(),
  ai_confidence: z.number().nullable(),
  classifier: z.string().nullable(),
  processed: z.boolean(),
  contact_id: z.uuid().nullable(),
  lead_id: z.uuid().nullable(),
  triage_workflow_id: z.string(),
  triaged_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const messageWithRunSchema = messageSchema.extend({ run: runRefSchema.nullable() });
