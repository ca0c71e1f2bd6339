import { Context } from '@temporalio/activity';
import { LockMode, wrap } from '@mikro-orm/core';
import pLimit from 'p-limit';
import { tenantEm, type EntityManager } from '../lib/db.ts';
import { BudgetExceededError } from '../lib/computeBudget.ts';
import { nextDue } from '../lib/reminderTime.ts';
import { nextAllowedTime } from '../lib/quietHours.ts';
import { renderTemplate } from '../lib/template.ts';
import { ReminderSchema, type Reminder, type ReminderStatus } from '../entities/Reminder.ts';
import { CalendarEventSchema, type CalendarEvent } from '../entities/CalendarEvent.ts';
import { ContactSchema, optedOutSql, type Contact } from '../entities/Contact.ts';
import { TenantSchema } from '../entities/Tenant.ts';
import { recordReminderEvent } from '../entities/reminderEvents.ts';
import { OutboundMessageSchema, type OutboundMessage } from '../entities/OutboundMessage.ts';
import type { Event } from '../entities/Event.ts';
import { deliverLoaded, type MessagingDeps } from './messaging.ts';
import { anchorOf } from './reminderAnchor.ts';
import { executePrepared } from '../lib/preparedSql.ts';
import { ARMED_HEARTBEAT_EVERY_MS } from '../workflows/sendReminder.client.ts';

export type { ReminderStatus };

export type ReminderPlan = { state: 'due'; dueAt: string; version: number } | { state: 'ended'; status: ReminderStatus };

export interface FireInput {
  tenantId: string;
  reminderId: string;
  dueAt: string;
  version: number;
}

/**
 * The fire step armed ahead of its time: waits until `at` (the occurrence, or the end of a
 * quiet-hours deferral), then fires. What changed meanwhile the fire step finds (the row's
 * version), so a change or cancel needs no word to it: it sends nothing then.
 */
export function firedAt(fire: (input: FireInput) => Promise<FireOutcome>, sleep: (ms: number) => Promise<void> = (ms) => Context.current().sleep(ms)) {
  return async (input: FireInput & { at: string }): Promise<FireOutcome> => {
    const ctx = Context.current();
    const heartbeats = setInterval(() => ctx.heartbeat(), ARMED_HEARTBEAT_EVERY_MS);
    try {
      // The activity's sleep is cancelled when the worker shuts down without time to wait it
      // out (retried elsewhere). Again until the clock says so: a Node timer counts from the
      // event loop's cached time and may end a millisecond or two before the wall clock
      // reaches `at` (a CI run met it).
      for (let wait = Date.parse(input.at) - Date.now(); wait > 0; wait = Date.parse(input.at) - Date.now()) await sleep(wait);
      const { at: _at, ...fireInput } = input;
      return await fire(fireInput);
    } finally {
      clearInterval(heartbeats);
    }
  };
}

export type FireOutcome =
  | { state: 'replan' }
  | { state: 'defer'; until: string }
  | { state: 'sent'; more: boolean }
  | { state: 'ended'; status: ReminderStatus };

/**
 * The occurrence due next, or null when none is left. A rule whose next occurrence the
 * search cannot find in its budget has none left that anyone could wait for (the API
 * refuses such a rule up front; one stored before that check ends here too).
 */
function dueOf(r: Reminder, anchor: Date, now: Date): Date | null {
  try {
    return nextDue({ anchor, timezone: r.timezone, rrule: r.rrule, until: r.until }, r.lastOccurrenceAt ?? null, now, r.heldOccurrenceAt ?? null);
  } catch (err) {
    if (err instanceof BudgetExceededError) return null;
    throw err;
  }
}

