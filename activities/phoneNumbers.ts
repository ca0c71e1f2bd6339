import type { MikroORM } from '@mikro-orm/postgresql';
import { systemEm } from '../lib/db.ts';
import type { MessagingProviders } from '../providers/messaging/index.ts';
import { TenantSchema } from '../entities/Tenant.ts';

export function createPhoneNumberActivities(d: { orm: MikroORM; providers: MessagingProviders }) {
  return {
    /** The numbers the tenant's own Twilio account has (read-only, so safe to repeat). */
    async ownedPhoneNumbers(input: { tenantId: string; numbers: string[] }): Promise<string[]> {
      const tenant = await systemEm(d.orm).findOneOrFail(TenantSchema, input.tenantId);
      if (!tenant.twilioAccountSid) return [];
      const provider = d.providers.text(tenant);
      const owned: string[] = [];
      for (const n of input.numbers) if (await provider.ownsNumber(n)) owned.push(n);
      return owned;
    },
  };
}

export type PhoneNumberActivities = ReturnType<typeof createPhoneNumberActivities>;
