import { z } from 'zod';
import { OUTBOUND_CHANNELS, OUTBOUND_STATUSES } from '../../entities/OutboundMessage.ts';
import { listQuery } from '../pagination.ts';
import { runRefSchema } from '../runs/schema.ts';
import { normalizePhone } from '../../lib/phone.ts';
import { emailField, trimmed, uuidParam } from '../validation.ts';

/**
 * Where a text goes: a number in international format (Twilio refuses any other, 21211, so
 * it is a 422 here rather than a failed send later), or Twilio's own `whatsapp:+…` spelling.
 */
const textAddress = z
  .string()
  .trim()
  .max(41)
  .transform((v, ctx) => {
    const whatsapp = /^whatsapp:/i.test(v);
    const number = normalizePhone(whatsapp ? v.slice('whatsapp:'.length) : v);
    if (number?.startsWith('+')) return { number, whatsapp };
    ctx.addIssue({ code: 'custom', message: 'must be a phone number in international format (+ and the country code), or whatsapp:+…' });
    return z.NEVER;
  });

export const smsSendBody = z.strictObject({
  to_number: textAddress,
  message: trimmed(1600),
  contact_id: uuidParam.optional(),
  /** WhatsApp goes through the same Twilio Messaging API, to `whatsapp:<to_number>`; a `whatsapp:` number says so too. */
  channel: z.enum(['sms', 'whatsapp']).optional(),
});

export const emailSendBody = z.strictObject({
  to: emailField,
  subject: trimmed(300),
  message: trimmed(100_000),
  contact_id: uuidParam.optional(),
});

/** Seed 002's answer, plus our id, the channel and the run that sends it. */
export const sendAnswerSchema = z.object({
  success: z.boolean(),
  /** The message's id here (GET /sms/outbox/{sid}); Twilio's own SID appears there as `provider_sid` once sent. */
  sid: z.uuid(),
  to: z.string(),
  status: z.string(),
  channel: z.string(),
  run: runRefSchema,
});

export const outboundSchema = z.object({
  id: z.uuid(),
  channel: z.enum(OUTBOUND_CHANNELS),
  to: z.string(),
  from: z.string().nullable(),
  subject: z.string().nullable(),
  body: z.string(),
  status: z.enum(OUTBOUND_STATUSES),
  provider: z.string().nullable(),
  provider_sid: z.string().nullable(),
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  contact_id: z.uuid().nullable(),
  cause: z.object({ type: z.string(), user_id: z.string().optional(), reminder_id: z.string().optional(), occurrence: z.string().optional(), run_id: z.string().optional(), step: z.string().optional(), campaign_id: z.string().optional(), contact_id: z.string().optional() }),
  attempts: z.number().int(),
  sent_at: z.string().nullable(),
  delivered_at: z.string().nullable(),
  created_at: z.string(),
  run: z.object({ workflow_id: z.string() }),
});

export const outboxQuery = listQuery(['created_at', 'sent_at'] as const, 'created_at').extend({
  channel: z.enum(OUTBOUND_CHANNELS).optional(),
  status: z.enum(OUTBOUND_STATUSES).optional(),
  contact_id: uuidParam.optional(),
});

export const outboundParams = z.object({ id: uuidParam });

/** The fields we use of Twilio's status callback; all are covered by the signature. */
export const twilioStatusCallback = z.looseObject({
  MessageSid: z.string().regex(/^[A-Za-z0-9]{10,64}$/, 'must be a Twilio SID'),
  MessageStatus: z.string().max(32),
  AccountSid: z.string().max(64).optional(),
  ErrorCode: z.string().max(10).optional(),
});