/** The reminder's plan as the row says now; null when a change landed before it could be written. */
async function planOnce(em: EntityManager, reminderId: string): Promise<ReminderPlan | null> {
  const { r, event } = await load(em, reminderId);
  if (r.status !== 'scheduled') return { state: 'ended', status: r.status };
  const read = r.version;
  const now = new Date();
  const anchor = anchorOf(r, event, now);
  if ('gone' in anchor) {
    end(em, r, 'cancelled', anchor.gone, null, null);
    return (await flushIfUnchanged(em, r, read)) ? { state: 'ended', status: 'cancelled' } : null;
  }
  const due = dueOf(r, anchor.at, now);
  if (!due) {
    end(em, r, r.sentCount > 0 ? 'sent' : 'cancelled', r.sentCount > 0 ? null : 'no occurrence before its end (until)', null, null);
    const status = r.status;
    return (await flushIfUnchanged(em, r, read)) ? { state: 'ended', status } : null;
  }
  // An occurrence quiet hours hold keeps showing when it goes.
  if (r.nextSendAt?.getTime() !== due.getTime() && r.heldOccurrenceAt?.getTime() !== due.getTime()) {
    r.nextSendAt = due;
    if (!(await flushIfUnchanged(em, r, read))) return null;
  }
  return { state: 'due', dueAt: due.toISOString(), version: read };
}

async function load(em: EntityManager, reminderId: string) {
  const r = await em.findOneOrFail(ReminderSchema, reminderId);
  const event = r.event ? await em.findOne(CalendarEventSchema, r.event.id) : null;
  return { r, event };
}

function end(em: EntityManager, r: Reminder, status: ReminderStatus, error: string | null, occurrence: Date | null, smsId: string | null) {
  r.status = status;
  r.nextSendAt = null;
  if (error) r.lastError = error.slice(0, 500);
  if (status === 'failed' || (status === 'cancelled' && error)) {
    recordReminderEvent(em, r, 'failed', occurrence, smsId, error);
  }
}

/**
 * Commits a plan or fire step's changes to the reminder (and their events) only while the
 * reminder is still scheduled at the version the step read: a PUT or cancel committed in
 * between wins (its signal makes the run plan again), rather than being overwritten with
 * `failed` or a deferral. Whether it wrote.
 */
async function flushIfUnchanged(em: EntityManager, r: Reminder, version: number): Promise<boolean> {
  await em.begin();
  try {
    const [now] = await em.execute<Array<{ version: number; status: string }>>('select version, status from reminders where id = ? and tenant_id = ? for update', [r.id, r.tenant.id]);
    if (now?.version !== version || now.status !== 'scheduled') {
      await em.rollback();
      em.clear();
      return false;
    }
    await em.commit();
    return true;
  } finally {
    if (em.isInTransaction()) await em.rollback();
  }
}

function templateValues(contact: Contact | null, event: CalendarEvent | null, tenantName: string) {
  return {
    'contact.name': contact?.name,
    'contact.first_name': contact?.name.split(/\s+/)[0],
    'contact.phone': contact?.phone,
    'contact.email': contact?.email,
    'event.title': event?.title,
    'event.start_time': event?.startsAt,
    'event.end_time': event?.endsAt,
    'event.date': event?.startsAt,
    'event.time': event?.startsAt,
    'event.location': event?.location,
    'tenant.name': tenantName,
  };
}

/** Where the reminder goes: the raw address, or the contact's phone or email. */
function recipientOf(r: Reminder, contact: Contact | null): string | null {
  if (r.toAddress) return r.toAddress;
  if (!contact) return null;
  return r.channel === 'email' ? (contact.email ?? null) : (contact.phone ?? null);
}

