import type { Reminder } from '../../entities/Reminder.ts';
import type { RunRef } from '../../lib/workflowClient.ts';
import { reminderWorkflowId } from '../../workflows/sendReminder.client.ts';

export const reminderDto = (r: Reminder, run?: RunRef) => ({
  id: r.id,
  channel: r.channel,
  contact_id: r.contact?.id ?? null,
  to: r.toAddress ?? null,
  message: r.message,
  subject: r.subject ?? null,
  send_at: r.sendAt?.toISOString() ?? null,
  timezone: r.timezone,
  locale: r.locale,
  event_id: r.event?.id ?? null,
  offset: r.offset ?? null,
  rrule: r.rrule ?? null,
  until: r.until?.toISOString() ?? null,
  urgent: r.urgent,
  status: r.status,
  next_send_at: r.nextSendAt?.toISOString() ?? null,
  sent_at: r.sentAt?.toISOString() ?? null,
  sent_count: r.sentCount,
  last_error: r.lastError ?? null,
  created_at: r.createdAt.toISOString(),
  updated_at: r.updatedAt.toISOString(),
  // The run's own state is at GET /runs/{workflow_id}; here, what the reminder says of it.
  run: run ?? { workflow_id: reminderWorkflowId(r.id), run_id: null, status: r.status === 'scheduled' ? 'running' : 'completed' },
});
