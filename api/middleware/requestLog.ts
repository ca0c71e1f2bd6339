import type { Middleware } from 'koa';
import type { AppContext, AppContextExtras, AppState } from '../context.ts';

/** One line per request, with who made it: the thread from a log line to the workflow it started. */
export function requestLog(): Middleware<AppState, AppContextExtras> {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const user = ctx.state.user;
      const level = ctx.status >= 500 ? 'error' : ctx.status >= 400 ? 'warn' : 'info';
      ctx.state.log[level](
        {
          method: ctx.method,
          path: ctx.path,
          route: (ctx as AppContext)._matchedRoute,
          status: ctx.status,
          durationMs: Math.round(ms * 10) / 10,
          userId: user?.sub,
          tenantId: user?.tenant_id,
        },
        'request',
      );
    }
  };
}