export function createReminderActivities(d: MessagingDeps) {
  // A guarded send holds a pool connection for its lock and takes another for its own
  // bookkeeping: at most half the pool at once, so the other half always frees up (with
  // every connection held by a lock, each send would wait for one forever).
  const guardSlots = pLimit(Math.max(1, Math.floor(((d.orm.config.get('pool')?.max ?? 10) - 1) / 2)));
  return {
    /**
     * Ends a reminder whose run stopped before the reminder did (cancelled through /runs, or
     * failed: a step's retries ran out in an outage), with why and a `reminder.failed` event,
     * instead of `scheduled` for ever with a time gone by. One that ended meanwhile keeps its end.
     */
    async closeReminder(input: { tenantId: string; reminderId: string; status: 'cancelled' | 'failed'; reason: string }): Promise<void> {
      await tenantEm(d.orm, input.tenantId).transactional(async (tx) => {
        const r = await tx.findOne(ReminderSchema, input.reminderId, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!r || r.status !== 'scheduled') return;
        end(tx, r, input.status, input.reason, r.nextSendAt ?? null, null);
        r.version += 1;
      });
    },

    /**
     * The reminder's next due time as the database says now (it may have moved since the
     * workflow last looked), written to `next_send_at`; or that it has ended.
     */
    async planReminder(input: { tenantId: string; reminderId: string }): Promise<ReminderPlan> {
      // Again from the top when a change lands while this plans (its signal follows).
      for (;;) {
        const plan = await planOnce(tenantEm(d.orm, input.tenantId), input.reminderId);
        if (plan) return plan;
      }
    },

    fireReminder,
    /** The fire step, armed ahead of its time (see firedAt). */
    fireReminderAt: firedAt(fireReminder),
  };

  /**
   * Sends the occurrence due at `dueAt`, after checking again right before: the reminder
   * unchanged and still scheduled, its event still there at that time, outside quiet
   * hours, the recipient not opted out. The outbound row is keyed by the occurrence, so a
   * retry after a crash finds it and sends nothing twice.
   */
  async function fireReminder(input: FireInput): Promise<FireOutcome> {
    const em = tenantEm(d.orm, input.tenantId);
    const { r, tenant, event, contact, optedOut } = await loadForFire(em, input.tenantId, input.reminderId);
    const occurrence = new Date(input.dueAt);
    const key = `reminder:${r.id}:${input.dueAt}`;
    const already = r.lastOccurrenceAt?.getTime() === occurrence.getTime();
    if (r.status !== 'scheduled' && !already) return { state: 'ended', status: r.status };
    // Only a retry of this step can have made the occurrence's row (its unique key guards the rest).
    let row = already || Context.current().info.attempt > 1 ? await em.findOne(OutboundMessageSchema, { idempotencyKey: key }) : null;
    if (!already) {
      if (r.version !== input.version) return { state: 'replan' };
      // A retry whose text may be out already (its row was made) is not called late.
      const anchor = anchorOf(r, event, row ? undefined : new Date());
      if ('gone' in anchor) {
        end(em, r, 'cancelled', anchor.gone, occurrence, null);
        return (await flushIfUnchanged(em, r, input.version)) ? { state: 'ended', status: 'cancelled' } : { state: 'replan' };
      }
      // The event moved (or the rule changed): what was planned is not due.
      if (dueOf(r, anchor.at, occurrence)?.getTime() !== occurrence.getTime()) return { state: 'replan' };
    }

    const to = recipientOf(r, contact);
    const created = !row;
    if (!row) {
      if (!to) {
        end(em, r, 'failed', `the contact has no ${r.channel === 'email' ? 'email address' : 'phone number'}`, occurrence, null);
        return (await flushIfUnchanged(em, r, input.version)) ? { state: 'ended', status: 'failed' } : { state: 'replan' };
      }
      if (!r.urgent && r.channel !== 'email') {
        const allowed = nextAllowedTime(new Date(), r.timezone, tenant.quietHours ?? null);
        if (allowed.getTime() > Date.now() + 1000) {
          // Shown as the reminder's next send time, so a person sees why it waits.
          r.nextSendAt = allowed;
          r.heldOccurrenceAt = occurrence;
          return (await flushIfUnchanged(em, r, input.version)) ? { state: 'defer', until: allowed.toISOString() } : { state: 'replan' };
        }
      }
      if (optedOut) {
        end(em, r, 'failed', 'opted_out', occurrence, null);
        return (await flushIfUnchanged(em, r, input.version)) ? { state: 'ended', status: 'failed' } : { state: 'replan' };
      }
      // Created here, committed by the send (before the provider call when it has an outside effect).
      const values = templateValues(contact, event, tenant.name);
      const render = (template: string) => renderTemplate(template, values, { timezone: r.timezone, locale: r.locale });
      row = em.create(OutboundMessageSchema, {
        tenant: input.tenantId,
        channel: r.channel,
        toAddress: to,
        body: render(r.message),
        subject: r.subject ? render(r.subject) : r.channel === 'email' ? 'Reminder' : null,
        contact: contact?.id ?? null,
        cause: { type: 'reminder', reminder_id: r.id, occurrence: input.dueAt },
        idempotencyKey: key,
      });
    }
    // What the checks above read, which must still hold when the send is committed.
    const checked: Checked = {
      version: input.version,
      event: r.offsetMs !== null && r.offsetMs !== undefined && event ? { id: event.id, startsAt: event.startsAt } : null,
      lastOccurrenceAt: r.lastOccurrenceAt ?? null,
    };
    // A send with an outside effect holds the reminder's row lock until its outcome is
    // written: a PUT or cancel made meanwhile waits, then finds it sent (a 409), instead
    // of being told it won while the text goes out.
    const outside = r.channel === 'email' ? d.providers.email.kind !== 'local' : d.providers.text(tenant).kind !== 'local';
    const sendAndRecord = async (guard: EntityManager | null): Promise<FireOutcome> => {
      try {
        const sent = await deliverLoaded(d, em, row, tenant, 1, { consentChecked: true, deferLocalCommit: true });

        const ok = sent.status === 'sent' || sent.status === 'delivered';
        if (!already) {
          r.lastOccurrenceAt = occurrence;
          if (ok) {
            r.sentCount += 1;
            r.sentAt = new Date();
            recordReminderEvent(em, r, 'sent', occurrence, row.id, null);
          }
        }
        const anchor = anchorOf(r, event);
        const following = r.status === 'scheduled' && 'at' in anchor && r.rrule ? dueOf(r, anchor.at, new Date()) : null;
        const more = following !== null;
        // Shown at once; the next run plans from the row again.
        if (following) r.nextSendAt = following;
        if (!ok) {
          const why = sent.errorCode ?? sent.status;
          if (more) {
            r.lastError = `occurrence ${input.dueAt}: ${why}`;
            recordReminderEvent(em, r, 'failed', occurrence, row.id, why);
          } else if (r.status === 'scheduled') {
            end(em, r, 'failed', why, occurrence, row.id);
          }
        } else if (!more && r.status === 'scheduled') {
          r.status = 'sent';
          r.nextSendAt = null;
        }
        if (guard) {
          await writeFire(guard, em, null, r, null);
          await guard.commit();
        } else if (created && ok && row.provider === 'local') {
          // The local sink left its record to this commit, which makes it only if the reminder
          // is still the one checked above (a PUT or cancel since then: nothing was sent).
          if (!(await writeFire(em, em, row, r, checked))) return { state: 'replan' };
        } else {
          await em.flush();
        }
        return more ? { state: 'sent', more: true } : { state: 'ended', status: r.status };
      } finally {
        if (guard?.isInTransaction()) await guard.rollback();
      }
    };
    if (!outside) return sendAndRecord(null);
    return guardSlots(async () => {
      // A retry of a written occurrence checks only that nothing changed since its read (a
      // cancel between the read and the lock would otherwise be written over).
      const guard = await lockForSend(d, input, already ? { version: r.version, event: null, lastOccurrenceAt: r.lastOccurrenceAt ?? null } : checked);
      return guard === 'changed' ? { state: 'replan' } : sendAndRecord(guard);
    });
  }
}

