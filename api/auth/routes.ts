import { z } from 'zod';
import { sql } from '@mikro-orm/core';
import { CROSS_TENANT, systemEm } from '../../lib/db.ts';
import { duplicate, invalidToken, unauthorized } from '../../lib/errors.ts';
import { TenantSchema } from '../../entities/Tenant.ts';
import { UserSchema } from '../../entities/User.ts';
import { onboardingStartRequest } from '../../workflows/onboardTenant.client.ts';
import { queueWorkflowStart } from '../../entities/WorkflowStart.ts';
import { startOrDefer } from '../startWork.ts';
import { dataSchema, one, publicRoute, route, type RouteDef } from '../routing.ts';
import type { AppContext } from '../context.ts';
import { decoyHash, hashPassword, verifyPassword } from './passwords.ts';
import { issueTokens, revokeTokens, rotateRefreshToken } from './tokens.ts';
import { loginBody, logoutBody, refreshBody, registerBody, sessionSchema, tokenPairSchema, userSchema } from './schema.ts';
import { splitName, userDto } from './serialize.ts';
import { loginGuard } from '../middleware/rateLimit.ts';

const runSchema = z.object({ workflow_id: z.string(), run_id: z.string().nullable(), status: z.string() });

const bearerToken = (ctx: AppContext) => /^Bearer\s+(.+)$/i.exec(ctx.get('Authorization'))?.[1];

export const authRoutes: RouteDef[] = [
  publicRoute({
    method: 'post',
    path: '/auth/register',
    tag: 'auth',
    summary: 'Create a tenant and its first user (admin); returns a session',
    body: registerBody,
    status: 201,
    response: dataSchema(sessionSchema.extend({ tenant: z.object({ id: z.uuid(), name: z.string() }), run: runSchema })),
    handler: async (ctx, { body }) => {
      const em = systemEm(ctx.deps.orm);
      const taken = await em.count(UserSchema, { email: body.email }, CROSS_TENANT);
      if (taken) throw duplicate('An account with this email already exists', { field: 'email' });
      const { firstName, lastName } = splitName(body.full_name, body.first_name, body.last_name);
      const passwordHash = await hashPassword(body.password);
      const session = await em.transactional(async (tx) => {
        const tenantName = body.tenant_name ?? body.company_name ?? `${firstName ?? body.email.split('@')[0]}'s workspace`;
        const tenant = tx.create(TenantSchema, { name: tenantName });
        const user = tx.create(UserSchema, {
          tenant,
          email: body.email,
          passwordHash,
          firstName,
          lastName,
          phone: body.phone ?? null,
          role: 'admin',
          lastLoginAt: new Date(),
        });
        const tokens = issueTokens(tx, user, tenant.id, ctx.deps.config.auth);
        // Onboarding is owed from the moment the tenant exists: committed together, started
        // now, or by the outbox relay if Temporal is down (the account works meanwhile).
        const start = queueWorkflowStart(tx, onboardingStartRequest(tenant.id, ctx.state.requestId));
        return { tenant, user, tokens, start };
      });
      const run = await startOrDefer(ctx, session.start);
      return one({
        ...session.tokens,
        user: userDto(session.user),
        tenant: { id: session.tenant.id, name: session.tenant.name },
        run,
      });
    },
  }),

  publicRoute({
    method: 'post',
    path: '/auth/login',
    tag: 'auth',
    summary: 'Exchange email and password for an access token and a refresh token',
    body: loginBody,
    response: sessionSchema,
    handler: async (ctx, { body }) => {
      const guard = loginGuard(ctx.deps.limiters.loginFailures);
      await guard.check(body.email);
      const em = systemEm(ctx.deps.orm);
      const user = await em.findOne(UserSchema, { email: body.email }, { ...CROSS_TENANT, populate: ['passwordHash'] });
      // Verify against a decoy when the user is unknown so both paths take the same time.
      const ok = await verifyPassword(user?.passwordHash ?? (await decoyHash()), body.password);
      if (!user || !ok || !user.isActive) {
        await guard.failed(body.email);
        throw unauthorized('Email or password is incorrect');
      }
      await guard.succeeded(body.email);
      user.lastLoginAt = new Date();
      const tokens = issueTokens(em, user, user.tenant.id, ctx.deps.config.auth);
      await em.flush();
      return { ...tokens, user: userDto(user) };
    },
  }),

  publicRoute({
    method: 'post',
    path: '/auth/refresh',
    tag: 'auth',
    summary: 'Rotate a refresh token (body, or as the Bearer token) into a new pair; reuse revokes the family',
    body: refreshBody,
    response: tokenPairSchema,
    handler: async (ctx, { body }) => {
      const presented = body.refresh_token ?? bearerToken(ctx);
      if (!presented) throw invalidToken('A refresh token is required');
      const em = systemEm(ctx.deps.orm);
      const { pair } = await rotateRefreshToken(em, presented, ctx.deps.config.auth);
      return pair;
    },
  }),

  route({
    method: 'post',
    path: '/auth/logout',
    tag: 'auth',
    summary: 'Revoke the given refresh token, or (without one) every session of the caller, access tokens included',
    body: logoutBody,
    response: z.object({ data: z.object({ revoked: z.number().int() }) }),
    handler: async (ctx, { body, caller }) => {
      const revoked = await revokeTokens(systemEm(ctx.deps.orm), caller.userId, body.refresh_token);
      // Logging out everywhere also ends the access tokens already handed out.
      if (!body.refresh_token) await ctx.state.em.nativeUpdate(UserSchema, { id: caller.userId }, { tokenVersion: sql`token_version + 1` });
      return one({ revoked });
    },
  }),

  route({
    method: 'get',
    path: '/auth/me',
    tag: 'auth',
    summary: 'The caller and their tenant',
    response: dataSchema(userSchema.extend({ tenant: z.object({ id: z.uuid(), name: z.string() }) })),
    handler: async (ctx, { caller }) => {
      const user = await ctx.state.em.findOneOrFail(UserSchema, caller.userId, { populate: ['tenant'] });
      return one({ ...userDto(user), tenant: { id: user.tenant.id, name: user.tenant.name } });
    },
  }),
];
