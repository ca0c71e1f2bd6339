import { ApplicationFailure, Context } from '@temporalio/activity';
import { LockMode } from '@mikro-orm/core';
import type { MikroORM } from '../lib/db.ts';
import { tenantEm, type EntityManager } from '../lib/db.ts';
import { parseDuration } from '../lib/retrySchedule.ts';
import { valueAt } from '../lib/automations/paths.ts';
import { guardedRequest, OutboundError, type OutboundPolicy } from '../lib/outbound.ts';
import { AutomationRunSchema, AutomationSchema, newAutomationRun, type AutomationRun, type AutomationRunStatus, type StepRecord } from '../entities/Automation.ts';
import { runDefinition, type RunDefinition } from '../lib/automations/definition.ts';
import { uuidOf } from '../lib/automations/uuidOf.ts';
import { ContactSchema, findOrCreateContact, isOptedOut, type Contact } from '../entities/Contact.ts';
import { calendarEventSnapshot, contactSnapshot, leadSnapshot } from '../lib/snapshots.ts';
import { fireTime } from '../lib/automations/eventOffset.ts';
import { CalendarEventSchema } from '../entities/CalendarEvent.ts';
import { EventSchema, recordEvent } from '../entities/Event.ts';
import { LEAD_STATUSES, LeadSchema, type LeadStatus } from '../entities/Lead.ts';
import { recordLeadActivity } from '../entities/LeadActivity.ts';
import { rescoreLead } from '../entities/leadScoring.ts';
import { OutboundMessageSchema, type OutboundCause } from '../entities/OutboundMessage.ts';
import { TaskSchema } from '../entities/Task.ts';
import { MessageSchema } from '../entities/Message.ts';
import { TenantSchema } from '../entities/Tenant.ts';
import { newVoiceCall, type CallPlan } from '../entities/VoiceCall.ts';
import { newReminder } from '../entities/reminderCreation.ts';
import { normalizePhone } from '../lib/phone.ts';
import { AppError } from '../lib/errors.ts';
import type { AwaitedEvent } from '../workflows/runAutomation.client.ts';
import { deliverLoaded, type MessagingDeps } from './messaging.ts';

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

interface RunRef {
  tenantId: string;
  runId: string;
}

type Fields = Record<string, unknown>;