export type ReminderActivities = ReturnType<typeof createReminderActivities>;

/**
 * The reminder with everything its fire step renders and checks (tenant, event, contact,
 * and whether its recipient opted out) in one statement, mapped to entities in `em`: the
 * path every due reminder takes, where building the ORM's two queries cost the worker
 * more CPU than the database spent answering them (3.6 vs 1.1–1.4 ms per fire).
 */
async function loadForFire(em: EntityManager, tenantId: string, reminderId: string) {
  const rows = await executePrepared<Record<string, unknown>>(
    em,
    `select to_jsonb(r) as fire_reminder, to_jsonb(t) as fire_tenant, to_jsonb(e) as fire_event, to_jsonb(c) as fire_contact,
            ${optedOutSql({ tenant: 'r.tenant_id', channel: 'r.channel', contactId: 'r.contact_id', address: 'coalesce(r.to_address, c.phone)' })} as fire_opted_out
     from reminders r
     join tenant t on t.id = r.tenant_id
     left join calendar_event e on e.id = r.event_id and e.tenant_id = r.tenant_id
     left join contact c on c.id = r.contact_id and c.tenant_id = r.tenant_id
     where r.id = ? and r.tenant_id = ?`,
    [reminderId, tenantId],
  );
  if (!rows[0]) throw new Error(`Reminder ${reminderId} not found`);
  const { fire_reminder, fire_tenant, fire_event, fire_contact, fire_opted_out } = rows[0];
  // The related rows first, so the reminder's references resolve to them.
  const tenant = em.map(TenantSchema, fire_tenant as Record<string, unknown>);
  const event = fire_event ? em.map(CalendarEventSchema, fire_event as Record<string, unknown>) : null;
  const contact = fire_contact ? em.map(ContactSchema, fire_contact as Record<string, unknown>) : null;
  return { r: em.map(ReminderSchema, fire_reminder as Record<string, unknown>), tenant, event, contact, optedOut: fire_opted_out === true };
}

