import { LockMode } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { CROSS_TENANT, systemEm, tenantEm, type EntityManager } from '../lib/db.ts';
import { ProviderError } from '../providers/errors.ts';
import type { MessagingProviders, TextProvider } from '../providers/messaging/index.ts';
import type { ProviderMessage } from '../providers/messaging/types.ts';
import { OutboundMessageSchema, type OutboundMessage, type OutboundStatus } from '../entities/OutboundMessage.ts';
import { senderNumber, TenantSchema, type Tenant } from '../entities/Tenant.ts';
import { isOptedOut } from '../entities/Contact.ts';
import { recordEvent } from '../entities/Event.ts';
import { outboundEventData } from '../lib/events.ts';
import { checkReminderResend } from './reminderResend.ts';

export interface MessagingDeps {
  orm: MikroORM;
  providers: MessagingProviders;
  /** Where Twilio posts delivery status: `<base>/api/v1/sms/status`; unset, no callbacks are asked for. */
  publicBaseUrl?: string;
  /** The platform's sending number (TWILIO_PHONE_NUMBER). */
  platformNumber?: string;
  emailFrom: string;
}

export interface SendResult {
  status: OutboundStatus;
  providerSid: string | null;
  errorCode: string | null;
  /** Twilio will post a delivery verdict for this send (POST /sms/status). */
  awaitingCallback: boolean;
  /** Nothing was sent: a reminder's re-send waits out quiet hours, to be asked again then. */
  deferUntil?: string;
}

const DONE: readonly OutboundStatus[] = ['sent', 'delivered', 'undelivered', 'failed', 'blocked'];

const resultOf = (m: OutboundMessage, awaitingCallback = false): SendResult => ({
  status: m.status,
  providerSid: m.providerSid ?? null,
  errorCode: m.errorCode ?? null,
  awaitingCallback,
});

/** The automation run that sent this message, for its events (a chain of automations answering sends stops at its depth limit). */
const automationOf = (m: OutboundMessage) => (m.cause.type === 'automation' && m.cause.run_id ? { runId: m.cause.run_id, depth: m.cause.depth ?? 0 } : null);

async function finish(em: EntityManager, m: OutboundMessage, status: OutboundStatus, error: { code: string; message: string } | null, commit = true): Promise<SendResult> {
  m.status = status;
  m.errorCode = error?.code ?? null;
  m.errorMessage = error?.message.slice(0, 500) ?? null;
  const failed = status === 'failed' || status === 'blocked';
  if (!failed) m.sentAt = new Date();
  const email = m.channel === 'email';
  recordEvent(em, {
    tenantId: m.tenant.id,
    type: email ? (failed ? 'email.failed' : 'email.sent') : failed ? 'sms.failed' : 'sms.sent',
    entityType: 'outbound_message',
    entityId: m.id,
    payload: outboundEventData(m),
    automation: automationOf(m),
  });
  if (commit) await em.flush();
  return resultOf(m);
}

/**
 * Sends one outbound message, at most once per attempt number. Before the provider is
 * called the attempt is committed (`attempts`, `attemptedAt`); a retry that finds it
 * committed but no provider id asks Twilio what it sent since then, and adopts that
 * message instead of sending a second. Provider refusals (bad number, unsubscribed) are
 * recorded and final; outages throw, and Temporal retries.
 */
export async function deliverOutbound(d: MessagingDeps, tenantId: string, messageId: string, attempt: number): Promise<SendResult> {
  const em = tenantEm(d.orm, tenantId);
  const m = await em.findOneOrFail(OutboundMessageSchema, messageId);
  const tenant = await systemEm(d.orm).findOneOrFail(TenantSchema, tenantId);
  return deliverLoaded(d, em, m, tenant, attempt);
}

/**
 * deliverOutbound for a row and tenant the caller has loaded (a reminder's fire step, which
 * has also checked consent). The row may be new and not yet flushed: a provider with an
 * outside effect gets it committed before the call; the local sink needs no such step.
 */
