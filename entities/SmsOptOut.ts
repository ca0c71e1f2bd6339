import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
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
  properties: {
    /** E.164, as Twilio gave it in `From` (without `whatsapp:`). */
    phone: p.string().length(32),
    /** The inbound message that said STOP. */
    messageId: p.uuid().nullable(),
  },
});

export type SmsOptOut = InferEntity<typeof SmsOptOutSchema>;
