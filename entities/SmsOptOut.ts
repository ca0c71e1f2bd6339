import { defineEntity, type EntityManager, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';

/** The table's name, for the statement that writes it with an inbound STOP (api/sms/routes.ts). */
export const SMS_OPT_OUTS = 'sms_opt_outs';

/**
 * A number that texted STOP (or another opt-out keyword) to the tenant, kept until it texts
 * START. Consent belongs to the number that gave it: a flag on a contact alone was lost when
 * the contact's phone was changed or the contact deleted, and the number could be texted again.
 */
export const SmsOptOutSchema = defineEntity({
  name: 'SmsOptOut',
  tableName: SMS_OPT_OUTS,
  extends: TenantScopedSchema,
  uniques: [{ properties: ['tenant', 'phone'] }],
  // Every contact holding the number shows what the number said, not only the one STOP found:
  // START from the number lifts it for all of them (a contact left flagged would keep
  // refusing the number at every send).
  triggers: [
    {
      name: 'sms_opt_outs_mark_contacts',
      timing: 'after',
      events: ['insert'],
      forEach: 'row',
      body: 'update contact set sms_opt_out = true, updated_at = now() where tenant_id = new.tenant_id and phone = new.phone and not sms_opt_out; return null;',
    },
    {
      name: 'sms_opt_outs_clear_contacts',
      timing: 'after',
      events: ['delete'],
      forEach: 'row',
      body: 'update contact set sms_opt_out = false, updated_at = now() where tenant_id = old.tenant_id and phone = old.phone and sms_opt_out; return null;',
    },
  ],
  properties: {
    /** E.164, as Twilio gave it in `From` (without `whatsapp:`). */
    phone: p.string().length(32),
    /** The inbound message that said STOP. */
    messageId: p.uuid().nullable(),
  },
});

export type SmsOptOut = InferEntity<typeof SmsOptOutSchema>;

/** Whether this number said STOP to the tenant of `em` (its tenant filter) and not START since. */
export async function numberOptedOut(em: EntityManager, phone: string): Promise<boolean> {
  return (await em.count(SmsOptOutSchema, { phone })) > 0;
}
