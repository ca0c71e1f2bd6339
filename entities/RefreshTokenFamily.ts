import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { UserSchema } from './User.ts';

/**
 * One login's chain of refresh tokens; its id is the tokens' `familyId`. Rotation and
 * reuse detection lock this row, so a family revoked by a reused token can never gain a
 * live token from a rotation racing the revocation.
 */
export const RefreshTokenFamilySchema = defineEntity({
  name: 'RefreshTokenFamily',
  tableName: 'refresh_token_families',
  extends: TenantScopedSchema,
  properties: {
    user: () => p.manyToOne(UserSchema).index(),
    revokedAt: p.datetime().nullable(),
  },
});

export type RefreshTokenFamily = InferEntity<typeof RefreshTokenFamilySchema>;
