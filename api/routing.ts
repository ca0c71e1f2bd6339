import type Router from '@koa/router';
import { z, type ZodType } from 'zod';
import type { Role } from '../entities/User.ts';
import type { Config } from '../lib/config.ts';
import { forbidden, invalidToken, unauthorized, validationError } from '../lib/errors.ts';
import { tenantEm } from '../lib/db.ts';
import type { AccessClaims, AppContext, Caller } from './context.ts';
import { readStoredCaller } from './storedCaller.ts';
import { storeAnswerWithWork } from './middleware/idempotency.ts';
import { zodIssuesToFields } from './validation.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Infer<S> = S extends ZodType ? z.infer<S> : undefined;

interface SpecBase<B, Q, P> {
  method: Method;
  /** Path below the API prefix, koa-router style (`/contacts/:id`). */
  path: string;
  summary: string;
  tag: string;
  body?: B;
  query?: Q;
  params?: P;
  /** Success status; 200 unless said. */
  status?: number;
  /** The success body's schema, for the OpenAPI document. */
  response?: ZodType;
  /** Request body content type when not JSON (e.g. Twilio's form posts). */
  bodyType?: 'json' | 'form' | 'multipart';
  /**
   * With `bodyType: 'multipart'`, required: the largest file the route takes. An upload sent
   * with an Idempotency-Key is read (to hash it) only on such a route, and no further than this.
   */
  maxUploadBytes?: (config: Config) => number;
  /** A body the handler checks itself (after a signature, say), listed in the docs only. */
  documentedBody?: ZodType;
}

export interface Input<B, Q, P> {
  body: Infer<B>;
  query: Infer<Q>;
  params: Infer<P>;
}

export interface PrivateSpec<B, Q, P> extends SpecBase<B, Q, P> {
  /** Roles allowed; every authenticated user when omitted. */
  roles?: Role[];
  /**
   * The handler's whole effect is its writes through `ctx.state.em` (no workflow started,
   * no provider called): with an Idempotency-Key, they and the stored answer commit in one
   * transaction, so a retry after the API died between its commit and its answer replays
   * the answer instead of making a second record. Routes that start work find their first
   * try's row instead (api/startWork.ts madeOnce): their run starts after their commit.
   */
  answerWithWork?: true;
  handler: (ctx: AppContext, input: Input<B, Q, P> & { caller: Caller }) => Promise<unknown>;
}

export interface PublicSpec<B, Q, P> extends SpecBase<B, Q, P> {
  handler: (ctx: AppContext, input: Input<B, Q, P>) => Promise<unknown>;
}

/** A route as both the router and the OpenAPI builder see it: one definition, two uses. */
export interface RouteDef {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  auth: boolean;
  roles?: Role[];
  /** PrivateSpec `answerWithWork`. */
  answerWithWork?: true;
  status: number;
  body?: ZodType;
  query?: ZodType;
  params?: ZodType;
  response?: ZodType;
  bodyType: 'json' | 'form' | 'multipart';
  maxUploadBytes?: (config: Config) => number;
  documentedBody?: ZodType;
  run: (ctx: AppContext) => Promise<void>;
}

function parsePart<S extends ZodType | undefined>(schema: S, value: unknown, where: string): Infer<S> {
  if (!schema) return undefined as Infer<S>;
  const result = schema.safeParse(value);
  if (!result.success) {
    const fields = zodIssuesToFields(result.error).map((f) => ({ ...f, field: f.field === '(root)' ? where : `${where}.${f.field}` }));
    throw validationError(`Invalid ${where}`, fields);
  }
  return result.data as Infer<S>;
}

function parseInput<B extends ZodType | undefined, Q extends ZodType | undefined, P extends ZodType | undefined>(
  spec: SpecBase<B, Q, P>,
  ctx: AppContext,
): Input<B, Q, P> {
  return {
    params: parsePart(spec.params, ctx.params, 'params'),
    query: parsePart(spec.query, ctx.query, 'query'),
    body: parsePart(spec.body, ctx.request.body ?? {}, 'body'),
  } as Input<B, Q, P>;
}

/**
 * The authenticated caller, or the reason there is none: a missing token is
 * UNAUTHORIZED, a bad or expired one INVALID_TOKEN (API.md).
 */
export function requireCaller(ctx: AppContext): Caller {
  const user = ctx.state.user;
  if (!user) {
    // koa-jwt records an error for a missing token too; only a token that was sent can be "invalid".
    if (ctx.state.jwtOriginalError && ctx.get('Authorization')) throw invalidToken();
    throw unauthorized();
  }
  return { userId: user.sub, tenantId: user.tenant_id, role: user.role, email: user.email };
}

