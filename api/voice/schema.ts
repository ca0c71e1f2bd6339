import { z } from 'zod';
import { CALL_STATUSES } from '../../entities/VoiceCall.ts';
import { listQuery } from '../pagination.ts';
import { runRefSchema } from '../runs/schema.ts';
import { isoDateTime, phoneField, trimmed, uuidParam } from '../validation.ts';

export const callParams = z.object({ id: uuidParam });

const settings = z.record(z.string().max(64), z.unknown()).refine((v) => JSON.stringify(v).length <= 4_000, 'must be at most 4,000 characters as JSON');

export const callBody = z.strictObject({
  lead_id: uuidParam.optional(),
  contact_id: uuidParam.optional(),
  phone_number: phoneField,
  call_type: z.enum(['outbound'], { error: 'only outbound calls are placed' }).default('outbound'),
  purpose: trimmed(500).optional(),
  /** Seed 004's voice settings (`voice_id`, `speed`, `language`), and `agent_name`, who the agent says it is. */
  voice_settings: settings.optional(),
  max_attempts: z.number().int().min(1).max(10).default(3),
  call_window: z
    .strictObject({ not_before: isoDateTime.optional(), not_after: isoDateTime.optional() })
    .refine((w) => !w.not_before || !w.not_after || Date.parse(w.not_before) < Date.parse(w.not_after), 'not_before must be before not_after')
    .optional(),
});

export const startBody = z.strictObject({ voice_config: settings.optional() }).optional();
export const respondBody = z.strictObject({
  text: z.string().trim().min(1, 'must not be empty').max(4_000).optional(),
  audio_data: z.string().max(10_000_000).optional(),
});
export const endBody = z.strictObject({ reason: z.string().trim().min(1).max(100).default('completed') }).optional();

export const callListQuery = listQuery(['created_at', 'updated_at', 'status'] as const, 'created_at').extend({
  status: z.enum(CALL_STATUSES).optional(),
  lead_id: z.uuid().optional(),
  start_date: isoDateTime.optional(),
  end_date: isoDateTime.optional(),
});

const analysisSchema = z.object({ sentiment: z.number(), intent: z.string(), objections: z.array(z.string()), interest_signals: z.array(z.string()) });
const summarySchema = z.object({
  duration_minutes: z.number(),
  total_exchanges: z.number().int(),
  conversation_state: z.string(),
  objections_raised: z.array(z.string()),
  interest_signals: z.array(z.string()),
  overall_sentiment: z.number(),
  recommendation: z.string(),
});
const analyticsSchema = z.object({ conversion_probability: z.number(), engagement_score: z.number(), total_turns: z.number().int(), avg_sentiment: z.number() });

export const callSchema = z.object({
  id: z.uuid(),
  lead_id: z.uuid().nullable(),
  contact_id: z.uuid().nullable(),
  phone_number: z.string(),
  call_type: z.string(),
  purpose: z.string().nullable(),
  voice_settings: z.record(z.string(), z.unknown()),
  status: z.enum(CALL_STATUSES),
  max_attempts: z.number().int(),
  call_window: z.object({ not_before: z.string().nullable(), not_after: z.string().nullable() }),
  attempts: z.array(z.object({ n: z.number().int(), at: z.string(), outcome: z.string(), provider_call_id: z.string().nullable(), error: z.string().optional() })),
  conversation_state: z.string(),
  transcript: z.array(z.object({ role: z.enum(['agent', 'caller']), text: z.string(), state: z.string(), analysis: analysisSchema.optional() })),
  analysis: analysisSchema.nullable(),
  summary: summarySchema.nullable(),
  analytics: analyticsSchema.nullable(),
  answered_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  end_reason: z.string().nullable(),
  created_at: z.string(),
  run: runRefSchema.nullable().optional(),
});

export const startAnswerSchema = z.object({
  success: z.boolean(),
  call_id: z.uuid(),
  opening_message: z.string(),
  session_info: z.object({ state: z.string(), context: z.object({ lead_name: z.string().nullable(), company: z.string().nullable(), purpose: z.string().nullable() }) }),
});
export const respondAnswerSchema = z.object({
  success: z.boolean(),
  ai_response: z.string(),
  audio_data: z.string().nullable(),
  analysis: analysisSchema,
  conversation_state: z.string(),
  should_continue: z.boolean(),
});
export const endAnswerSchema = z.object({ success: z.boolean(), call_id: z.uuid(), status: z.string(), summary: summarySchema, analytics: analyticsSchema });
