import { z } from 'zod';
import { listQuery } from '../pagination.ts';
import { emailField, phoneField } from '../validation.ts';

const optionalText = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`).nullable().optional();
const tag = z.string().trim().min(1).max(50);
const customFields = z
  .record(z.string().max(100), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]))
  .refine((v) => Object.keys(v).length <= 50, 'at most 50 custom fields');


export const contactBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  email: emailField.nullable().optional(),
  phone: phoneField.nullable().optional(),
  organization: optionalText(200),
  /** Links the contact to a company record; its name becomes the organization unless one is given. */
  company_id: z.uuid().nullable().optional(),
  job_title: optionalText(200),
  notes: optionalText(10_000),
  tags: z.array(tag).max(50).optional(),
  custom_fields: customFields.optional(),
});

/** PUT and PATCH both take any subset of the fields. */
export const contactUpdateBody = contactBody.partial();

export const contactListQuery = listQuery(['created_at', 'updated_at', 'name', 'email', 'phone'] as const, 'created_at').extend({
  search: z.string().trim().max(200).optional(),
  /** true: only contacts archived by a CRM sync; otherwise only live ones. */
  archived: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true').optional(),
  organization: z.string().trim().max(200).optional(),
  tag: z.string().trim().max(50).optional(),
  company_id: z.uuid().optional(),
});

export const contactParams = z.object({ id: z.uuid({ error: 'must be a UUID' }) });

export const contactSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  organization: z.string().nullable(),
  company_id: z.uuid().nullable(),
  job_title: z.string().nullable(),
  notes: z.string().nullable(),
  tags: z.array(z.string()),
  custom_fields: z.record(z.string(), z.unknown()),
  sms_opt_out: z.boolean(),
  /** No AI call dials a contact who asked not to be called. */
  do_not_call: z.boolean(),
  /** Deleted or archived in a synced CRM (GET /contacts?archived=true lists these). */
  archived_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
