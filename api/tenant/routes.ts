import { z } from 'zod';
import { TenantSchema, type Tenant } from '../../entities/Tenant.ts';
import { systemEm } from '../../lib/db.ts';
import { pgArray } from '../../lib/pgArray.ts';
import { duplicate, forbidden, serviceUnavailable, validationError } from '../../lib/errors.ts';
import { HH_MM } from '../../lib/quietHours.ts';
import { periodsProblem, WEEKDAYS, type Weekday, type WorkingHours } from '../../lib/availability.ts';
import { isTimeZone } from '../../lib/reminderTime.ts';
import { startPhoneNumberCheck } from '../../workflows/checkPhoneNumbers.client.ts';
import { fetchTwilioAccount } from '../../providers/twilio/account.ts';
import { ProviderError } from '../../providers/errors.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { phoneField } from '../validation.ts';
import { startContext } from '../startContext.ts';
import type { AppContext } from '../context.ts';

const NUMBER_CHECK_DEADLINE_MS = 20_000;
/** How long Twilio may take to say whether an account SID and token go together. */
const ACCOUNT_CHECK_TIMEOUT_MS = 10_000;

const tenantSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  timezone: z.string(),
  phone_numbers: z.array(z.string()),
  quiet_hours: z.object({ start: z.string(), end: z.string() }).nullable(),
  working_hours: z.object(Object.fromEntries(WEEKDAYS.map((d) => [d, z.array(z.object({ start: z.string(), end: z.string() }))])) as Record<Weekday, z.ZodArray<z.ZodObject<{ start: z.ZodString; end: z.ZodString }>>>),
  /** The tenant's own Twilio account (its auth token is never returned); null: the platform's. */
  twilio: z.object({ account_sid: z.string(), connected: z.boolean() }).nullable(),
  onboarded_at: z.string().nullable(),
  created_at: z.string(),
});

const timeOfDay = z.string().regex(HH_MM, 'must be a time of day, HH:MM (24 h)');

/** A weekday's periods: HH:MM to HH:MM (24:00 ends the day), in order of the day, not overlapping. */
const dayPeriods = z
  .array(z.strictObject({ start: timeOfDay, end: z.union([timeOfDay, z.literal('24:00')]) }))
  .max(6)
  .superRefine((periods, ctx) => {
    const problem = periodsProblem(periods);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const workingHoursBody = z.strictObject(Object.fromEntries(WEEKDAYS.map((d) => [d, dayPeriods.optional()])) as Record<Weekday, z.ZodOptional<typeof dayPeriods>>);

const updateTenantBody = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  timezone: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Berlin').optional(),
  /** Numbers that route inbound SMS and calls to this tenant. */
  phone_numbers: z
    .array(phoneField)
    .max(20)
    .optional(),
  /** Non-urgent texts wait out these hours in the recipient's zone; null turns them off. */
  quiet_hours: z.strictObject({ start: timeOfDay, end: timeOfDay }).nullable().optional(),
  /** When appointments can be booked, per weekday, in the tenant's zone; the days given replace those days ([] for closed). */
  working_hours: workingHoursBody.optional(),
});

const twilioBody = z.strictObject({
  account_sid: z.string().regex(/^AC[0-9a-f]{32}$/, 'must be a Twilio account SID (AC followed by 32 hex characters)'),
  auth_token: z.string().min(16, 'must be a Twilio auth token').max(128),
});

const tenantDto = (t: Tenant) => ({
  id: t.id,
  name: t.name,
  timezone: t.timezone,
  phone_numbers: t.phoneNumbers,
  quiet_hours: t.quietHours ?? null,
  working_hours: t.workingHours,
  twilio: t.twilioAccountSid ? { account_sid: t.twilioAccountSid, connected: Boolean(t.twilioAuthTokenSealed) } : null,
  onboarded_at: t.onboardedAt?.toISOString() ?? null,
  created_at: t.createdAt.toISOString(),
});

/** The platform has a Twilio account (a token alone still verifies inbound webhooks): its numbers are an operator's to give. */
const platformTwilio = (ctx: AppContext) => Boolean(ctx.deps.config.twilio.accountSid || ctx.deps.config.twilio.authToken);

