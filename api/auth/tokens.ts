import { createHash, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { EntityManager } from '../../lib/db.ts';
import type { Config } from '../../lib/config.ts';
import { invalidToken } from '../../lib/errors.ts';
import { RefreshTokenSchema } from '../../entities/RefreshToken.ts';
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
  return jwt.sign({ tenant_id: tenantId, role: user.role, email: user.email }, auth.jwtSecret, {
    algorithm: JWT_ALGORITHM,
    subject: user.id,
    expiresIn: auth.accessTtlSeconds,
  });
}

/** Issues an access token and a refresh token; the refresh token joins `familyId` (a new family at login). */
export function issueTokens(em: EntityManager, user: User, tenantId: string, auth: Config['auth'], familyId: string = randomUUID()): TokenPair {
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
 * Spends a refresh token and issues the next pair of its family. A token that was
 * already spent means it leaked (the thief and the owner both hold it), so the whole
 * family is revoked and both must log in again.
 * @param em a system (unfiltered) unit of work: the caller is not authenticated yet.
 */
export async function rotateRefreshToken(em: EntityManager, presented: string, auth: Config['auth']) {
  const token = await em.findOne(RefreshTokenSchema, { tokenHash: sha256(presented) }, { populate: ['user'], filters: false });
  if (!token) throw invalidToken('Refresh token is invalid');
  if (token.revokedAt) throw invalidToken('Refresh token was revoked');
  if (token.expiresAt.getTime() <= Date.now()) throw invalidToken('Refresh token has expired');
  // Spend atomically: of two concurrent uses, exactly one wins this update.
  const spent = await em.nativeUpdate(RefreshTokenSchema, { id: token.id, usedAt: null }, { usedAt: new Date() }, { filters: false });
  if (spent === 0) {
    await revokeFamily(em, token.familyId);
    throw invalidToken('Refresh token was already used; all sessions of this login were revoked');
  }
  const user = token.user;
  if (!user.isActive) throw invalidToken('User is disabled');
  const tenantId = token.tenant.id;
  const pair = issueTokens(em, user, tenantId, auth, token.familyId);
  await em.flush();
  return { pair, user, tenantId };
}

export async function revokeFamily(em: EntityManager, familyId: string): Promise<number> {
  return em.nativeUpdate(RefreshTokenSchema, { familyId, revokedAt: null }, { revokedAt: new Date() }, { filters: false });
}

/** Logout: the family of the given refresh token, or every family of the user. */
export async function revokeTokens(em: EntityManager, userId: string, presented?: string): Promise<number> {
  if (presented) {
    const token = await em.findOne(RefreshTokenSchema, { tokenHash: sha256(presented), user: userId }, { filters: false });
    return token ? revokeFamily(em, token.familyId) : 0;
  }
  return em.nativeUpdate(RefreshTokenSchema, { user: userId, revokedAt: null }, { revokedAt: new Date() }, { filters: false });
}
