/**
 * A platform operator gives a number on the platform's Twilio account to a tenant
 * (`npm run assign-number -- <tenantId> <+number>`). Tenants cannot claim those numbers
 * themselves: anyone could otherwise receive another business's texts.
 */
import { createOrm } from '../lib/db.ts';
import { assignPlatformNumber } from '../entities/platformNumbers.ts';

const [tenantId, number] = process.argv.slice(2);
const url = process.env.DATABASE_URL;
if (!tenantId || !number || !url) {
  console.error('usage: DATABASE_URL=… npm run assign-number -- <tenantId> <phone number>');
  process.exit(2);
}
const orm = createOrm({ url });
try {
  const tenant = await assignPlatformNumber(orm, tenantId, number);
  console.log(`${tenant.phoneNumbers.join(', ')} → tenant ${tenant.id} (${tenant.name})`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  await orm.close();
}
