import { CROSS_TENANT } from '../../lib/db.ts';
import { z } from 'zod';
import { UserSchema, type User } from '../../entities/User.ts';
import type { FilterQuery } from '@mikro-orm/core';
import { conflict, duplicate, notFound } from '../../lib/errors.ts';
import { listPage, paginationSchema } from '../pagination.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { hashPassword } from '../auth/passwords.ts';
import { userSchema } from '../auth/schema.ts';
import { userDto } from '../auth/serialize.ts';
import { revokeTokens } from '../auth/tokens.ts';
import { createUserBody, updateUserBody, userListQuery, userParams } from './schema.ts';

const SORT_COLUMNS = { created_at: 'createdAt', email: 'email' } as const;

/** Tenant admins manage their team; every route here is admin-only. */
export const userRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/users',
    tag: 'users',
    summary: "List the tenant's users",
    roles: ['admin'],
    query: userListQuery,
    response: z.object({ data: z.array(userSchema), pagination: paginationSchema }),
    handler: async (ctx, { query }) => {
      const where: FilterQuery<User> = query.role ? { role: query.role } : {};
      return listPage(ctx.state.em, UserSchema, where, query, SORT_COLUMNS, userDto);
    },
  }),

  route({
    method: 'post',
    answerWithWork: true,
    path: '/users',
    tag: 'users',
    summary: 'Add a user to the tenant',
    roles: ['admin'],
    body: createUserBody,
    status: 201,
    response: dataSchema(userSchema),
    handler: async (ctx, { body, caller }) => {
      const em = ctx.state.em;
      if (await em.count(UserSchema, { email: body.email }, CROSS_TENANT)) {
        throw duplicate('An account with this email already exists', { field: 'email' });
      }
      const user = em.create(UserSchema, {
        tenant: caller.tenantId,
        email: body.email,
        passwordHash: await hashPassword(body.password),
        firstName: body.first_name ?? null,
        lastName: body.last_name ?? null,
        phone: body.phone ?? null,
        role: body.role,
      });
      await em.flush();
      return one(userDto(user));
    },
  }),

  route({
    method: 'get',
    path: '/users/:id',
    tag: 'users',
    summary: 'Get a user',
    roles: ['admin'],
    params: userParams,
    response: dataSchema(userSchema),
    handler: async (ctx, { params }) => {
      const user = await ctx.state.em.findOne(UserSchema, params.id);
      if (!user) throw notFound('User');
      return one(userDto(user));
    },
  }),

  route({
    method: 'patch',
    path: '/users/:id',
    tag: 'users',
    summary: "Change a user's names, role or active flag",
    roles: ['admin'],
    params: userParams,
    body: updateUserBody,
    response: dataSchema(userSchema),
    handler: async (ctx, { params, body, caller }) => {
      const em = ctx.state.em;
      const user = await em.findOne(UserSchema, params.id);
      if (!user) throw notFound('User');
      // An admin cannot lock themselves (and possibly the tenant) out.
      if (user.id === caller.userId && (body.role !== undefined && body.role !== 'admin' || body.is_active === false)) {
        throw conflict('You cannot demote or deactivate yourself');
      }
      if (body.first_name !== undefined) user.firstName = body.first_name;
      if (body.last_name !== undefined) user.lastName = body.last_name;
      if (body.phone !== undefined) user.phone = body.phone;
      // A role change or a deactivation ends the user's access tokens now, not in an hour.
      if ((body.role !== undefined && body.role !== user.role) || (body.is_active === false && user.isActive)) user.tokenVersion += 1;
      if (body.role !== undefined) user.role = body.role;
      if (body.is_active !== undefined) user.isActive = body.is_active;
      await em.flush();
      if (body.is_active === false) await revokeTokens(em, user.id);
      return one(userDto(user));
    },
  }),
];