/** What a fire step checked: the reminder's version and, for one that follows an event, the event's start. */
interface Checked {
  version: number;
  event: { id: string; startsAt: Date } | null;
  /**
   * The last occurrence written when the step read the row: another step (a retry whose
   * first attempt outlived its timeout) that wrote this occurrence since moves it, and this
   * one then sends nothing. Checked under the send's lock only.
   */
  lastOccurrenceAt: Date | null;
}

/**
 * Takes the reminder's row lock for a send with an outside effect, in a transaction of its
 * own (the send commits its outbound row before the provider call, on other connections),
 * and checks the reminder is still the one the fire step planned; `changed` when not. The
 * event it follows is share-locked too, so a move or cancel waits for the send instead of
 * landing unseen between the checks and the text.
 */
async function lockForSend(d: MessagingDeps, input: { tenantId: string; reminderId: string }, checked: Checked): Promise<EntityManager | 'changed'> {
  const guard = tenantEm(d.orm, input.tenantId);
  await guard.begin();
  // The event before the reminder: deleting an event locks it, then its reminders (the
  // foreign key's SET NULL), and the same order here leaves no cycle to deadlock on.
  const [e] = checked.event
    ? await guard.execute<Array<{ starts_at: Date; status: string }>>('select starts_at, status from calendar_event where id = ? and tenant_id = ? for share', [checked.event.id, input.tenantId])
    : [];
  const [now] = await guard.execute<Array<{ status: string; version: number; event_id: string | null; last_occurrence_at: Date | null }>>(
    'select status, version, event_id, last_occurrence_at from reminders where id = ? and tenant_id = ? for update',
    [input.reminderId, input.tenantId],
  );
  let same = now?.status === 'scheduled' && now.version === checked.version && (now.last_occurrence_at ? new Date(now.last_occurrence_at).getTime() : null) === (checked.lastOccurrenceAt?.getTime() ?? null);
  if (checked.event) same &&= now.event_id === checked.event.id && e?.status !== 'cancelled' && new Date(e?.starts_at ?? 0).getTime() === checked.event.startsAt.getTime();
  if (same) return guard;
  await guard.rollback();
  return 'changed';
}

