import { z } from 'zod';
import jwt from 'jsonwebtoken';
import { conflict, notFound, notImplemented, serviceUnavailable, validationError } from '../../lib/errors.ts';
import { CalendarConnectionSchema, type CalendarConnection } from '../../entities/CalendarConnection.ts';
import { queueWorkflowStart } from '../../entities/WorkflowStart.ts';
import { ProviderError } from '../../providers/errors.ts';
import { authUrl, exchangeCode, googleConfigured } from '../../providers/google/calendar.ts';
import { calendarSyncKind, calendarSyncStartRequest, calendarSyncWorkflowId, disconnectSignal, syncNowSignal, type CalendarSyncInput } from '../../workflows/syncCalendar.client.ts';
import { runTags, type RunRef } from '../../lib/workflowClient.ts';
import { paginationSchema, wholeList } from '../pagination.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { runRefSchema } from '../runs/schema.ts';
import { startOrDefer } from '../startWork.ts';
import { uuidParam } from '../validation.ts';
import type { AppContext, Caller } from '../context.ts';

/** Connecting decides which account the tenant's events go to: admins and managers, as for CRM integrations. */
const CONNECTORS = ['admin', 'manager'] as const;

const STATE_AUDIENCE = 'calendar-oauth';
const STATE_TTL = '15m';

const providerParam = z.object({ provider: z.enum(['google', 'outlook'], { error: 'must be google or outlook' }) });
const connectionParams = z.object({ id: uuidParam });
const authBody = z.strictObject({ redirect_uri: z.url({ error: 'must be a URL' }).max(2048).optional() }).optional();
const callbackBody = z.strictObject({
  provider: z.enum(['google', 'outlook'], { error: 'must be google or outlook' }),
  auth_code: z.string().min(1).max(2048),
  state: z.string().min(1).max(4096),
  redirect_uri: z.url({ error: 'must be a URL' }).max(2048).optional(),
});

const connectionSchema = z.object({
  id: z.uuid(),
  provider: z.string(),
  status: z.enum(['active', 'needs_reauth', 'disconnected']),
  calendar_id: z.string(),
  connected_by: z.uuid().nullable(),
  last_synced_at: z.string().nullable(),
  last_error: z.string().nullable(),
  created_at: z.string(),
  run: runRefSchema.nullable(),
});

const connectionDto = (c: CalendarConnection, run: RunRef | null = null) => ({
  id: c.id,
  provider: c.provider,
  status: c.status,
  calendar_id: c.calendarId,
  connected_by: c.user?.id ?? null,
  last_synced_at: c.lastSyncedAt?.toISOString() ?? null,
  last_error: c.lastError ?? null,
  created_at: c.createdAt.toISOString(),
  run,
});

const outlookLater = () => notImplemented('Outlook calendars are not supported yet; connect a Google calendar');

function googleSettings(ctx: AppContext) {
  const google = ctx.deps.config.google;
  if (!googleConfigured(google)) throw notImplemented('Google Calendar is not set up on this server: its operator sets GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET');
  return google;
}

interface OAuthState {
  tenant: string;
  user: string;
  provider: string;
  redirect: string;
}

/** The OAuth `state`: signed, expiring, and tied to the user who asked, so a callback cannot be replayed by anyone else. */
function signState(ctx: AppContext, caller: Caller, provider: string, redirect: string): string {
  const claims: OAuthState = { tenant: caller.tenantId, user: caller.userId, provider, redirect };
  return jwt.sign(claims, ctx.deps.config.auth.jwtSecret, { audience: STATE_AUDIENCE, expiresIn: STATE_TTL });
}

function readState(ctx: AppContext, caller: Caller, state: string, provider: string): OAuthState {
  const bad = (message: string) => validationError('Invalid OAuth callback', [{ field: 'body.state', message, code: 'invalid_state' }]);
  let claims: OAuthState;
  try {
    claims = jwt.verify(state, ctx.deps.config.auth.jwtSecret, { audience: STATE_AUDIENCE }) as OAuthState;
  } catch (err) {
    throw bad(err instanceof jwt.TokenExpiredError ? 'has expired: start again with POST /calendar/auth/{provider}' : 'is not one this server issued');
  }
  if (claims.tenant !== caller.tenantId || claims.user !== caller.userId) throw bad('was issued to another user');
  if (claims.provider !== provider) throw bad(`was issued for ${claims.provider}`);
  return claims;
}