export async function deliverLoaded(
  d: MessagingDeps,
  em: EntityManager,
  m: OutboundMessage,
  tenant: Tenant,
  attempt: number,
  /** `deferLocalCommit`: the local sink's record is committed by the caller's own flush, with its other changes. */
  opts: { consentChecked?: boolean; deferLocalCommit?: boolean } = {},
): Promise<SendResult> {
  if (m.attempts > attempt) return resultOf(m);
  // This attempt was made already (its answer lost, or its worker gone after recording it):
  // Twilio's verdict on it may still be to come, or have come to the run as a signal, so the
  // run keeps listening for it rather than ending without a re-send after a transient undelivery.
  if (m.attempts === attempt && DONE.includes(m.status)) return resultOf(m, m.status !== 'blocked' && awaitsVerdict(m, d));
  if (m.status === 'blocked') return resultOf(m);
  if (!opts.consentChecked && (await isOptedOut(em, m))) return finish(em, m, 'blocked', { code: 'opted_out', message: 'The recipient opted out of texts (STOP); nothing was sent' });
  if (attempt > 1) {
    const check = await checkReminderResend(em, m, tenant, new Date());
    if (check && 'withdraw' in check) return finish(em, m, 'blocked', check.withdraw);
    if (check) return { ...resultOf(m), deferUntil: check.deferUntil.toISOString() };
  }

  if (m.channel === 'email') {
    const email = d.providers.email;
    m.attempts = attempt;
    m.attemptedAt = new Date();
    m.provider = email.kind;
    m.fromAddress = d.emailFrom;
    if (email.kind !== 'local') await em.flush();
    try {
      const sent = await email.send({ from: d.emailFrom, to: m.toAddress, subject: m.subject ?? '', text: m.body, messageId: `<${m.id}.${attempt}@ai-secretary>` });
      m.providerSid = sent.id;
      return await finish(em, m, 'sent', null, email.kind !== 'local' || !opts.deferLocalCommit);
    } catch (err) {
      if (err instanceof ProviderError && !err.retryable) return finish(em, m, 'failed', { code: String(err.status ?? err.kind), message: err.message });
      throw err;
    }
  }

  const provider = d.providers.text(tenant);
  const number = senderNumber(tenant, d.platformNumber);
  if (!number && provider.kind === 'twilio') {
    const hint = tenant.twilioAccountSid ? "add one of your Twilio account's numbers to the tenant (PATCH /tenant phone_numbers)" : 'add one to the tenant (PATCH /tenant phone_numbers) or set TWILIO_PHONE_NUMBER';
    return finish(em, m, 'blocked', { code: 'no_sender', message: `No number to send from: ${hint}` });
  }
  const wa = (n: string) => (m.channel === 'whatsapp' ? `whatsapp:${n}` : n);
  const send = { from: wa(number ?? 'local'), to: wa(m.toAddress), body: m.body };
  if (m.attemptedAt && m.attempts === attempt && !m.providerSid) {
    const already = await unclaimed(em, m, await provider.findSent(send, new Date(m.attemptedAt.getTime() - 60_000)));
    if (already) return recordSent(em, m, provider, already.sid, d);
  }
  // A new attempt's SID is not known yet: the one kept is the last attempt's, and with it
  // left in place a retry of this attempt would skip the check above and text again.
  if (m.attempts !== attempt) m.providerSid = null;
  m.attempts = attempt;
  m.attemptedAt = new Date();
  m.status = 'sending';
  m.provider = provider.kind;
  m.accountSid = provider.accountSid;
  m.fromAddress = number;
  if (provider.kind === 'local') {
    // Nothing leaves the machine: no attempt to commit first, no callback to race.
    m.providerSid = (await provider.send({ ...send, statusCallback: null })).sid;
    return finish(em, m, 'sent', null, !opts.deferLocalCommit);
  }
  await em.flush();
  try {
    // Our id rides in the URL: Twilio may report before this activity has stored its SID.
    const callback = d.publicBaseUrl ? `${d.publicBaseUrl.replace(/\/$/, '')}/api/v1/sms/status?id=${m.id}` : null;
    const sent = await provider.send({ ...send, statusCallback: callback });
    return await recordSent(em, m, provider, sent.sid, d);
  } catch (err) {
    if (err instanceof ProviderError && !err.retryable) return finish(em, m, 'failed', { code: err.code ?? err.kind, message: err.message });
    throw err;
  }
}