/**
 * The token's user as they are now: one primary-key lookup per request (or the rate
 * limiter's, which reads it in the same statement), so a deactivation, a role change or
 * "log out everywhere" (each raises the user's token version) ends every access token
 * issued before it at once, not when it expires.
 */
async function currentCaller(ctx: AppContext, caller: Caller): Promise<Caller> {
  const claims = ctx.state.user as AccessClaims;
  const user = ctx.state.storedCaller === undefined ? await readStoredCaller(ctx.deps.sql, claims) : ctx.state.storedCaller;
  if (!user || !user.is_active || user.token_version !== (claims.ver ?? 0)) throw invalidToken('Token is no longer valid: sign in again');
  return { ...caller, role: user.role };
}

function finish(ctx: AppContext, status: number, result: unknown) {
  if (result === undefined) return;
  ctx.status = status;
  ctx.body = result;
}

/** Runs `work` and stores its answer in one transaction (PrivateSpec `answerWithWork`), then what waits for its commit (afterCommit). */
async function answeredWithWork(ctx: AppContext, work: () => Promise<void>): Promise<void> {
  const em = ctx.state.em;
  const committed: Array<() => Promise<void>> = [];
  ctx.state.afterCommit = committed;
  try {
    ctx.state.answerCommitted = await em.transactional(async (tx) => {
      ctx.state.em = tx;
      await work();
      return storeAnswerWithWork(ctx, tx);
    });
  } finally {
    ctx.state.em = em;
    ctx.state.afterCommit = undefined;
  }
  for (const effect of committed) {
    // The work and its answer are committed: an effect that fails is done again later, not a failed request.
    await effect().catch((err: unknown) => ctx.state.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'an effect after the commit failed; it is done again later'));
  }
}

/**
 * Runs `effect` once the request's writes are committed: now, or after the commit of a
 * route answered with its work. Only for effects the answer does not report and that are
 * done again when missed (a Schedule kept in line from its row's `schedule_pending`).
 */
export async function afterCommit(ctx: AppContext, effect: () => Promise<void>): Promise<void> {
  if (ctx.state.afterCommit) ctx.state.afterCommit.push(effect);
  else await effect();
}

/** A route for an authenticated caller; its unit of work sees only the caller's tenant. */
export function route<B extends ZodType | undefined = undefined, Q extends ZodType | undefined = undefined, P extends ZodType | undefined = undefined>(
  spec: PrivateSpec<B, Q, P>,
): RouteDef {
  const status = spec.status ?? 200;
  if (spec.bodyType === 'multipart' && !spec.maxUploadBytes) throw new Error(`${spec.method.toUpperCase()} ${spec.path} takes an upload: say its maxUploadBytes`);
  return {
    ...spec,
    auth: true,
    status,
    bodyType: spec.bodyType ?? 'json',
    run: async (ctx) => {
      const caller = await currentCaller(ctx, requireCaller(ctx));
      if (spec.roles && !spec.roles.includes(caller.role)) throw forbidden();
      ctx.state.em = tenantEm(ctx.deps.orm, caller.tenantId);
      if (spec.maxUploadBytes) ctx.state.uploadMaxBytes = spec.maxUploadBytes(ctx.deps.config);
      const input = parseInput(spec, ctx);
      const work = async () => finish(ctx, status, await spec.handler(ctx, { ...input, caller }));
      if (spec.answerWithWork && ctx.state.idempotencyClaim) await answeredWithWork(ctx, work);
      else await work();
    },
  };
}

/** A route anyone may call (auth, health, provider webhooks that verify their own signature). */
export function publicRoute<B extends ZodType | undefined = undefined, Q extends ZodType | undefined = undefined, P extends ZodType | undefined = undefined>(
  spec: PublicSpec<B, Q, P>,
): RouteDef {
  const status = spec.status ?? 200;
  return {
    ...spec,
    auth: false,
    status,
    bodyType: spec.bodyType ?? 'json',
    run: async (ctx) => {
      const input = parseInput(spec, ctx);
      finish(ctx, status, await spec.handler(ctx, input));
    },
  };
}

export function mountRoutes(router: Router, defs: RouteDef[]): void {
  for (const def of defs) {
    router[def.method](def.path, (ctx) => def.run(ctx as unknown as AppContext));
  }
}

/** `{data: ...}` for one resource (API.md). */
export const one = <T>(data: T) => ({ data });
export const dataSchema = <S extends ZodType>(schema: S) => z.object({ data: schema });
