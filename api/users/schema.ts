import { z } from 'zod';
import { ROLES } from '../../entities/User.ts';
import { listQuery } from '../pagination.ts';
import { emailField } from '../validation.ts';

export const createUserBody = z.strictObject({
  email: emailField,
  password: z.string().min(8, 'must be at least 8 characters').max(256),
  first_name: z.string().trim().min(1).max(100).optional(),
  last_name: z.string().trim().min(1).max(100).optional(),
  phone: z.string().trim().max(32).optional(),
  role: z.enum(ROLES).default('user'),
});

export const updateUserBody = z.strictObject({
  first_name: z.string().trim().min(1).max(100).nullable().optional(),
  last_name: z.string().trim().min(1).max(100).nullable().optional(),
  phone: z.string().trim().max(32).nullable().optional(),
  role: z.enum(ROLES).optional(),
  is_active: z.boolean().optional(),
});

export const userListQuery = listQuery(['created_at', 'email'] as const, 'created_at').extend({
  role: z.enum(ROLES).optional(),
});

export const userParams = z.object({ id: z.uuid({ error: 'must be a UUID' }) });