/**
 * A number may join a tenant only when it is the tenant's to have: in the tenant's own
 * Twilio account (asked of Twilio by a workflow, with the stored credentials), or given by a
 * platform operator on the platform's account (npm run assign-number). With no Twilio at
 * all (the local sink) nothing can be received from outside, so any number is allowed.
 */
async function checkClaim(ctx: AppContext, tenant: Tenant, added: string[]) {
  if (!added.length) return;
  if (!tenant.twilioAccountSid) {
    if (!platformTwilio(ctx)) return;
    throw forbidden(`Numbers on the platform's Twilio account are assigned by a platform operator (npm run assign-number -- ${tenant.id} <number>), or connect your own Twilio account (PUT /tenant/twilio)`);
  }
  const run = await startPhoneNumberCheck(startContext(ctx, tenant.id), added);
  let owned: string[];
  try {
    owned = await ctx.deps.temporal.connection.withDeadline(Date.now() + NUMBER_CHECK_DEADLINE_MS, () =>
      ctx.deps.temporal.workflow.getHandle(run.workflow_id, run.run_id ?? undefined).result(),
    );
  } catch (err) {
    ctx.state.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'phone number check did not finish');
    throw serviceUnavailable('Could not ask Twilio which numbers your account has; try again shortly');
  }
  const missing = added.filter((n) => !owned.includes(n));
  if (missing.length) {
    throw validationError('A number is not in your Twilio account', missing.map((n) => ({ field: 'body.phone_numbers', message: `${n} is not one of your Twilio account's numbers`, code: 'not_owned' })));
  }
}

/**
 * Asks Twilio (its Account resource, with these credentials) whether the SID and token are
 * an account's and the account is active, before anything is stored: an account SID is no
 * secret, and one connected unchecked would keep its real owner from connecting it (409).
 * Like an integration's credentials test, the API asks while the admin waits.
 */
async function verifyTwilioAccount(ctx: AppContext, accountSid: string, authToken: string) {
  let status: string;
  try {
    ({ status } = await fetchTwilioAccount({ accountSid, authToken, apiUrl: ctx.deps.config.twilio.apiUrl, timeoutMs: ACCOUNT_CHECK_TIMEOUT_MS }));
  } catch (err) {
    if (err instanceof ProviderError && (err.kind === 'auth' || err.kind === 'rejected')) {
      throw validationError('Twilio refused these credentials', [{ field: 'body.auth_token', message: 'Twilio does not accept this auth token for this account SID', code: 'refused' }]);
    }
    ctx.state.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'Twilio account check did not answer');
    throw serviceUnavailable('Could not reach Twilio to check the account; try again shortly');
  }
  if (status !== 'active') throw validationError('The Twilio account is not active', [{ field: 'body.account_sid', message: `Twilio says this account is ${status}`, code: 'inactive' }]);
}

/** How long the account connected before may still report on the texts it sent. */
const PREVIOUS_ACCOUNT_REPORTS_MS = 3 * 86_400_000;

/**
 * Keeps the account being replaced (or disconnected) for its status callbacks: texts it
 * sent are still reported on, signed with its token, after the switch.
 */