/** Twilio reports on this message to `POST /sms/status`. */
const awaitsVerdict = (m: OutboundMessage, d: MessagingDeps) => m.provider === 'twilio' && Boolean(m.providerSid) && Boolean(d.publicBaseUrl);

/**
 * The first of the provider's matching messages that no other outbound row has recorded:
 * the same text to the same number a moment earlier (a second request, another reminder)
 * is that row's message, not this attempt's, whichever tenant's row it is (tenants without
 * their own account all send from the platform's number).
 */
async function unclaimed(em: EntityManager, m: OutboundMessage, found: ProviderMessage[]): Promise<ProviderMessage | null> {
  if (!found.length) return null;
  const claimed = await em.find(OutboundMessageSchema, { providerSid: { $in: found.map((f) => f.sid) }, id: { $ne: m.id } }, { fields: ['providerSid'], ...CROSS_TENANT });
  const taken = new Set(claimed.map((c) => c.providerSid));
  return found.find((f) => !taken.has(f.sid)) ?? null;
}

/**
 * Records the provider's acceptance. Twilio's status callback can land first (it names
 * the message by our id), so the row is read again under a lock and a later status it
 * set (delivered, undelivered) is kept.
 */
async function recordSent(em: EntityManager, m: OutboundMessage, provider: TextProvider, sid: string, d: MessagingDeps): Promise<SendResult> {
  const row = await em.transactional(async (tx) => {
    const locked = await tx.findOneOrFail(OutboundMessageSchema, m.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    locked.providerSid = sid;
    locked.sentAt ??= new Date();
    locked.errorCode = locked.status === 'sending' ? null : locked.errorCode;
    if (locked.status === 'sending' || locked.status === 'queued') locked.status = 'sent';
    recordEvent(tx, { tenantId: locked.tenant.id, type: 'sms.sent', entityType: 'outbound_message', entityId: locked.id, payload: { ...outboundEventData(locked), status: 'sent' }, automation: automationOf(locked) });
    return locked;
  });
  return resultOf(row, awaitsVerdict(row, d));
}

/**
 * Ends a message whose run stopped before its send finished (cancelled through /runs, or
 * failed: the provider stayed unreachable through every retry): `failed`, saying why, with
 * its event, instead of `queued` or `sending` for ever. A message with an outcome keeps it.
 */
export async function closeOutbound(d: MessagingDeps, input: { tenantId: string; messageId: string; reason: string }): Promise<void> {
  await tenantEm(d.orm, input.tenantId).transactional(async (tx) => {
    const m = await tx.findOne(OutboundMessageSchema, input.messageId, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!m || (m.status !== 'queued' && m.status !== 'sending')) return;
    // Sending with no answer: the provider may have taken it, and its callback will say so.
    const unsure = m.status === 'sending' ? '; it may have been sent before the provider stopped answering' : '';
    await finish(tx, m, 'failed', { code: 'gave_up', message: `${input.reason}${unsure}` });
  });
}

export function createMessagingActivities(d: MessagingDeps) {
  return {
    /** One send attempt of a stored outbound message (workflow `sms-<id>`). */
    async sendOutbound(input: { tenantId: string; messageId: string; attempt: number }): Promise<SendResult> {
      return deliverOutbound(d, input.tenantId, input.messageId, input.attempt);
    },
    closeOutbound: (input: { tenantId: string; messageId: string; reason: string }) => closeOutbound(d, input),
  };
}

export type MessagingActivities = ReturnType<typeof createMessagingActivities>;
