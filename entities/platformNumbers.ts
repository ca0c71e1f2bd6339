import { systemEm, type MikroORM } from '../lib/db.ts';
import { normalizePhone } from '../lib/phone.ts';
import { TenantSchema, type Tenant } from './Tenant.ts';

/**
 * A platform operator gives a number on the platform's Twilio account to a tenant
 * (`npm run assign-number`). Tenants cannot claim those numbers themselves (PATCH /tenant
 * refuses them): anyone could otherwise receive another business's texts. Assigning a
 * number the tenant already has changes nothing.
 */
export async function assignPlatformNumber(orm: MikroORM, tenantId: string, raw: string): Promise<Tenant> {
  const number = normalizePhone(raw);
  if (!number) throw new Error(`"${raw}" is not a phone number`);
  const em = systemEm(orm);
  const owner = await em.findOne(TenantSchema, { phoneNumbers: { $contains: [number] } });
  if (owner && owner.id !== tenantId) throw new Error(`${number} already belongs to tenant ${owner.id}`);
  const tenant = await em.findOne(TenantSchema, tenantId);
  if (!tenant) throw new Error(`no tenant ${tenantId}`);
  if (tenant.twilioAccountSid) throw new Error('this tenant sends through its own Twilio account: its numbers come from there');
  if (!tenant.phoneNumbers.includes(number)) tenant.phoneNumbers = [...tenant.phoneNumbers, number];
  await em.flush();
  return tenant;
}