/**
 * Writes a fire's outcome in one statement: the reminder's bookkeeping, its events (from
 * `em`'s unit of work) and, for the local sink, the new outbound row. One round trip
 * instead of a transaction's five, on the path every due reminder takes (bench:reminders).
 * With `expect`, it writes only while the reminder is still that version and scheduled
 * (and its event still at the start checked), and says whether it did. `via` runs it (a lock's transaction, or `em` itself).
 */
async function writeFire(via: EntityManager, em: EntityManager, row: OutboundMessage | null, r: Reminder, expect: Checked | null): Promise<boolean> {
  const events = [...em.getUnitOfWork().getPersistStack()].filter((e) => wrap(e, true).__meta.className === 'Event') as Event[];
  const now = new Date();
  const params: unknown[] = [r.status, r.nextSendAt ?? null, r.lastOccurrenceAt ?? null, r.sentCount, r.sentAt ?? null, r.lastError ?? null, now, r.id, r.tenant.id];
  let expected = '';
  if (expect) {
    expected = ` and version = ? and status = 'scheduled'`;
    params.push(expect.version);
  }
  if (expect?.event) {
    expected += ` and event_id = ? and exists (select 1 from calendar_event e where e.id = reminders.event_id and e.tenant_id = reminders.tenant_id and e.starts_at = ? and e.status <> 'cancelled')`;
    params.push(expect.event.id, expect.event.startsAt);
  }
  let inserts = '';
  if (row) {
    params.push(
      row.id, now, now, row.tenant.id, row.channel, row.toAddress, row.fromAddress ?? null, row.subject ?? null, row.body, row.contact?.id ?? null,
      row.status, row.provider ?? null, row.providerSid ?? null, JSON.stringify(row.cause), row.idempotencyKey, row.attempts, row.attemptedAt ?? null, row.sentAt ?? null,
    );
    inserts += `, o as (
       insert into outbound_messages (id, created_at, updated_at, tenant_id, channel, to_address, from_address, subject, body, contact_id,
                                      status, provider, provider_sid, cause, idempotency_key, attempts, attempted_at, sent_at)
       select ?::uuid, ?::timestamptz, ?::timestamptz, ?::uuid, ?::text, ?::text, ?::text, ?::text, ?::text, ?::uuid,
              ?::text, ?::text, ?::text, ?::jsonb, ?::text, ?::int, ?::timestamptz, ?::timestamptz from u)`;
  }
  if (events.length) {
    const eventRows = events.map((e) => {
      params.push(e.id, now, now, e.tenant.id, e.type, e.entityType, e.entityId, JSON.stringify(e.payload));
      return '(?::uuid, ?::timestamptz, ?::timestamptz, ?::uuid, ?::text, ?::text, ?::uuid, ?::jsonb)';
    });
    // Every event of the fire (its text's too) carries the automation run that made the reminder.
    inserts += `, e as (
       insert into events (id, created_at, updated_at, tenant_id, type, entity_type, entity_id, payload, automation_run_id, automation_depth)
       select v.*, u.automation_run_id, u.automation_depth from u, (values ${eventRows.join(', ')}) v)`;
  }
  // The inserts take their one row from the update: nothing is written when it matched none.
  const [written] = await executePrepared<{ n: number }>(
    via,
    `with u as (
       update reminders set status = ?, next_send_at = ?, last_occurrence_at = ?, sent_count = ?, sent_at = ?, last_error = ?, updated_at = ?
       where id = ? and tenant_id = ?${expected} returning id, automation_run_id, automation_depth
     )${inserts}
     select count(*)::int as n from u`,
    params,
  );
  em.clear();
  return written?.n === 1;
}
