import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { DirectSql } from '../lib/directSql.ts';
import type { Role } from '../entities/User.ts';
import type { AccessClaims } from './context.ts';

/** The token's user as stored now: a deactivation, a role change or a logout raises its token version. */
export interface StoredCaller {
  token_version: number;
  is_active: boolean;
  role: Role;
}

/** One primary-key lookup per request (api/routing.ts `currentCaller`). */
export async function readStoredCaller(sql: DirectSql, claims: AccessClaims): Promise<StoredCaller | undefined> {
  const rows = await sql<StoredCaller>('select token_version, is_active, role from users where id = $1 and tenant_id = $2', [claims.sub, claims.tenant_id]);
  return rows[0];
}

export interface ConsumedPoint {
  allowed: boolean;
  remainingPoints: number;
  msBeforeNext: number;
  /** The caller's stored state, read by the same statement; undefined when the user is gone. */
  caller: StoredCaller | undefined;
}

/**
 * A rate-limit point for a signed-in caller and the caller's stored state in one
 * statement, so an authenticated request pays one round trip for both instead of two.
 * The counter row is rate-limiter-flexible's own (same table, key and arithmetic as its
 * RateLimiterPostgres upsert), so the limiter's other readers see the same count.
 */
export async function consumeWithCaller(sql: DirectSql, limiter: RateLimiterAbstract, key: string, claims: AccessClaims, windowMs: number): Promise<ConsumedPoint> {
  const now = Date.now();
  const rows = await sql<{ points: number; expire: string | number | null } & Partial<StoredCaller>>(
    `with counter as (
       insert into rate_limits (key, points, expire) values ($1, 1, $2)
       on conflict (key) do update set
         points = case when rate_limits.expire <= $3 then 1 else rate_limits.points + 1 end,
         expire = case when rate_limits.expire <= $3 then excluded.expire else rate_limits.expire end
       returning points, expire)
     select counter.points, counter.expire, u.token_version, u.is_active, u.role
     from counter left join users u on u.id = $4 and u.tenant_id = $5`,
    [limiter.getKey(key), now + windowMs, now, claims.sub, claims.tenant_id],
  );
  const row = rows[0];
  const consumed = Number(row.points);
  const expire = row.expire === null ? null : Number(row.expire);
  return {
    allowed: consumed <= limiter.points,
    remainingPoints: Math.max(0, limiter.points - consumed),
    msBeforeNext: expire === null ? -1 : Math.max(0, expire - now),
    caller: row.role === null || row.role === undefined ? undefined : { token_version: Number(row.token_version), is_active: Boolean(row.is_active), role: row.role },
  };
}
