import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { AppContextExtras, AppState } from '../context.ts';

/** A caller's id is kept when it is a plausible id, so a trace can cross services; anything else is replaced. */
const ACCEPTABLE = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestId(): Middleware<AppState, AppContextExtras> {
  return async (ctx, next) => {
    const incoming = ctx.get('X-Request-Id');
    const id = ACCEPTABLE.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.set('X-Request-Id', id);
    ctx.state.log = ctx.deps.log.child({ requestId: id });
    await next();
  };
}
