import type { EntityManager } from '../lib/db.ts';
import { isOccurrence } from '../lib/reminderTime.ts';
import { nextAllowedTime } from '../lib/quietHours.ts';
import { ReminderSchema } from '../entities/Reminder.ts';
import { CalendarEventSchema } from '../entities/CalendarEvent.ts';
import type { OutboundMessage } from '../entities/OutboundMessage.ts';
import type { Tenant } from '../entities/Tenant.ts';
import { anchorOf } from './reminderAnchor.ts';

export type ResendCheck = { withdraw: { code: string; message: string } } | { deferUntil: Date } | null;

/**
 * Whether a reminder's text may go out again after a transient undelivery: the fire step
 * checked the reminder, its event and quiet hours before the first attempt, and minutes may
 * have passed since. A text for an occurrence that no longer stands (the reminder cancelled,
 * its event cancelled, deleted or moved) is withdrawn; a non-urgent one that would now land
 * in quiet hours waits for their end. Null for any other text, or when it may go.
 */
export async function checkReminderResend(em: EntityManager, m: OutboundMessage, tenant: Tenant, now: Date): Promise<ResendCheck> {
  const cause = m.cause;
  if (cause?.type !== 'reminder' || !cause.reminder_id || !cause.occurrence) return null;
  const r = await em.findOne(ReminderSchema, cause.reminder_id);
  if (!r || r.status === 'cancelled') return { withdraw: { code: 'reminder_cancelled', message: 'Not sent again: the reminder was cancelled after the first attempt' } };
  const event = r.event ? await em.findOne(CalendarEventSchema, r.event.id) : null;
  const anchor = anchorOf(r, event, now);
  if ('gone' in anchor) return { withdraw: { code: anchor.code, message: `Not sent again: ${anchor.gone} after the first attempt` } };
  if (!isOccurrence({ anchor: anchor.at, timezone: r.timezone, rrule: r.rrule, until: r.until }, new Date(cause.occurrence))) {
    return { withdraw: { code: 'reminder_moved', message: 'Not sent again: the reminder (or its event) was moved after the first attempt' } };
  }
  if (!r.urgent && m.channel !== 'email') {
    const allowed = nextAllowedTime(now, r.timezone, tenant.quietHours ?? null);
    if (allowed.getTime() > now.getTime() + 1000) return { deferUntil: allowed };
  }
  return null;
}