async function findConnection(ctx: AppContext, id: string): Promise<CalendarConnection> {
  const c = await ctx.state.em.findOne(CalendarConnectionSchema, { id, status: { $ne: 'disconnected' } });
  if (!c) throw notFound('Calendar connection');
  return c;
}

/** The sync run's input: every start of it, by row or by signal, begins the same way. */
const syncInput = (ctx: AppContext, tenantId: string, connectionId: string): CalendarSyncInput => ({ tenantId, connectionId, intervalMs: ctx.deps.config.google.syncIntervalMs });

/** Signals the connection's run, starting one if none is open (Signal-With-Start). */
async function signalSync(ctx: AppContext, c: CalendarConnection, signal: typeof syncNowSignal | typeof disconnectSignal): Promise<RunRef> {
  const handle = await ctx.deps.temporal.workflow.signalWithStart(calendarSyncKind.workflowType, {
    workflowId: calendarSyncWorkflowId(c.id),
    taskQueue: ctx.deps.config.temporal.taskQueue,
    args: [syncInput(ctx, c.tenant.id, c.id)],
    signal,
    ...runTags({ tenantId: c.tenant.id, requestId: ctx.state.requestId }, { type: calendarSyncKind.entityType, id: c.id }),
  });
  return { workflow_id: handle.workflowId, run_id: handle.signaledRunId, status: 'running' };
}

/**
 * A change to the tenant's events goes to its connected calendar now rather than at the
 * next scheduled pass. Best effort: a lost signal only waits for that pass.
 */
export async function nudgeCalendarSync(ctx: AppContext): Promise<void> {
  const c = await ctx.state.em.findOne(CalendarConnectionSchema, { status: 'active' }, { fields: ['id'] });
  if (!c) return;
  await ctx.deps.temporal.workflow
    .getHandle(calendarSyncWorkflowId(c.id))
    .signal(syncNowSignal)
    .catch((err: unknown) => ctx.state.log.warn({ err: err instanceof Error ? err.message : String(err), connectionId: c.id }, 'calendar sync not nudged; the next pass takes the change'));
}

