import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { UserSchema } from './User.ts';

/**
 * One refresh token of a rotation family. Only a hash is stored; presenting a token
 * that was already used revokes its whole family (stolen-token detection).
 */
export const RefreshTokenSchema = defineEntity({
  name: 'RefreshToken',
  extends: TenantScopedSchema,
  properties: {
    user: () => p.manyToOne(UserSchema).index(),
    familyId: p.uuid().index(),
    tokenHash: p.string().length(64).unique(),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});

export type RefreshToken = InferEntity<typeof RefreshTokenSchema>;
