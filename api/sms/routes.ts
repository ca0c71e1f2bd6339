import { z } from 'zod';
import { systemEm, tenantEm } from '../../lib/db.ts';
import { forbidden, notFound, validationError } from '../../lib/errors.ts';
import { normalizePhone } from '../../lib/phone.ts';
import { smsConsentChange } from '../../lib/smsKeywords.ts';
import { verifyTwilioRequest } from '../messaging/twilioAccounts.ts';
import { SMS_OPT_OUTS } from '../../entities/SmsOptOut.ts';
import { TenantSchema } from '../../entities/Tenant.ts';
import { recordEvent } from '../../entities/Event.ts';
import { findOrCreateContact } from '../../entities/Contact.ts';
import { publicRoute, type RouteDef } from '../routing.ts';
import { zodIssuesToFields } from '../validation.ts';
import { storeMessage } from '../inbox/store.ts';
import { triageRequest } from '../inbox/routes.ts';
import { startOrDefer } from '../startWork.ts';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** The fields we use of Twilio's inbound-SMS form; Twilio sends many more, all covered by the signature. */
export const twilioInboundSms = z.looseObject({
  MessageSid: z.string().regex(/^[A-Za-z0-9]{10,64}$/, 'must be a Twilio SID'),
  From: z.string().min(1).max(32),
  To: z.string().min(1).max(32),
  // A text is at most 1,600 characters (10 segments); a WhatsApp message up to 4,096.
  Body: z.string().max(4096).default(''),
});

export const smsRoutes: RouteDef[] = [
  publicRoute({
    method: 'post',
    path: '/sms/webhook',
    tag: 'sms',
    summary: "Twilio's inbound SMS webhook (form-encoded, X-Twilio-Signature checked); answers empty TwiML",
    bodyType: 'form',
    documentedBody: twilioInboundSms,
    handler: async (ctx) => {
      // The signature is checked before anything is read or stored: a forged request learns nothing.
      const { params, accountTenant } = await verifyTwilioRequest(ctx);
      const parsed = twilioInboundSms.safeParse(params);
      if (!parsed.success) throw validationError('Invalid Twilio webhook', zodIssuesToFields(parsed.error));
      const sms = parsed.data;
      // WhatsApp arrives through the same webhook, its addresses prefixed `whatsapp:`.
      const channel = sms.From.startsWith('whatsapp:') ? 'whatsapp' : 'sms';
      const bare = (address: string) => address.replace(/^whatsapp:/, '');
      const to = normalizePhone(bare(sms.To)) ?? bare(sms.To);
      const from = bare(sms.From);
      const tenant = await systemEm(ctx.deps.orm).findOne(TenantSchema, { phoneNumbers: { $contains: [to] } });
      if (!tenant) throw notFound('Tenant for this number');
      // A tenant with its own Twilio account hears only from that account, and the platform's
      // account speaks only for tenants without one.
      if ((accountTenant?.id ?? null) !== (tenant.twilioAccountSid ? tenant.id : null)) throw forbidden('This number does not belong to that Twilio account');

      const em = tenantEm(ctx.deps.orm, tenant.id);
      const consent = smsConsentChange(sms.Body);
      const { start } = await storeMessage(
        em,
        tenant.id,
        {
          channel,
          content: sms.Body || '(empty message)',
          customerPhone: from,
          externalId: sms.MessageSid,
          metadata: { to, num_media: sms.NumMedia ?? '0' },
          status: consent ? 'resolved' : 'new',
        },
        (id) => (consent ? null : triageRequest(ctx, tenant.id, id)),
        // STOP/START commit with the message: a redelivery after a crash finds both or neither.
        consent
          ? async (tx, message) => {
              // Kept by number first: it outlives the contact's phone changing or the contact going.
              const number = normalizePhone(from) ?? from;
              if (consent === 'opt_out') {
                await tx.execute(
                  `insert into ${SMS_OPT_OUTS} (id, created_at, updated_at, tenant_id, phone, message_id) values (gen_random_uuid(), now(), now(), ?, ?, ?) on conflict (tenant_id, phone) do nothing`,
                  [tenant.id, number, message.id],
                );
              } else {
                await tx.execute(`delete from ${SMS_OPT_OUTS} where tenant_id = ? and phone = ?`, [tenant.id, number]);
              }
              const found = await findOrCreateContact(tx, tenant.id, { phone: from });
              if (!found) return;
              found.contact.smsOptOut = consent === 'opt_out';
              recordEvent(tx, {
                tenantId: tenant.id,
                type: 'contact.sms_opt_out',
                entityType: 'contact',
                entityId: found.contact.id,
                payload: { contact_id: found.contact.id, phone: found.contact.phone ?? null, opted_out: consent === 'opt_out', message_id: message.id },
              });
            }
          : undefined,
      );
      if (start) await startOrDefer(ctx, start);
      // A redelivery needs nothing more: the first delivery committed the triage's start row,
      // which the outbox relay starts if that delivery died before it could.
      ctx.type = 'text/xml';
      ctx.body = EMPTY_TWIML;
      return undefined;
    },
  }),
];
