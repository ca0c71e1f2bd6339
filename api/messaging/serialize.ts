import type { OutboundMessage } from '../../entities/OutboundMessage.ts';
import { sendMessageWorkflowId } from '../../workflows/sendMessage.client.ts';

export const outboundDto = (m: OutboundMessage) => ({
  id: m.id,
  channel: m.channel,
  to: m.toAddress,
  from: m.fromAddress ?? null,
  subject: m.subject ?? null,
  body: m.body,
  status: m.status,
  provider: m.provider ?? null,
  provider_sid: m.providerSid ?? null,
  error_code: m.errorCode ?? null,
  error_message: m.errorMessage ?? null,
  contact_id: m.contact?.id ?? null,
  cause: m.cause,
  attempts: m.attempts,
  sent_at: m.sentAt?.toISOString() ?? null,
  delivered_at: m.deliveredAt?.toISOString() ?? null,
  created_at: m.createdAt.toISOString(),
  // Reminders send inside their own run; a message sent through the API has its own.
  run: { workflow_id: m.cause.type === 'reminder' ? `reminder-${m.cause.reminder_id}` : m.cause.type === 'automation' ? `automation-${m.cause.run_id}` : m.cause.type === 'campaign' ? `campaign-${m.cause.campaign_id}` : sendMessageWorkflowId(m.id) },
});
