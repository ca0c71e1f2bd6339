import { createHash, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { CROSS_TENANT, type EntityManager } from '../../lib/db.ts';
import type { Config } from '../../lib/config.ts';
import { invalidToken } from '../../lib/errors.ts';
import { LockMode } from '@mikro-orm/core';
import { RefreshTokenSchema } from '../../entities/RefreshToken.ts';
import { RefreshTokenFamilySchema } from '../../entities/RefreshTokenFamily.ts';
import type { User } from '../../entities/User.ts';

export const JWT_ALGORITHM = 'HS256';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

function signAccessToken(user: User, tenantId: string, auth: Config['auth']): string {
  return jwt.sign({ tenant_id: tenantId, role: user.role, email: user.email, ver: user.tokenVersion }, auth.jwtSecret, {
    algorithm: JWT_ALGORITHM,
    subject: user.id,
    expiresIn: auth.accessTtlSeconds,
  });
}

/** Issues an access token and a refresh token; the refresh token joins `familyId` (a new family at login). */
export function issueTokens(em: EntityManager, user: User, tenantId: string, auth: Config['auth'], familyId?: string): TokenPair {
  if (!familyId) {
    familyId = randomUUID();
    em.create(RefreshTokenFamilySchema, { id: familyId, tenant: tenantId, user });
  }
  const refreshToken = randomBytes(32).toString('base64url');
  em.create(RefreshTokenSchema, {
    tenant: tenantId,
    user,
    familyId,
    tokenHash: sha256(refreshToken),
    expiresAt: new Date(Date.now() + auth.refreshTtlDays * 86_400_000),
  });
  return {
    access_token: signAccessToken(user, tenantId, auth),
    refresh_token: refreshToken,
    token_type: 'bearer',
    expires_in: auth.accessTtlSeconds,
  };
}

/**
 * Spends a refresh token and issues the next pair of its family, in one transaction
 * under a lock on the family row. A token that was already spent means it leaked (the
 * thief and the owner both hold it), so the whole family is revoked and both must log in
 * again; the lock makes that final: no rotation racing it can leave a live token behind.
 * @param em a system (unfiltered) unit of work: the caller is not authenticated yet.
 */
export async function rotateRefreshToken(em: EntityManager, presented: string, auth: Config['auth']) {
  const outcome = await em.transactional(async (tx) => {
    const token = await tx.findOne(RefreshTokenSchema, { tokenHash: sha256(presented) }, { populate: ['user'], ...CROSS_TENANT });
    if (!token) return { error: 'Refresh token is invalid' } as const;
    const family = await tx.findOne(RefreshTokenFamilySchema, token.familyId, { lockMode: LockMode.PESSIMISTIC_WRITE, ...CROSS_TENANT });
    if (!family || family.revokedAt || token.revokedAt) return { error: 'Refresh token was revoked' } as const;
    if (token.expiresAt.getTime() <= Date.now()) return { error: 'Refresh token has expired' } as const;
    // Read again under the lock: a rotation that held it before us may have spent this token.
    const spent = await tx.nativeUpdate(RefreshTokenSchema, { id: token.id, usedAt: null }, { usedAt: new Date() }, CROSS_TENANT);
    if (spent === 0) {
      family.revokedAt = new Date();
      await tx.nativeUpdate(RefreshTokenSchema, { familyId: family.id, revokedAt: null }, { revokedAt: new Date() }, CROSS_TENANT);
      return { error: 'Refresh token was already used; all sessions of this login were revoked' } as const;
    }
    const user = token.user;
    if (!user.isActive) return { error: 'User is disabled' } as const;
    const tenantId = token.tenant.id;
    const pair = issueTokens(tx, user, tenantId, auth, family.id);
    return { pair, user, tenantId };
  });
  // Thrown after the commit, so a detected reuse stays revoked.
  if ('error' in outcome) throw invalidToken(outcome.error);
  return outcome;
}

export async function revokeFamily(em: EntityManager, familyId: string): Promise<number> {
  await em.nativeUpdate(RefreshTokenFamilySchema, { id: familyId, revokedAt: null }, { revokedAt: new Date() }, CROSS_TENANT);
  return em.nativeUpdate(RefreshTokenSchema, { familyId, revokedAt: null }, { revokedAt: new Date() }, CROSS_TENANT);
}

/** Logout: the family of the given refresh token, or every family of the user. */
export async function revokeTokens(em: EntityManager, userId: string, presented?: string): Promise<number> {
  if (presented) {
    const token = await em.findOne(RefreshTokenSchema, { tokenHash: sha256(presented), user: userId }, CROSS_TENANT);
    return token ? revokeFamily(em, token.familyId) : 0;
  }
  await em.nativeUpdate(RefreshTokenFamilySchema, { user: userId, revokedAt: null }, { revokedAt: new Date() }, CROSS_TENANT);
  return em.nativeUpdate(RefreshTokenSchema, { user: userId, revokedAt: null }, { revokedAt: new Date() }, CROSS_TENANT);
}
