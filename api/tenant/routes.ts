import { z } from 'zod';
import { TenantSchema, type Tenant } from '../../entities/Tenant.ts';
import { systemEm } from '../../lib/db.ts';
import { duplicate } from '../../lib/errors.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { phoneField } from '../validation.ts';

const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const tenantSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  timezone: z.string(),
  phone_numbers: z.array(z.string()),
  onboarded_at: z.string().nullable(),
  created_at: z.string(),
});

const updateTenantBody = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  timezone: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Berlin').optional(),
  /** Numbers that route inbound SMS and calls to this tenant. */
  phone_numbers: z
    .array(phoneField)
    .max(20)
    .optional(),
});

const tenantDto = (t: Tenant) => ({
  id: t.id,
  name: t.name,
  timezone: t.timezone,
  phone_numbers: t.phoneNumbers,
  onboarded_at: t.onboardedAt?.toISOString() ?? null,
  created_at: t.createdAt.toISOString(),
});

export const tenantRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/tenant',
    tag: 'tenant',
    summary: "The caller's tenant and its settings",
    response: dataSchema(tenantSchema),
    handler: async (ctx, { caller }) => one(tenantDto(await ctx.state.em.findOneOrFail(TenantSchema, caller.tenantId))),
  }),
  route({
    method: 'patch',
    path: '/tenant',
    tag: 'tenant',
    summary: "Change the tenant's name, time zone or inbound phone numbers (admins)",
    roles: ['admin'],
    body: updateTenantBody,
    response: dataSchema(tenantSchema),
    handler: async (ctx, { body, caller }) => {
      const em = ctx.state.em;
      const tenant = await em.findOneOrFail(TenantSchema, caller.tenantId);
      if (body.phone_numbers?.length) {
        // A number routes to one tenant only: inbound webhooks find the tenant by it.
        const taken = await systemEm(ctx.deps.orm).findOne(TenantSchema, { id: { $ne: tenant.id }, phoneNumbers: { $overlap: body.phone_numbers } });
        if (taken) throw duplicate('A phone number is already used by another account', { field: 'phone_numbers' });
      }
      if (body.name !== undefined) tenant.name = body.name;
      if (body.timezone !== undefined) tenant.timezone = body.timezone;
      if (body.phone_numbers !== undefined) tenant.phoneNumbers = [...new Set(body.phone_numbers)];
      await em.flush();
      return one(tenantDto(tenant));
    },
  }),
];
