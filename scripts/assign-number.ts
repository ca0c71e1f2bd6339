/**
 * A platform operator gives a number on the platform's Twilio account to a tenant
 * (`npm run assign-number -- <tenantId> <+number>`). Tenants cannot claim those numbers
 * themselves: anyone could otherwise receive another business's texts.
 */
import { createOrm, systemEm } from '../lib/db.ts';
import { normalizePhone } from '../lib/phone.ts';
import { TenantSchema } from '../entities/Tenant.ts';

const [tenantId, raw] = process.argv.slice(2);
const number = normalizePhone(raw);
const url = process.env.DATABASE_URL;
if (!tenantId || !number || !url) {
  console.error('usage: DATABASE_URL=… npm run assign-number -- <tenantId> <phone number>');
  process.exit(2);
}
const orm = createOrm({ url });
try {
  const em = systemEm(orm);
  const owner = await em.findOne(TenantSchema, { phoneNumbers: { $contains: [number] } });
  if (owner && owner.id !== tenantId) throw new Error(`${number} already belongs to tenant ${owner.id}`);
  const tenant = await em.findOneOrFail(TenantSchema, tenantId);
  if (tenant.twilioAccountSid) throw new Error('this tenant sends through its own Twilio account: its numbers come from there');
  if (!tenant.phoneNumbers.includes(number)) tenant.phoneNumbers = [...tenant.phoneNumbers, number];
  await em.flush();
  console.log(`${number} → tenant ${tenant.id} (${tenant.name})`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  await orm.close();
}
