import type { Middleware } from 'koa';
import pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../../lib/config.ts';
import { POOL_IDLE_TIMEOUT_MS } from '../../lib/db.ts';
import { rateLimited } from '../../lib/errors.ts';
import type { AppContextExtras, AppState } from '../context.ts';
import { consumeWithCaller } from '../storedCaller.ts';

const WINDOW_SECONDS = 60;
const TABLE = 'rate_limits';

export interface Limiters {
  /** Per client address on /auth/* (API.md: 10 a minute). */
  auth: RateLimiterAbstract;
  /** Per user elsewhere (API.md: 100 a minute). */
  api: RateLimiterAbstract;
  /** Failed logins per email: guessing one account's password slows down whatever addresses it comes from. */
  loginFailures: RateLimiterAbstract;
  /** Where the counters are: `postgres` lets a signed-in request's point ride on its caller lookup (api/storedCaller.ts). */
  store: Config['rateLimit']['store'];
  close(): Promise<void>;
}

/**
 * The counters, in PostgreSQL (RATE_LIMIT_STORE=postgres, the default: every API replica
 * shares them, so N replicas still enforce one limit; the table is migrated, see
 * entities/RateLimitCounter.ts) or in this process (`memory`, what `npm start` uses).
 */
export function createLimiters(limits: Config['rateLimit'], databaseUrl: string): Limiters {
  const login = { points: limits.loginFailuresPerEmail, duration: limits.loginFailureWindowSeconds, keyPrefix: 'login' };
  const auth = { points: limits.authPerMinute, duration: WINDOW_SECONDS, keyPrefix: 'auth' };
  const api = { points: limits.perMinute, duration: WINDOW_SECONDS, keyPrefix: 'api' };
  if (limits.store === 'memory') {
    return { auth: new RateLimiterMemory(auth), api: new RateLimiterMemory(api), loginFailures: new RateLimiterMemory(login), store: 'memory', close: async () => undefined };
  }
  // Its own small pool: a counter is one statement, and must not wait behind the ORM's queries.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, allowExitOnIdle: true, idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS });
  // An idle connection dropped by the server (a restart, a failover) is replaced on next use.
  pool.on('error', () => undefined);
  const store = { storeClient: pool, tableName: TABLE, tableCreated: true };
  return {
    auth: new RateLimiterPostgres({ ...store, ...auth }),
    api: new RateLimiterPostgres({ ...store, ...api }),
    loginFailures: new RateLimiterPostgres({ ...store, ...login }),
    store: 'postgres',
    close: () => pool.end(),
  };
}

/**
 * Limits per minute (API.md): by client address on `/auth/*` (before anyone is known),
 * by user elsewhere (by address for anonymous calls). The address is Koa's `ctx.ip`,
 * which behind TRUST_PROXY counts only TRUST_PROXY_HOPS entries of X-Forwarded-For from
 * the right, so a client cannot pick its own key by sending the header.
 */
export function rateLimit(limiters: Limiters, prefix: string, metricsPath = '/metrics'): Middleware<AppState, AppContextExtras> {
  const exempt = new Set([`${prefix}/health`, metricsPath, '/']);

  return async (ctx, next) => {
    if (exempt.has(ctx.path) || ctx.path.startsWith(`${prefix}/docs`)) return next();
    const isAuth = ctx.path.startsWith(`${prefix}/auth/`) && ctx.path !== `${prefix}/auth/me`;
    const limiter = isAuth ? limiters.auth : limiters.api;
    const claims = isAuth ? undefined : ctx.state.user;
    const key = claims ? `user:${claims.sub}` : `ip:${ctx.ip}`;
    let res: Pick<RateLimiterRes, 'remainingPoints' | 'msBeforeNext'>;
    let allowed = true;
    if (claims && limiters.store === 'postgres') {
      const consumed = await consumeWithCaller(ctx.deps.sql, limiter, key, claims, WINDOW_SECONDS * 1000);
      ({ allowed } = consumed);
      res = consumed;
      ctx.state.storedCaller = consumed.caller ?? null;
    } else {
      try {
        res = await limiter.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        res = rejection;
        allowed = false;
      }
    }
    ctx.set('X-RateLimit-Limit', String(limiter.points));
    ctx.set('X-RateLimit-Remaining', String(Math.max(0, res.remainingPoints)));
    ctx.set('X-RateLimit-Reset', String(Math.ceil((Date.now() + res.msBeforeNext) / 1000)));
    if (!allowed) throw rateLimited(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
    await next();
  };
}

/** Login attempts for one email: refused (429) while its failures are used up; a success clears them. */
export const loginGuard = (limiter: RateLimiterAbstract) => ({
  async check(email: string) {
    const state = await limiter.get(email);
    if (state && state.consumedPoints >= limiter.points) throw rateLimited(Math.max(1, Math.ceil(state.msBeforeNext / 1000)));
  },
  async failed(email: string) {
    await limiter.consume(email).catch((rejection: unknown) => {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
    });
  },
  async succeeded(email: string) {
    await limiter.delete(email);
  },
});
