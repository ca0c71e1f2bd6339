import { ApplicationFailure } from '@temporalio/activity';
import { parseDuration } from '../lib/retrySchedule.ts';
import { isUuid } from '../lib/automations/ids.ts';
import type { EntityManager, MikroORM } from '../lib/db.ts';
import { AppError } from '../lib/errors.ts';
import type { OutboundPolicy } from '../lib/outbound.ts';
import { normalizePhone } from '../lib/phone.ts';
import { contactSnapshot, leadSnapshot } from '../lib/snapshots.ts';
import { ContactSchema, findOrCreateContact, isOptedOut, type Contact } from '../entities/Contact.ts';
import { recordEvent } from '../entities/Event.ts';
import { LEAD_STATUSES, LeadSchema, type LeadStatus } from '../entities/Lead.ts';
import { recordLeadActivity } from '../entities/LeadActivity.ts';
import { rescoreLead } from '../entities/leadScoring.ts';
import { OutboundMessageSchema, type OutboundCause } from '../entities/OutboundMessage.ts';
import { newReminder } from '../entities/reminderCreation.ts';
import { TaskSchema } from '../entities/Task.ts';
import { TenantSchema } from '../entities/Tenant.ts';
import { newVoiceCall, type CallPlan } from '../entities/VoiceCall.ts';
import { deliverLoaded, type MessagingDeps } from './messaging.ts';

/**
 * What an automation's actions do (shared by the interpreter's activities and campaigns):
 * the sends, keyed so a retry sends nothing twice, and the database actions, each in the
 * caller's transaction. A field that cannot work is the step's refusal.
 */
export interface AutomationDeps {
  orm: MikroORM;
  messaging: MessagingDeps;
  /** How `start_call` places calls, and a reminder's send timeout. */
  callPlan: CallPlan;
  sendTimeoutMs: number;
  /** `http_request` goes out under the webhook rules (OUTBOUND_ALLOWED_HOSTS, no private addresses). */
  outbound: { policy: OutboundPolicy; timeoutMs: number };
}

export interface StepOutcome {
  status: 'completed' | 'failed';
  output: unknown;
  error: string | null;
}

export interface RunRef {
  tenantId: string;
  runId: string;
}

export type Fields = Record<string, unknown>;