export const calendarConnectionRoutes: RouteDef[] = [
  // Before /calendar/auth/:provider, which would otherwise take `callback` for a provider.
  route({
    method: 'post',
    path: '/calendar/auth/callback',
    roles: [...CONNECTORS],
    tag: 'calendar',
    summary: "Finish connecting: trade the consent screen's code (with its state) for tokens, stored encrypted, and start the connection's sync (`calendar-sync-<id>`)",
    body: callbackBody,
    status: 201,
    response: dataSchema(connectionSchema),
    handler: async (ctx, { body, caller }) => {
      if (body.provider === 'outlook') throw outlookLater();
      const google = googleSettings(ctx);
      const state = readState(ctx, caller, body.state, body.provider);
      if (body.redirect_uri && body.redirect_uri !== state.redirect) {
        throw validationError('Invalid OAuth callback', [{ field: 'body.redirect_uri', message: 'must be the redirect_uri the consent screen was opened with', code: 'mismatch' }]);
      }
      // The code goes to Google from here, not through a workflow: it is a secret, and a
      // workflow's input is kept in its history for anyone with access to Temporal to read.
      let tokens;
      try {
        tokens = await exchangeCode(google, body.auth_code, state.redirect);
      } catch (err) {
        if (err instanceof ProviderError && !err.retryable) throw validationError('Google refused the authorization code', [{ field: 'body.auth_code', message: 'was refused by Google (used already, expired, or for another redirect_uri)', code: 'refused' }]);
        ctx.state.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'Google token exchange failed');
        throw serviceUnavailable('Could not reach Google to finish connecting; try again');
      }
      const em = ctx.state.em;
      const { secrets } = ctx.deps;
      const existing = await em.findOne(CalendarConnectionSchema, { provider: 'google' });
      const c =
        existing ??
        em.create(CalendarConnectionSchema, { tenant: caller.tenantId, provider: 'google' });
      Object.assign(c, {
        user: caller.userId,
        status: 'active' as const,
        accessTokenSealed: secrets.seal(tokens.accessToken),
        // Google sends a refresh token with each consent (prompt=consent); keep the old one if not.
        refreshTokenSealed: tokens.refreshToken ? secrets.seal(tokens.refreshToken) : (c.refreshTokenSealed ?? null),
        accessTokenExpiresAt: tokens.expiresAt,
        scope: tokens.scope,
        syncToken: null,
        lastError: null,
      });
      const start = queueWorkflowStart(em, calendarSyncStartRequest(syncInput(ctx, caller.tenantId, c.id), { requestId: ctx.state.requestId, rerun: true }));
      await em.flush();
      let run = await startOrDefer(ctx, start);
      // Connected again while its run was open: that run does a pass now, with the new tokens.
      if (existing && run.status === 'running') run = await signalSync(ctx, c, syncNowSignal).catch(() => run);
      return one(connectionDto(c, run));
    },
  }),

  route({
    method: 'post',
    path: '/calendar/auth/:provider',
    roles: [...CONNECTORS],
    tag: 'calendar',
    summary: "Start connecting a calendar: the provider's consent screen address (offline access, the calendar scope, a signed state that expires in 15 minutes); Outlook answers 501",
    params: providerParam,
    body: authBody,
    response: dataSchema(z.object({ auth_url: z.string(), provider: z.string() })),
    handler: async (ctx, { params, body, caller }) => {
      if (params.provider === 'outlook') throw outlookLater();
      const google = googleSettings(ctx);
      const redirect = body?.redirect_uri ?? google.redirectUri;
      if (!redirect) throw validationError('Invalid request', [{ field: 'body.redirect_uri', message: 'is required (or set GOOGLE_REDIRECT_URI on the server)', code: 'required' }]);
      return one({ auth_url: authUrl(google, { redirectUri: redirect, state: signState(ctx, caller, params.provider, redirect) }), provider: params.provider });
    },
  }),

  route({
    method: 'get',
    path: '/calendar/connections',
    tag: 'calendar',
    summary: "The tenant's calendar connections (tokens are never shown)",
    response: z.object({ data: z.array(connectionSchema), pagination: paginationSchema }),
    handler: async (ctx) => {
      const rows = await ctx.state.em.find(CalendarConnectionSchema, { status: { $ne: 'disconnected' } }, { orderBy: { createdAt: 'asc' } });
      return wholeList(rows.map((c) => connectionDto(c)));
    },
  }),

  route({
    method: 'get',
    path: '/calendar/connections/:id',
    tag: 'calendar',
    summary: 'One calendar connection',
    params: connectionParams,
    response: dataSchema(connectionSchema),
    handler: async (ctx, { params }) => one(connectionDto(await findConnection(ctx, params.id))),
  }),

  route({
    method: 'delete',
    path: '/calendar/connections/:id',
    roles: [...CONNECTORS],
    tag: 'calendar',
    summary: "Disconnect a calendar: its sync stops at once, the grant is revoked at the provider and the tokens forgotten; synced events stay",
    params: connectionParams,
    status: 204,
    handler: async (ctx, { params }) => {
      const c = await findConnection(ctx, params.id);
      c.status = 'disconnected';
      await ctx.state.em.flush();
      try {
        await signalSync(ctx, c, disconnectSignal);
      } catch (err) {
        ctx.state.log.warn({ err: err instanceof Error ? err.message : String(err), connectionId: c.id }, 'calendar disconnect not signalled; the grant is revoked when its run next wakes');
      }
      ctx.status = 204;
      return undefined;
    },
  }),

  route({
    method: 'post',
    path: '/calendar/sync/:provider',
    tag: 'calendar',
    summary: 'Sync the connected calendar now (pull, then push); progress is the run\'s (GET /runs/{workflow_id})',
    params: providerParam,
    status: 202,
    response: dataSchema(z.object({ connection_id: z.uuid(), run: runRefSchema })),
    handler: async (ctx, { params }) => {
      if (params.provider === 'outlook') throw outlookLater();
      const c = await ctx.state.em.findOne(CalendarConnectionSchema, { provider: params.provider, status: { $ne: 'disconnected' } });
      if (!c) throw notFound('Google calendar connection');
      if (c.status === 'needs_reauth') throw conflict('Google access was revoked or expired: connect the calendar again (POST /calendar/auth/google)', { status: c.status });
      return one({ connection_id: c.id, run: await signalSync(ctx, c, syncNowSignal) });
    },
  }),
];
