import type { EntityManager } from '../lib/db.ts';
import { recordEvent } from './Event.ts';
import { ReminderSchema, type Reminder } from './Reminder.ts';

/** `reminder.sent` or `reminder.failed`, in the one shape of the catalogue. */
export function recordReminderEvent(em: EntityManager, r: Reminder, status: 'sent' | 'failed', occurrence: Date | null, smsId: string | null, error: string | null) {
  const automation = r.automationRunId ? { runId: r.automationRunId, depth: r.automationDepth } : null;
  recordEvent(em, { tenantId: r.tenant.id, type: `reminder.${status}`, entityType: 'reminder', entityId: r.id, payload: reminderEventData(r, occurrence, status, smsId, error), automation });
}

function reminderEventData(r: Reminder, occurrence: Date | null, status: string, smsId: string | null, error: string | null) {
  return {
    reminder_id: r.id,
    channel: r.channel,
    to: r.toAddress ?? null,
    contact_id: r.contact?.id ?? null,
    event_id: r.event?.id ?? null,
    occurrence: (occurrence ?? r.nextSendAt ?? new Date()).toISOString(),
    status,
    sms_id: smsId,
    error,
  };
}

/**
 * Twilio's final word that a reminder's text did not arrive (a permanent code, or a
 * transient one after the last re-send), in the caller's transaction: the reminder says
 * why, a one-off that was `sent` becomes `failed`, and `reminder.failed` is recorded.
 */
export async function recordReminderUndelivered(em: EntityManager, cause: { reminder_id: string; occurrence: string }, smsId: string, why: string): Promise<void> {
  const r = await em.findOne(ReminderSchema, cause.reminder_id);
  if (!r) return;
  r.lastError = `occurrence ${cause.occurrence}: ${why}`.slice(0, 500);
  if (r.status === 'sent' && !r.rrule) r.status = 'failed';
  recordReminderEvent(em, r, 'failed', new Date(cause.occurrence), smsId, why);
}
