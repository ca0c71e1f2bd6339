/**
 * The catalogue of domain events. Each is written to the outbox (entities/Event.ts) in
 * the transaction that caused it; webhooks and automations subscribe by these names.
 */
export const EVENT_TYPES = {
  'tenant.onboarded': 'A new tenant finished onboarding (default pipeline created).',
  'contact.created': 'A contact was created, by a user or by triage.',
  'contact.updated': 'A contact was changed.',
  'contact.deleted': 'A contact was deleted.',
  'contact.sms_opt_out': 'A contact opted out of (or back into) SMS.',
  'message.received': 'An inbound message was stored.',
  'message.triaged': 'Triage classified a message.',
  'lead.created': 'A lead was created.',
} as const;

export type EventType = keyof typeof EVENT_TYPES;