function keepAsPrevious(tenant: Tenant) {
  if (!tenant.twilioAccountSid || !tenant.twilioAuthTokenSealed) return;
  tenant.twilioPreviousAccountSid = tenant.twilioAccountSid;
  tenant.twilioPreviousAuthTokenSealed = tenant.twilioAuthTokenSealed;
  tenant.twilioPreviousUntil = new Date(Date.now() + PREVIOUS_ACCOUNT_REPORTS_MS);
}

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
    summary: "Change the tenant's name, time zone, inbound phone numbers, quiet hours or working hours (admins)",
    roles: ['admin'],
    body: updateTenantBody,
    response: dataSchema(tenantSchema),
    handler: async (ctx, { body, caller }) => {
      const em = ctx.state.em;
      const tenant = await em.findOneOrFail(TenantSchema, caller.tenantId);
      let unverifiedHolders: Tenant[] = [];
      if (body.phone_numbers?.length) {
        // A number routes to one tenant only: inbound webhooks find the tenant by it.
        const holders = await systemEm(ctx.deps.orm).find(TenantSchema, { id: { $ne: tenant.id }, phoneNumbers: { $overlap: body.phone_numbers } });
        // Held on the local sink (no Twilio of its own, none on the platform: nobody checked it
        // was theirs), a number yields to a tenant whose own Twilio account has it, checked
        // below; otherwise anyone could keep a business from its own number.
        const yields = (h: Tenant) => Boolean(tenant.twilioAccountSid) && !h.twilioAccountSid && !platformTwilio(ctx);
        if (!holders.every(yields)) throw duplicate('A phone number is already used by another account', { field: 'phone_numbers' });
        await checkClaim(ctx, tenant, body.phone_numbers.filter((n) => !tenant.phoneNumbers.includes(n)));
        unverifiedHolders = holders;
      }
      if (body.quiet_hours !== undefined) tenant.quietHours = body.quiet_hours;
      if (body.working_hours) tenant.workingHours = { ...tenant.workingHours, ...(Object.fromEntries(Object.entries(body.working_hours).filter(([, periods]) => periods)) as Partial<WorkingHours>) };
      if (body.name !== undefined) tenant.name = body.name;
      if (body.timezone !== undefined) tenant.timezone = body.timezone;
      if (body.phone_numbers !== undefined) tenant.phoneNumbers = [...new Set(body.phone_numbers)];
      // With the numbers it takes over, in one transaction.
      await em.begin();
      try {
        if (unverifiedHolders.length) {
          const from = unverifiedHolders.map((h) => h.id);
          await em.execute(`update tenant set phone_numbers = array(select n from unnest(phone_numbers) n where n <> all(?::text[])), updated_at = now() where id = any(?::uuid[])`, [pgArray(tenant.phoneNumbers), pgArray(from)]);
          ctx.state.log.info({ from_tenants: from }, 'phone numbers held unchecked given to the tenant whose Twilio account has them');
        }
        await em.commit();
      } finally {
        if (em.isInTransaction()) await em.rollback();
      }
      return one(tenantDto(tenant));
    },
  }),
  route({
    method: 'put',
    path: '/tenant/twilio',
    tag: 'tenant',
    summary: "Connect the tenant's own Twilio account, once Twilio accepts the SID and auth token (422 when it refuses them or the account is not active; the token is stored encrypted and never returned); texts then go out through it",
    roles: ['admin'],
    body: twilioBody,
    response: dataSchema(tenantSchema),
    handler: async (ctx, { body, caller }) => {
      const em = ctx.state.em;
      const tenant = await em.findOneOrFail(TenantSchema, caller.tenantId);
      // The platform's own account is not a tenant's to claim: its webhooks would be checked against this token.
      if (body.account_sid === ctx.deps.config.twilio.accountSid) throw duplicate("This is the platform's Twilio account; a tenant connects its own", { field: 'account_sid' });
      const taken = await systemEm(ctx.deps.orm).findOne(TenantSchema, { id: { $ne: tenant.id }, twilioAccountSid: body.account_sid });
      if (taken) throw duplicate('This Twilio account is connected to another tenant', { field: 'account_sid' });
      await verifyTwilioAccount(ctx, body.account_sid, body.auth_token);
      if (tenant.twilioAccountSid !== body.account_sid) {
        // Numbers came from the previous account (or the platform's): claim them again from this one.
        tenant.phoneNumbers = [];
        keepAsPrevious(tenant);
      }
      tenant.twilioAccountSid = body.account_sid;
      tenant.twilioAuthTokenSealed = ctx.deps.secrets.seal(body.auth_token);
      await em.flush();
      return one(tenantDto(tenant));
    },
  }),
  route({
    method: 'delete',
    path: '/tenant/twilio',
    tag: 'tenant',
    summary: "Disconnect the tenant's own Twilio account (its numbers are released; texts go through the platform's account)",
    roles: ['admin'],
    response: dataSchema(tenantSchema),
    handler: async (ctx, { caller }) => {
      const em = ctx.state.em;
      const tenant = await em.findOneOrFail(TenantSchema, caller.tenantId);
      if (tenant.twilioAccountSid) tenant.phoneNumbers = [];
      keepAsPrevious(tenant);
      tenant.twilioAccountSid = null;
      tenant.twilioAuthTokenSealed = null;
      await em.flush();
      return one(tenantDto(tenant));
    },
  }),
];
