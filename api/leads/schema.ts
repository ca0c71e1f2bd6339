import { z } from 'zod';
import { LEAD_STATUSES } from '../../entities/Lead.ts';
import { listQuery } from '../pagination.ts';
import { amountField, currencyField, emailField, phoneField } from '../validation.ts';

/** Seed 000's nested contact: found by email or phone, else created. */
const nestedContact = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    email: emailField.optional(),
    phone: phoneField.optional(),
    company: z.string().trim().min(1).max(200).optional(),
    job_title: z.string().trim().min(1).max(200).optional(),
  })
  .refine((c) => c.email || c.phone, { message: 'needs an email or a phone', path: ['email'] });

export const createLeadBody = z
  .strictObject({
    contact_id: z.uuid().optional(),
    contact: nestedContact.optional(),
    title: z.string().trim().min(1).max(300).optional(),
    source: z.string().trim().min(1).max(50).default('manual'),
    status: z.enum(LEAD_STATUSES).default('new'),
    value: amountField.nullable().optional(),
    currency: currencyField.optional(),
    pipeline_id: z.uuid().optional(),
    company_id: z.uuid().optional(),
    stage_id: z.string().trim().max(50).optional(),
    assigned_to: z.uuid().nullable().optional(),
    notes: z.string().max(10_000).nullable().optional(),
  })
  .refine((b) => b.contact_id || b.contact, { message: 'give contact_id or contact', path: ['contact'] });

export const updateLeadBody = z.strictObject({
  title: z.string().trim().min(1).max(300).optional(),
  status: z.enum(LEAD_STATUSES).optional(),
  value: amountField.nullable().optional(),
  currency: currencyField.optional(),
  stage_id: z.string().trim().max(50).nullable().optional(),
  company_id: z.uuid().nullable().optional(),
  assigned_to: z.uuid().nullable().optional(),
  score: z.number().int().min(0).max(100).nullable().optional(),
  notes: z.string().max(10_000).nullable().optional(),
});

export const leadListQuery = listQuery(['created_at', 'updated_at', 'value', 'score', 'title', 'status', 'source'] as const, 'created_at').extend({
  status: z.enum(LEAD_STATUSES).optional(),
  source: z.string().trim().max(50).optional(),
  contact_email: z.string().trim().max(320).optional(),
  assigned_to: z.uuid().optional(),
  search: z.string().trim().max(200).optional(),
  /** true: only leads archived by a CRM sync; otherwise only live ones. */
  archived: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true').optional(),
  min_score: z.coerce.number().int().min(0).max(100).optional(),
  company_id: z.uuid().optional(),
  pipeline_id: z.uuid().optional(),
  stage_id: z.string().trim().max(50).optional(),
});

export const leadParams = z.object({ id: z.uuid({ error: 'must be a UUID' }) });

export const leadSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  source: z.string(),
  status: z.enum(LEAD_STATUSES),
  value: z.number().nullable(),
  currency: z.string(),
  score: z.number().nullable(),
  pipeline_id: z.uuid().nullable(),
  stage_id: z.string().nullable(),
  company_id: z.uuid().nullable(),
  assigned_to: z.uuid().nullable(),
  notes: z.string().nullable(),
  source_message_id: z.uuid().nullable(),
  /** Deleted or archived in a synced CRM (GET /crm/leads?archived=true lists these). */
  archived_at: z.string().nullable(),
  contact: z.object({ id: z.uuid(), name: z.string(), email: z.string().nullable(), phone: z.string().nullable(), company: z.string().nullable() }),
  created_at: z.string(),
  updated_at: z.string(),
});