/** A step that cannot succeed however often it is tried (a missing lead, a bad status): the run fails, saying why. */
export const refuse = (message: string) => ApplicationFailure.nonRetryable(message, 'AutomationStepRefused');
export const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : null);
const idOf = (v: unknown, what: string): string => {
  const id = str(v);
  if (!isUuid(id)) throw refuse(`${what} is not an id: "${String(v ?? '')}"`);
  return id;
};
const amount = (v: unknown): number | null => {
  if (v === undefined || v === null || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw refuse(`value is not a number: "${String(v)}"`);
  return n;
};

/**
 * A send_sms / send_email step's message, keyed (a retry finds the row and sends nothing
 * twice) and delivered as the SMS send does; an opted-out number is not texted.
 */
export async function sendKeyed(
  messaging: MessagingDeps,
  em: EntityManager,
  tenantId: string,
  type: string,
  fields: Fields,
  key: string,
  cause: OutboundCause,
  attempt: number,
): Promise<{ sent: boolean; reason?: string; to: string; message_id?: string; status?: string; provider_sid?: string | null }> {
  const email = type === 'send_email';
  const channel = email ? 'email' : fields.channel === 'whatsapp' ? 'whatsapp' : 'sms';
  const to = str(email ? fields.to : fields.to_number);
  if (!to) throw refuse(`${email ? 'to' : 'to_number'} rendered empty`);
  let row = await em.findOne(OutboundMessageSchema, { idempotencyKey: key });
  if (!row) {
    if (await isOptedOut(em, { channel, toAddress: to })) return { sent: false, reason: 'opted_out', to };
    row = em.create(OutboundMessageSchema, {
      tenant: tenantId,
      channel,
      toAddress: to,
      body: String(email ? fields.body : fields.message),
      subject: email ? (str(fields.subject) ?? 'Message') : null,
      contact: null,
      cause,
      idempotencyKey: key,
    });
  }
  const tenant = await em.findOneOrFail(TenantSchema, tenantId);
  const result = await deliverLoaded(messaging, em, row, tenant, attempt, { consentChecked: true });
  if (result.status === 'failed' || result.status === 'blocked') throw refuse(`the message was not sent: ${row.errorMessage ?? result.errorCode ?? result.status}`);
  return { sent: true, message_id: row.id, status: result.status, provider_sid: result.providerSid, to };
}

/** The run that makes a call or a reminder, for the events it reports later; a campaign's steps have none. */
const automationOf = (ref: RunRef & { depth?: number }) => (ref.depth === undefined ? null : { runId: ref.runId, depth: ref.depth });

/**
 * The database actions, each in the caller's transaction; `ref.runId` and `ref.stepId` key
 * what must not be made twice (a task's dedupe key). Shared with campaigns, whose "run" is
 * the campaign and contact. `ref.depth` is the run's, for work that reports later (a call, a reminder).
 */
export const databaseActions: Record<string, (tx: EntityManager, ref: RunRef & { stepId: string; depth?: number }, f: Fields, deps: AutomationDeps) => Promise<unknown>> = {
  async create_task(tx, ref, f) {
    const contactId = str(f.contact_id) ? idOf(f.contact_id, 'contact_id') : null;
    if (contactId && !(await tx.findOne(ContactSchema, contactId))) throw refuse(`no contact ${contactId}`);
    const dedupeKey = `automation:${ref.runId}:${ref.stepId}`;
    // Made already (the key is unique): a run's step record and a campaign's step record
    // are committed with the task, so only a caller that keeps neither gets here twice.
    const made = await tx.findOne(TaskSchema, { dedupeKey });
    if (made) return { task_id: made.id };
    const task = tx.create(TaskSchema, {
      tenant: ref.tenantId,
      title: String(f.title).slice(0, 300),
      dueAt: str(f.due_in) ? new Date(Date.now() + parseDuration(String(f.due_in))) : null,
      contact: contactId,
      dedupeKey,
    });
    return { task_id: task.id };
  },
  async create_lead(tx, ref, f) {
    const given = (f.contact ?? {}) as Record<string, unknown>;
    const contact = str(f.contact_id)
      ? await tx.findOne(ContactSchema, idOf(f.contact_id, 'contact_id'))
      : (await findOrCreateContact(tx, ref.tenantId, { name: str(given.name), email: str(given.email), phone: str(given.phone) }))?.contact;
    if (!contact) throw refuse('create_lead needs contact_id, or a contact with an email or phone');
    const lead = tx.create(LeadSchema, { tenant: ref.tenantId, contact, title: String(f.title).slice(0, 300), source: str(f.source) ?? 'automation', status: 'new', value: amount(f.value), company: contact.company ?? null });
    recordEvent(tx, { tenantId: ref.tenantId, type: 'lead.created', entityType: 'lead', entityId: lead.id, payload: { lead: leadSnapshot(lead, contact), message_id: null } });
    await tx.flush();
    await rescoreLead(tx, lead);
    return { lead_id: lead.id, contact_id: contact.id };
  },
  async update_lead(tx, _ref, f) {
    const lead = await tx.findOne(LeadSchema, idOf(f.lead_id, 'lead_id'), { populate: ['contact'] });
    if (!lead) throw refuse(`no lead ${String(f.lead_id)}`);
    const fields = (f.fields ?? {}) as Fields;
    const changed: string[] = [];
    const status = str(fields.status);
    if (status) {
      if (!(LEAD_STATUSES as readonly string[]).includes(status)) throw refuse(`status must be one of ${LEAD_STATUSES.join(', ')}, not "${status}"`);
      lead.status = status as LeadStatus;
      changed.push('status');
    }
    if (str(fields.stage)) {
      lead.stageId = str(fields.stage);
      changed.push('stage_id');
    }
    if (str(fields.title)) {
      lead.title = String(fields.title).slice(0, 300);
      changed.push('title');
    }
    // Empty is not given (a placeholder with nothing behind it renders empty), as for the
    // fields above; an explicit null clears the value.
    if (fields.value !== undefined && fields.value !== '') {
      lead.value = amount(fields.value);
      changed.push('value');
    }
    recordEvent(tx, { tenantId: lead.tenant.id, type: 'lead.updated', entityType: 'lead', entityId: lead.id, payload: { lead: leadSnapshot(lead, lead.contact), changed } });
    await tx.flush();
    await rescoreLead(tx, lead);
    return { lead_id: lead.id, changed };
  },
  async add_note(tx, ref, f) {
    const leadId = idOf(f.lead_id, 'lead_id');
    if (!(await tx.findOne(LeadSchema, leadId))) throw refuse(`no lead ${leadId}`);
    const note = recordLeadActivity(tx, { tenantId: ref.tenantId, leadId, activityType: 'note', description: String(f.text).slice(0, 5_000), noteType: 'note', metadata: { automation_run: ref.runId, step: ref.stepId } });
    return { activity_id: note.id };
  },
  async update_contact(tx, ref, f) {
    const contact = await tx.findOne(ContactSchema, idOf(f.contact_id, 'contact_id'));
    if (!contact) throw refuse(`no contact ${String(f.contact_id)}`);
    const fields = (f.fields ?? {}) as Fields;
    const changed: string[] = [];
    for (const key of ['name', 'email', 'phone', 'organization'] as const) {
      const v = str(fields[key]);
      if (v) {
        contact[key] = v;
        changed.push(key);
      }
    }
    if (fields.custom_fields && typeof fields.custom_fields === 'object') {
      // An empty value leaves that field as it was, as for the fields above.
      const given = Object.entries(fields.custom_fields as Fields).filter(([, v]) => v !== '');
      if (given.length) {
        contact.customFields = { ...contact.customFields, ...Object.fromEntries(given) };
        changed.push('custom_fields');
      }
    }
    recordEvent(tx, { tenantId: ref.tenantId, type: 'contact.updated', entityType: 'contact', entityId: contact.id, payload: { contact: contactSnapshot(contact), changed } });
    return { contact_id: contact.id, changed };
  },
  async start_call(tx, ref, f, deps) {
    const lead = str(f.lead_id) ? await tx.findOne(LeadSchema, idOf(f.lead_id, 'lead_id'), { populate: ['contact'] }) : null;
    if (str(f.lead_id) && !lead) throw refuse(`no lead ${String(f.lead_id)}`);
    const contact = str(f.contact_id) ? await tx.findOne(ContactSchema, idOf(f.contact_id, 'contact_id')) : ((lead?.contact as Contact | undefined) ?? null);
    if (str(f.contact_id) && !contact) throw refuse(`no contact ${String(f.contact_id)}`);
    const phone = normalizePhone(str(f.phone_number) ?? contact?.phone ?? null);
    if (!phone) throw refuse('start_call has no phone number to call (phone_number, or a contact with a phone)');
    const tenant = await tx.findOneOrFail(TenantSchema, ref.tenantId);
    // Dials at once (inside the calling hours), its consent checked again right before.
    const { call } = newVoiceCall(tx, {
      tenant,
      lead,
      contact,
      phoneNumber: phone,
      purpose: str(f.purpose),
      voiceSettings: (f.voice_settings as Record<string, unknown> | undefined) ?? {},
      maxAttempts: typeof f.max_attempts === 'number' ? f.max_attempts : 3,
      plan: deps.callPlan,
      autoStart: true,
      automation: automationOf(ref),
    });
    return { call_id: call.id, phone_number: phone };
  },
  async schedule_reminder(tx, ref, f, deps) {
    try {
      const body = {
        channel: (str(f.channel) ?? 'sms') as 'sms' | 'whatsapp' | 'email',
        ...(str(f.contact_id) ? { contact_id: idOf(f.contact_id, 'contact_id') } : {}),
        ...(str(f.to) ? { to: String(f.to) } : {}),
        message: String(f.message),
        ...(str(f.subject) ? { subject: String(f.subject) } : {}),
        ...(str(f.send_at) ? { send_at: String(f.send_at) } : {}),
        ...(str(f.timezone) ? { timezone: String(f.timezone) } : {}),
        ...(str(f.event_id) ? { event_id: idOf(f.event_id, 'event_id') } : {}),
        ...(str(f.offset) ? { offset: String(f.offset) } : {}),
        urgent: f.urgent === true,
      };
      if (body.send_at && Number.isNaN(Date.parse(body.send_at))) throw refuse(`send_at is not a date: "${body.send_at}"`);
      const { reminder } = await newReminder(tx, ref.tenantId, body, { sendTimeoutMs: deps.sendTimeoutMs, handOver: true, automation: automationOf(ref) });
      return { reminder_id: reminder.id, next_send_at: reminder.nextSendAt?.toISOString() ?? null };
    } catch (err) {
      // The reminder's own checks (no such contact, a time past, opted out) are this step's refusal.
      if (err instanceof AppError) throw refuse(`${err.message}: ${JSON.stringify(err.details)}`);
      throw err;
    }
  },
  async add_tag(tx, ref, f) {
    const contact = await tx.findOne(ContactSchema, idOf(f.contact_id, 'contact_id'));
    if (!contact) throw refuse(`no contact ${String(f.contact_id)}`);
    const tag = String(f.tag).trim().slice(0, 50);
    const added = !contact.tags.includes(tag);
    if (added) {
      contact.tags = [...contact.tags, tag];
      recordEvent(tx, { tenantId: ref.tenantId, type: 'contact.updated', entityType: 'contact', entityId: contact.id, payload: { contact: contactSnapshot(contact), changed: ['tags'] } });
    }
    return { contact_id: contact.id, tag, added };
  },
};
