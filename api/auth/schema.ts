import { z } from 'zod';
import { ROLES } from '../../entities/User.ts';
import { emailField } from '../validation.ts';

const email = emailField;
const password = z.string().min(8, 'must be at least 8 characters').max(256, 'must be at most 256 characters');
const name = z.string().trim().min(1).max(100);

export const registerBody = z.strictObject({
  email,
  password,
  // Stored split in two (first word, the rest), each at most 100 characters like first_name and last_name.
  full_name: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((v) => {
      const [head, ...rest] = v.split(/\s+/);
      return head.length <= 100 && rest.join(' ').length <= 100;
    }, 'the first name (first word) and the last name (the rest) must each be at most 100 characters')
    .optional(),
  first_name: name.optional(),
  last_name: name.optional(),
  tenant_name: z.string().trim().min(1).max(200).optional(),
  company_name: z.string().trim().min(1).max(200).optional(),
  phone: z.string().trim().max(32).optional(),
});

export const loginBody = z.strictObject({ email, password: z.string().min(1).max(256) });

export const refreshBody = z.strictObject({ refresh_token: z.string().min(1).max(512).optional() });

export const logoutBody = z.strictObject({ refresh_token: z.string().min(1).max(512).optional() });

export const userSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  full_name: z.string().nullable(),
  phone: z.string().nullable(),
  role: z.enum(ROLES),
  is_active: z.boolean(),
  tenant_id: z.uuid(),
  last_login_at: z.string().nullable(),
  created_at: z.string(),
});

export const tokenPairSchema = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int(),
});

export const sessionSchema = tokenPairSchema.extend({ user: userSchema });
