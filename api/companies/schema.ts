import { z } from 'zod';
import { listQuery } from '../pagination.ts';
import { phoneField } from '../validation.ts';

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** A bare host name: `acme.com`, `https://www.Acme.com/about` is taken as `acme.com`. */
const domainField = z
  .string()
  .trim()
  .max(253)
  .transform((d) => d.toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/[/?#].*$/, '').replace(/^www\./, ''))
  .pipe(z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a domain name such as acme.com'));

const addressSchema = z.strictObject({
  street: text(300).optional(),
  city: text(100).optional(),
  region: text(100).optional(),
  postal_code: text(20).optional(),
  country: text(100).optional(),
});

export const companyBody = z.strictObject({
  name: text(200),
  domain: domainField.nullable().optional(),
  industry: text(100).nullable().optional(),
  size: text(50).nullable().optional(),
  address: addressSchema.nullable().optional(),
  phone: phoneField.nullable().optional(),
  website: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(500).nullable().optional(),
  notes: z.string().max(10_000).nullable().optional(),
});

export const companyUpdateBody = companyBody.partial();

export const companyListQuery = listQuery(['created_at', 'updated_at', 'name'] as const, 'created_at').extend({
  search: z.string().trim().max(200).optional(),
  industry: z.string().trim().max(100).optional(),
  size: z.string().trim().max(50).optional(),
  domain: z.string().trim().max(253).optional(),
});

export const companyParams = z.object({ id: z.uuid({ error: 'must be a UUID' }) });

export const companySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  domain: z.string().nullable(),
  industry: z.string().nullable(),
  size: z.string().nullable(),
  address: addressSchema.nullable(),
  phone: z.string().nullable(),
  website: z.string().nullable(),
  notes: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const companyDetailSchema = companySchema.extend({ contacts_count: z.number().int(), leads_count: z.number().int() });
