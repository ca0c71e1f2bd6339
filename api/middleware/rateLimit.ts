import type { Middleware } from 'koa';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../../lib/config.ts';
import { rateLimited } from '../../lib/errors.ts';
import type { AppContextExtras, AppState } from '../context.ts';

const WINDOW_SECONDS = 60;

/**
 * Limits per minute (API.md): by client address on `/auth/*` (before anyone is known),
 * by user elsewhere (by address for anonymous calls). Counters live in this process
 * (rate-limiter-flexible's memory store), so each API replica enforces its own share.
 */
export function rateLimit(limits: Config['rateLimit'], prefix: string, metricsPath = '/metrics'): Middleware<AppState, AppContextExtras> {
  const authLimiter = new RateLimiterMemory({ points: limits.authPerMinute, duration: WINDOW_SECONDS, keyPrefix: 'auth' });
  const apiLimiter = new RateLimiterMemory({ points: limits.perMinute, duration: WINDOW_SECONDS, keyPrefix: 'api' });
  const exempt = new Set([`${prefix}/health`, metricsPath, '/']);

  return async (ctx, next) => {
    if (exempt.has(ctx.path) || ctx.path.startsWith(`${prefix}/docs`)) return next();
    const isAuth = ctx.path.startsWith(`${prefix}/auth/`) && ctx.path !== `${prefix}/auth/me`;
    const limiter = isAuth ? authLimiter : apiLimiter;
    const key = !isAuth && ctx.state.user ? `user:${ctx.state.user.sub}` : `ip:${ctx.ip}`;
    let res: RateLimiterRes;
    let allowed = true;
    try {
      res = await limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      res = rejection;
      allowed = false;
    }
    ctx.set('X-RateLimit-Limit', String(limiter.points));
    ctx.set('X-RateLimit-Remaining', String(Math.max(0, res.remainingPoints)));
    ctx.set('X-RateLimit-Reset', String(Math.ceil((Date.now() + res.msBeforeNext) / 1000)));
    if (!allowed) throw rateLimited(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
    await next();
  };
}
