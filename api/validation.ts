import { z, type ZodError, type ZodType } from 'zod';
import type { FieldIssue } from '../lib/errors.ts';
import { normalizePhone } from '../lib/phone.ts';
import { isCurrency, MAX_AMOUNT, toCents } from '../lib/money.ts';

/** zod issues as the envelope's `details.fields`: a dotted path a client can map to a form field. */
export function zodIssuesToFields(err: ZodError): FieldIssue[] {
  return err.issues.flatMap((issue): FieldIssue[] => {
    const at = issue.path.map(String);
    // One entry per unknown field, named, so a client sees exactly what to drop.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...at, key].join('.'), message: 'is not a known field', code: issue.code }));
    }
    return [{ field: at.length ? at.join('.') : '(root)', message: issue.message, code: issue.code }];
  });
}

export const uuidParam = z.uuid({ error: 'must be a UUID' });

/** Query strings arrive as strings or repeated strings; a number filter accepts only one decimal value. */
export const queryInt = (min: number, max: number, fallback: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(min).max(max).default(fallback);

/** ISO-8601 with a zone, as API.md requires, and within what PostgreSQL stores (years 1–9999 in UTC). */
export const isoDateTime = z.iso
  .datetime({ offset: true, error: 'must be an ISO-8601 date-time with a zone' })
  .refine((v) => {
    const year = new Date(v).getUTCFullYear();
    return year >= 1 && year <= 9999;
  }, 'must be between the years 1 and 9999');

export const trimmed = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

export type Schema<T = unknown> = ZodType<T>;

/** An email address, stored and matched lowercased. */
export const emailField = z.email({ error: 'must be a valid email address' }).max(320).transform((v) => v.toLowerCase());

/** A phone number in the project's one spelling (lib/phone.ts). */
export const phoneField = z
  .string()
  .max(32)
  .transform((v, ctx) => normalizePhone(v) ?? (ctx.addIssue({ code: 'custom', message: 'must be a phone number (7 to 15 digits, optional leading +)' }), z.NEVER));

/** A money amount (lib/money.ts): not negative, whole cents, no more than numeric(14, 2) holds. */
export const amountField = z
  .number({ error: 'must be a number' })
  .min(0, 'must not be negative')
  .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`)
  .refine((v) => toCents(v) !== null, 'must be in whole cents (at most 2 decimal places)')
  .transform((v) => toCents(v) ?? v);

/** An ISO 4217 currency code, in any case (stored upper case). */
export const currencyField = z
  .string({ error: 'must be a currency code' })
  .length(3, 'must be a 3-letter ISO 4217 code such as USD')
  .transform((v) => v.toUpperCase())
  .refine(isCurrency, 'must be an ISO 4217 currency code such as USD');
