import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';

export const ROLES = ['admin', 'manager', 'user'] as const;
export type Role = (typeof ROLES)[number];

export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  extends: TenantScopedSchema,
  properties: {
    /** Login is by email alone, so an address belongs to one user across all tenants. */
    email: p.string().length(320).unique(),
    passwordHash: p.string().hidden().lazy(),
    firstName: p.string().length(100).nullable(),
    lastName: p.string().length(100).nullable(),
    phone: p.string().length(32).nullable(),
    role: p.enum(ROLES).default('user'),
    isActive: p.boolean().default(true),
    lastLoginAt: p.datetime().nullable(),
    /**
     * Carried in access tokens (`ver`) and checked on each request: raising it (deactivate,
     * role change, logout everywhere) ends every access token issued before, at once.
     */
    tokenVersion: p.integer().default(0),
  },
});

export type User = InferEntity<typeof UserSchema>;
