import { systemEm } from '../../lib/db.ts';
import { AppError, forbidden } from '../../lib/errors.ts';
import { isValidTwilioSignature } from '../../providers/twilio/signature.ts';
import { TenantSchema, type Tenant } from '../../entities/Tenant.ts';
import type { AppContext } from '../context.ts';

/** This server as Twilio reaches it: the public base URL when behind a proxy, else what this server saw. */
export function twilioFacingBase(ctx: AppContext): string {
  // Koa 3's ctx.origin is the Origin request header, not this server's origin.
  return (ctx.deps.config.http.publicBaseUrl ?? `${ctx.protocol}://${ctx.host}`).replace(/\/$/, '');
}

/** The URL Twilio signed. */
const signedUrl = (ctx: AppContext) => `${twilioFacingBase(ctx)}${ctx.originalUrl}`;

/**
 * The auth token of the account a request claims to come from: a tenant's own, or the
 * platform's; with `previous`, also an account a tenant connected before, for a while after
 * it switched (Twilio still reports on the texts that account sent).
 */
async function tokenOf(ctx: AppContext, accountSid: string | undefined, previous: boolean): Promise<{ authToken: string; tenant: Tenant | null } | null> {
  const platform = ctx.deps.config.twilio;
  // Requests without an AccountSid, and the platform's own, are checked with the platform's token, whatever a tenant row says.
  const platformAccount = !accountSid || accountSid === platform.accountSid;
  if (!platformAccount) {
    const tenants = systemEm(ctx.deps.orm);
    const tenant = await tenants.findOne(TenantSchema, { twilioAccountSid: accountSid });
    if (tenant?.twilioAuthTokenSealed) return { authToken: ctx.deps.secrets.open(tenant.twilioAuthTokenSealed), tenant };
    const before = previous ? await tenants.findOne(TenantSchema, { twilioPreviousAccountSid: accountSid, twilioPreviousUntil: { $gt: new Date() } }) : null;
    if (before?.twilioPreviousAuthTokenSealed) return { authToken: ctx.deps.secrets.open(before.twilioPreviousAuthTokenSealed), tenant: before };
  }
  if (platform.authToken && (platformAccount || !platform.accountSid)) return { authToken: platform.authToken, tenant: null };
  return null;
}

/**
 * Checks a Twilio webhook against the account it names (`AccountSid`): a tenant's own
 * Twilio account, or the platform's. Nothing is read or stored before this passes, so a
 * forged request learns nothing. Returns the form and, for a tenant's own account, the tenant.
 */
export async function verifyTwilioRequest(
  ctx: AppContext,
  /** `previousAccounts`: a status callback, which an account a tenant switched away from may still send. */
  opts: { previousAccounts?: boolean } = {},
): Promise<{ params: Record<string, unknown>; accountTenant: Tenant | null; accountSid: string | null }> {
  const params = (ctx.request.body ?? {}) as Record<string, unknown>;
  const accountSid = typeof params.AccountSid === 'string' ? params.AccountSid : undefined;
  const account = await tokenOf(ctx, accountSid, opts.previousAccounts ?? false);
  if (!account) {
    if (!ctx.deps.config.twilio.authToken && !accountSid) throw new AppError('FORBIDDEN', 403, 'Twilio webhooks are not configured (TWILIO_AUTH_TOKEN)');
    throw forbidden('Unknown Twilio account');
  }
  if (!isValidTwilioSignature(account.authToken, ctx.get('X-Twilio-Signature') || undefined, signedUrl(ctx), params)) throw forbidden('Invalid Twilio signature');
  return { params, accountTenant: account.tenant, accountSid: accountSid ?? ctx.deps.config.twilio.accountSid ?? null };
}