/** A step that cannot succeed however often it is tried (a missing lead, a bad status): the run fails, saying why. */
export const refuse = (message: string) => ApplicationFailure.nonRetryable(message, 'AutomationStepRefused');
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : null);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const idOf = (v: unknown, what: string): string => {
  const id = str(v);
  if (!id || !UUID.test(id)) throw refuse(`${what} is not an id: "${String(v ?? '')}"`);
  return id;
};
const amount = (v: unknown): number | null => {
  if (v === undefined || v === null || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw refuse(`value is not a number: "${String(v)}"`);
  return n;
};

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
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

/** The recorded outcome of a step already done (a retry after its effect committed). */
const recordedOf = (steps: StepRecord[], id: string): StepOutcome | null => {
  const s = steps.find((x) => x.id === id && x.status === 'completed');
  return s ? { status: 'completed', output: s.output, error: null } : null;
};

/**
 * The database actions, each in the caller's transaction; `ref.runId` and `ref.stepId` key
 * what must not be made twice (a task's dedupe key). Shared with campaigns, whose "run" is
 * the campaign and contact.
 */
export const databaseActions: Record<string, (tx: EntityManager, ref: RunRef & { stepId: string }, f: Fields, deps: AutomationDeps) => Promise<unknown>> = {
  async create_task(tx, ref, f) {
    const contactId = str(f.contact_id) ? idOf(f.contact_id, 'contact_id') : null;
    if (contactId && !(await tx.findOne(ContactSchema, contactId))) throw refuse(`no contact ${contactId}`);
    const task = tx.create(TaskSchema, {
      tenant: ref.tenantId,
      title: String(f.title).slice(0, 300),
      dueAt: str(f.due_in) ? new Date(Date.now() + parseDuration(String(f.due_in))) : null,
      contact: contactId,
      dedupeKey: `automation:${ref.runId}:${ref.stepId}`,
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
    if (fields.value !== undefined) {
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
      contact.customFields = { ...contact.customFields, ...(fields.custom_fields as Fields) };
      changed.push('custom_fields');
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
      const { reminder } = await newReminder(tx, ref.tenantId, body, { sendTimeoutMs: deps.sendTimeoutMs, handOver: true });
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


/** A message in these is still waiting for a person (the sla trigger). */
const SLA_OPEN: readonly string[] = ['new', 'triaged', 'needs_review'];

export function createAutomationActivities(deps: AutomationDeps) {
  /** Appends (or replaces) a step's record on the run, in the caller's transaction. */
  async function writeStep(tx: EntityManager, runId: string, step: StepRecord, locked?: AutomationRun): Promise<void> {
    const run = locked ?? (await tx.findOneOrFail(AutomationRunSchema, runId, { lockMode: LockMode.PESSIMISTIC_WRITE }));
    run.steps = [...run.steps.filter((s) => s.id !== step.id), step];
    run.currentStep = step.id;
  }

  /** A database action: its effect and its step record in one transaction, so a retry finds the record and does nothing twice. */
  async function inTransaction(ref: RunRef & { stepId: string; type: string; fields: Fields; startedAt: string }, effect: (tx: EntityManager) => Promise<unknown>): Promise<StepOutcome> {
    return tenantEm(deps.orm, ref.tenantId).transactional(async (tx) => {
      const run = await tx.findOneOrFail(AutomationRunSchema, ref.runId, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const recorded = recordedOf(run.steps, ref.stepId);
      if (recorded) return recorded;
      // Every event this step writes (a rescore's too) carries the run and its depth.
      await tx
        .getConnection()
        .execute("select set_config('app.automation_run_id', ?, true), set_config('app.automation_depth', ?, true)", [run.id, String(run.depth)], 'all', tx.getTransactionContext());
      const output = await effect(tx);
      await writeStep(tx, ref.runId, { id: ref.stepId, type: ref.type, status: 'completed', input: ref.fields, output, error: null, started_at: ref.startedAt, finished_at: new Date().toISOString() }, run);
      return { status: 'completed' as const, output, error: null };
    });
  }

  /** send_sms / send_email: an outbound message keyed by run and step (so a retry finds it) and delivered as the SMS send does. */
  async function send(ref: RunRef & { stepId: string; type: string; fields: Fields; startedAt: string }): Promise<StepOutcome> {
    const em = tenantEm(deps.orm, ref.tenantId);
    const run = await em.findOneOrFail(AutomationRunSchema, ref.runId);
    const recorded = recordedOf(run.steps, ref.stepId);
    if (recorded) return recorded;
    const sent = await sendKeyed(deps.messaging, em, ref.tenantId, ref.type, ref.fields, `automation:${ref.runId}:${ref.stepId}`, { type: 'automation', run_id: ref.runId, step: ref.stepId }, Context.current().info.attempt);
    return finishStep(em, ref, sent);
  }

  async function finishStep(em: EntityManager, ref: RunRef & { stepId: string; type: string; fields: Fields; startedAt: string }, output: unknown): Promise<StepOutcome> {
    await em.transactional((tx) => writeStep(tx, ref.runId, { id: ref.stepId, type: ref.type, status: 'completed', input: ref.fields, output, error: null, started_at: ref.startedAt, finished_at: new Date().toISOString() }));
    return { status: 'completed', output, error: null };
  }

  /** http_request under the webhook rules; the run and step ride along as an idempotency key for the receiver. */
  async function httpRequest(ref: RunRef & { stepId: string; type: string; fields: Fields; startedAt: string }): Promise<StepOutcome> {
    const em = tenantEm(deps.orm, ref.tenantId);
    const recorded = recordedOf((await em.findOneOrFail(AutomationRunSchema, ref.runId)).steps, ref.stepId);
    if (recorded) return recorded;
    const method = (str(ref.fields.method) ?? 'POST') as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    const body = ref.fields.body === undefined || method === 'GET' ? undefined : typeof ref.fields.body === 'string' ? ref.fields.body : JSON.stringify(ref.fields.body);
    const headers: Record<string, string> = {
      'user-agent': 'AI-Secretary-Automations/1',
      'idempotency-key': `${ref.runId}:${ref.stepId}`,
      ...(body !== undefined ? { 'content-type': typeof ref.fields.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' } : {}),
      ...((ref.fields.headers as Record<string, string> | undefined) ?? {}),
    };
    let res;
    try {
      res = await guardedRequest(String(ref.fields.url), { method, headers, body, timeoutMs: deps.outbound.timeoutMs, maxBodyBytes: 64 * 1024, policy: deps.outbound.policy });
    } catch (err) {
      if (err instanceof OutboundError && err.kind === 'refused') throw refuse(`the request was refused: ${err.message}`);
      if (err instanceof Error && err.name === 'OutboundRefused') throw refuse(`the request was refused: ${err.message}`);
      throw err;
    }
    const text = res.body.toString('utf8');
    const json = parseJson(text);
    if (res.status >= 500 || res.status === 429) throw new Error(`the server answered ${res.status}`);
    if (res.status >= 400) throw refuse(`the server answered ${res.status}`);
    return finishStep(em, ref, { status: res.status, body: json ?? text.slice(0, 2_000) });
  }

  return {
    /** One action step (`automation-<runId>`), idempotent by run and step. */
    async runAction(ref: RunRef & { stepId: string; type: string; fields: Fields; startedAt: string }): Promise<StepOutcome> {
      try {
        if (ref.type === 'send_sms' || ref.type === 'send_email') return await send(ref);
        if (ref.type === 'http_request') return await httpRequest(ref);
        const effect = databaseActions[ref.type];
        if (!effect) throw refuse(`unknown action ${ref.type}`);
        return await inTransaction(ref, (tx) => effect(tx, ref, ref.fields, deps));
      } catch (err) {
        // A refusal is the run's end: the step is recorded failed, with why, before the run fails.
        if (err instanceof ApplicationFailure && err.nonRetryable) {
          await tenantEm(deps.orm, ref.tenantId).transactional((tx) =>
            writeStep(tx, ref.runId, { id: ref.stepId, type: ref.type, status: 'failed', input: ref.fields, output: null, error: err.message, started_at: ref.startedAt, finished_at: new Date().toISOString() }),
          );
        }
        throw err;
      }
    },

    /** A step the workflow took itself (branch, wait, stop, wait_for_event): its record. */
    async recordStep(ref: RunRef & { step: StepRecord }): Promise<void> {
      await tenantEm(deps.orm, ref.tenantId).transactional((tx) => writeStep(tx, ref.runId, ref.step));
    },

    /**
     * Starts listening for events for a `wait_for_event` step, then looks back for one that
     * already happened since the trigger: the watch row is committed first, so an event is
     * either found here or signalled by the outbox relay afterwards.
     */
    async watchEvents(ref: RunRef & { stepId: string; types: string[]; field: string | null; equals: string | null; since: string; until: string }): Promise<AwaitedEvent | null> {
      const em = tenantEm(deps.orm, ref.tenantId);
      await em.getConnection().execute(
        `insert into automation_watches (id, created_at, updated_at, tenant_id, run_id, step_id, event_types, match_field, match_value, expires_at)
         values (gen_random_uuid(), now(), now(), ?, ?, ?, ?::text[], ?, ?, ?) on conflict (run_id, step_id) do nothing`,
        [ref.tenantId, ref.runId, ref.stepId, `{${ref.types.join(',')}}`, ref.field, ref.equals, ref.until],
      );
      const candidates = await em.find(EventSchema, { type: { $in: ref.types }, createdAt: { $gte: new Date(ref.since) } }, { orderBy: { createdAt: 'asc' }, limit: 200 });
      for (const e of candidates) {
        const event: AwaitedEvent = { id: e.id, type: e.type, data: e.payload, created_at: e.createdAt.toISOString() };
        if (!ref.field || String(valueAt(e.payload, ref.field)) === ref.equals) return event;
      }
      return null;
    },

    /**
     * When a time_based run fires: its calendar event's start plus the offset, read now (the
     * event may have moved); gone when the event was deleted or cancelled, or started
     * before a run meant for before it could fire. Firing, the run's context is the event
     * (seed 002's `event.start_time`; `type` is `appointment` when someone is invited) and its contact.
     */
    async planTimedRun(ref: RunRef & { calendarEventId: string; offsetMs: number }): Promise<{ state: 'wait'; at: string } | { state: 'fire'; context: Record<string, unknown> } | { state: 'gone'; reason: string }> {
      const em = tenantEm(deps.orm, ref.tenantId);
      const e = await em.findOne(CalendarEventSchema, ref.calendarEventId, { populate: ['contact'] });
      if (!e) return { state: 'gone', reason: 'the calendar event was deleted' };
      if (e.status === 'cancelled') return { state: 'gone', reason: 'the calendar event was cancelled' };
      const now = new Date();
      const at = fireTime(e.startsAt, ref.offsetMs, now);
      if (!at) return { state: 'gone', reason: 'the calendar event had started before this could run' };
      if (at.getTime() > now.getTime() + 1_000) return { state: 'wait', at: at.toISOString() };
      const contact = e.contact ? (e.contact as unknown as Contact) : null;
      const context = {
        event: { ...calendarEventSnapshot(e), type: contact || e.attendees.length ? 'appointment' : 'event', description: e.description ?? null, timezone: e.timezone ?? null },
        contact: contact ? contactSnapshot(contact) : null,
      };
      await em.nativeUpdate(AutomationRunSchema, { id: ref.runId }, { context });
      return { state: 'fire', context };
    },

    /**
     * An sla run at its deadline: the message as it is now. Taken up (in progress, resolved,
     * spam) or gone: handled; else breached, and the run goes on with the message and its
     * contact as context.
     */
    async checkSla(ref: RunRef & { messageId: string }): Promise<{ state: 'handled'; reason: string } | { state: 'breached'; context: Record<string, unknown> }> {
      const em = tenantEm(deps.orm, ref.tenantId);
      const m = await em.findOne(MessageSchema, ref.messageId, { populate: ['contact'] });
      if (!m) return { state: 'handled', reason: 'the message was deleted' };
      if (!SLA_OPEN.includes(m.status)) return { state: 'handled', reason: `the message was taken up in time (${m.status})` };
      const contact = m.contact ? (m.contact as unknown as Contact) : null;
      const context = {
        message: { id: m.id, channel: m.channel, status: m.status, category: m.category ?? null, priority: m.priority ?? null, content: m.content.slice(0, 2_000), customer_email: m.customerEmail ?? null, customer_phone: m.customerPhone ?? null, received_at: m.receivedAt.toISOString() },
        contact: contact ? contactSnapshot(contact) : null,
      };
      await em.nativeUpdate(AutomationRunSchema, { id: ref.runId }, { context });
      return { state: 'breached', context };
    },

    /**
     * A cron firing's run row (once per firing: keyed by its Temporal run; two firings in one
     * second share a workflow ID),
     * with the automation's definition of this moment; null when the automation was
     * deleted, disabled or is no longer on a cron (its Schedule is being removed).
     */
    async openScheduledRun(ref: { tenantId: string; automationId: string; workflowId: string; firing?: string }): Promise<{ runId: string; definition: RunDefinition; context: Record<string, unknown>; triggeredAt: string } | null> {
      const em = tenantEm(deps.orm, ref.tenantId);
      const a = await em.findOne(AutomationSchema, ref.automationId);
      if (!a || !a.enabled || a.triggerType !== 'time_based' || typeof a.triggerConfig.cron !== 'string') return null;
      const key = uuidOf(ref.firing ?? ref.workflowId);
      let run = await em.findOne(AutomationRunSchema, { automation: a.id, triggerEventId: key });
      if (!run) {
        run = newAutomationRun(em, a, { trigger: 'schedule', context: { schedule: { cron: a.triggerConfig.cron, timezone: a.triggerConfig.timezone ?? 'UTC', workflow_id: ref.workflowId } }, triggerEventId: key, depth: 1 }, { withStart: false }).run;
        await em.flush();
      }
      return { runId: run.id, definition: runDefinition({ conditions: a.conditions ?? null, actions: a.actions }, run.version), context: run.context, triggeredAt: run.createdAt.toISOString() };
    },

    /** Closes the run once: its status, the watches it no longer needs, and `automation.completed` or `automation.failed`. */
    async finishRun(ref: RunRef & { status: AutomationRunStatus; error: string | null }): Promise<void> {
      await tenantEm(deps.orm, ref.tenantId).transactional(async (tx) => {
        const run = await tx.findOneOrFail(AutomationRunSchema, ref.runId, { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['automation'] });
        await tx.getConnection().execute('delete from automation_watches where tenant_id = ? and run_id = ?', [ref.tenantId, ref.runId], 'run', tx.getTransactionContext());
        if (run.finishedAt) return;
        Object.assign(run, { status: ref.status, error: ref.error, finishedAt: new Date(), currentStep: null });
        if (ref.status === 'completed' || ref.status === 'failed') {
          recordEvent(tx, {
            tenantId: ref.tenantId,
            type: ref.status === 'completed' ? 'automation.completed' : 'automation.failed',
            entityType: 'automation_run',
            entityId: run.id,
            payload: { automation_id: run.automation.id, run_id: run.id, version: run.version, status: ref.status, error: ref.error, depth: run.depth },
          });
        }
      });
    },
  };
}

export type AutomationActivities = ReturnType<typeof createAutomationActivities>;
