import { z } from 'zod';

/** What triage decides about one inbound message (seed 002's shape). Pure: shared by providers, activities and the API. */
export const TRIAGE_CATEGORIES = ['sales_inquiry', 'support', 'appointment', 'billing', 'complaint', 'spam', 'other'] as const;
export const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;

export const extractedContactSchema = z.object({
  name: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  company: z.string().nullable(),
});

export const extractedEventSchema = z.object({
  title: z.string(),
  /** ISO-8601 with zone. */
  start: z.string(),
  end: z.string().nullable(),
  location: z.string().nullable(),
});

export const extractedTaskSchema = z.object({
  title: z.string(),
  due: z.string().nullable(),
});

export const triageResultSchema = z.object({
  category: z.enum(TRIAGE_CATEGORIES),
  intent: z.string().max(200),
  priority: z.enum(PRIORITIES),
  sentiment: z.number().min(-1).max(1),
  /** ISO 639-1 code, e.g. "en". */
  language: z.string().min(2).max(8),
  summary: z.string().max(1000),
  extracted_data: z.object({
    contacts: z.array(extractedContactSchema),
    events: z.array(extractedEventSchema),
    tasks: z.array(extractedTaskSchema),
  }),
  confidence: z.number().min(0).max(1),
});

export type TriageResult = z.infer<typeof triageResultSchema>;
export type TriageCategory = (typeof TRIAGE_CATEGORIES)[number];
export type Priority = (typeof PRIORITIES)[number];

export const MESSAGE_CHANNELS = ['sms', 'email', 'web_widget', 'telegram', 'whatsapp', 'voice'] as const;
export type MessageChannel = (typeof MESSAGE_CHANNELS)[number];

export interface TriageInput {
  channel: MessageChannel;
  content: string;
  subject?: string | null;
  customer: { name?: string | null; email?: string | null; phone?: string | null };
  /** When the message arrived (ISO-8601); relative dates ("tomorrow at 3pm") resolve against it. */
  receivedAt: string;
  /** IANA zone of the tenant, for relative dates; default UTC. */
  timezone?: string;
}
