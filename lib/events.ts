import { z } from 'zod';

/**
 * The catalogue of domain events: what each means, the shape of its `data` (a zod
 * schema, so the shape is written once and checked), an example, and whether the
 * product emits it yet. Each event is written to the outbox (entities/Event.ts) in the
 * transaction that caused it; webhooks and automations subscribe by these names.
 * A delivery's body is `{id, type, event, timestamp, tenant_id, data}` (eventEnvelope).
 */

const contact = z.object({
  id: z.uuid(),
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  organization: z.string().nullable(),
  tags: z.array(z.string()),
});
const lead = z.object({
  id: z.uuid(),
  title: z.string(),
  source: z.string(),
  status: z.string(),
  contact: contact.nullable(),
});
const anyData = z.record(z.string(), z.unknown());

const C1 = '3b1f7a4e-8a43-4c1e-9f0e-5c2d7e9a1b10';
const L1 = '8d2c4f6a-1e3b-4a5c-9d7e-0f1a2b3c4d5e';
const M1 = 'a7e9c1d3-5f7b-4d2e-8c6a-4b3d2e1f0a9c';
const T1 = 'f0e1d2c3-b4a5-4968-8776-655443322110';
const exampleContact = { id: C1, name: 'Jane Doe', email: 'jane@acme.com', phone: '+15551234567', organization: 'Acme', tags: ['vip'] };
const exampleLead = { id: L1, title: 'Jane Doe: pricing for 20 seats', source: 'email', status: 'new', contact: exampleContact };

const calendarEvent = z.object({
  id: z.uuid(),
  title: z.string(),
  start_time: z.string(),
  end_time: z.string(),
  all_day: z.boolean(),
  status: z.string(),
  location: z.string().nullable(),
  attendees: z.array(z.string()),
  contact_id: z.uuid().nullable(),
  lead_id: z.uuid().nullable(),
});
const exampleEvent = {
  id: T1,
  title: 'Product demo',
  start_time: '2027-01-15T15:00:00.000Z',
  end_time: '2027-01-15T16:00:00.000Z',
  all_day: false,
  status: 'confirmed',
  location: null,
  attendees: ['jane@acme.com'],
  contact_id: C1,
  lead_id: L1,
};

const outboundData = z.object({
  sms_id: z.uuid(),
  channel: z.string(),
  to: z.string(),
  status: z.string(),
  provider_sid: z.string().nullable(),
  error_code: z.string().nullable(),
  contact_id: z.uuid().nullable(),
  cause: z.object({ type: z.string(), reminder_id: z.string().optional(), user_id: z.string().optional(), occurrence: z.string().optional() }),
});
const exampleOutbound = {
  sms_id: T1,
  channel: 'sms',
  to: '+15551234567',
  status: 'sent',
  provider_sid: 'SM0123456789abcdef0123456789abcdef',
  error_code: null,
  contact_id: C1,
  cause: { type: 'api', user_id: T1 },
};
const reminderData = z.object({
  reminder_id: z.uuid(),
  channel: z.string(),
  to: z.string().nullable(),
  contact_id: z.uuid().nullable(),
  event_id: z.uuid().nullable(),
  occurrence: z.string(),
  status: z.string(),
  sms_id: z.uuid().nullable(),
  error: z.string().nullable(),
});
const exampleReminder = {
  reminder_id: T1,
  channel: 'sms',
  to: '+15551234567',
  contact_id: C1,
  event_id: null,
  occurrence: '2027-01-15T14:00:00.000Z',
  status: 'sent',
  sms_id: T1,
  error: null,
};

/** The one shape of an outbound message in events. */
export function outboundEventData(m: {
  id: string;
  channel: string;
  toAddress: string;
  status: string;
  providerSid?: string | null;
  errorCode?: string | null;
  contact?: { id: string } | null;
  cause: { type: string; reminder_id?: string; user_id?: string; occurrence?: string };
}): z.infer<typeof outboundData> {
  return {
    sms_id: m.id,
    channel: m.channel,
    to: m.toAddress,
    status: m.status,
    provider_sid: m.providerSid ?? null,
    error_code: m.errorCode ?? null,
    contact_id: m.contact?.id ?? null,
    cause: m.cause,
  };
}

const knowledgeDocument = z.object({ document_id: z.uuid(), title: z.string(), type: z.string(), revision: z.number().int() });

interface EventSpec {
  description: string;
  /** false: listed so endpoints can subscribe ahead, but no landed code writes it yet. */
  emitted: boolean;
  data: z.ZodType;
  example: Record<string, unknown>;
}

const spec = <S extends z.ZodType>(description: string, data: S, example: z.infer<S> & Record<string, unknown>, emitted = true) => ({
  description,
  emitted,
  data,
  example,
});
const planned = (description: string, example: Record<string, unknown>) => spec(description, anyData, example, false);

export const EVENT_CATALOGUE = {
  'tenant.onboarded': spec('A new tenant finished onboarding (default pipeline created).', z.object({ tenant_id: z.uuid(), name: z.string() }), {
    tenant_id: T1,
    name: 'Acme',
  }),
  'contact.created': spec('A contact was created, by a user or by triage.', z.object({ contact }), { contact: exampleContact }),
  'contact.updated': spec('A contact was changed.', z.object({ contact, changed: z.array(z.string()) }), {
    contact: exampleContact,
    changed: ['phone'],
  }),
  'contact.deleted': spec('A contact was deleted.', z.object({ contact }), { contact: exampleContact }),
  'contact.sms_opt_out': spec(
    'A contact opted out of (or back into) SMS.',
    z.object({ contact_id: z.uuid(), phone: z.string().nullable(), opted_out: z.boolean(), message_id: z.uuid() }),
    { contact_id: C1, phone: '+15551234567', opted_out: true, message_id: M1 },
  ),
  'message.received': spec(
    'An inbound message was stored.',
    z.object({ message_id: z.uuid(), channel: z.string(), customer_email: z.string().nullable(), customer_phone: z.string().nullable() }),
    { message_id: M1, channel: 'email', customer_email: 'jane@acme.com', customer_phone: null },
  ),
  'message.triaged': spec(
    'Triage classified a message.',
    z.object({
      message_id: z.uuid(),
      status: z.string(),
      category: z.string(),
      priority: z.string(),
      confidence: z.number(),
      contact_id: z.uuid().nullable(),
      lead_id: z.uuid().nullable(),
    }),
    { message_id: M1, status: 'triaged', category: 'sales_inquiry', priority: 'high', confidence: 0.92, contact_id: C1, lead_id: L1 },
  ),
  'lead.created': spec('A lead was created, by a user or by triage (then `message_id` names the message).', z.object({ lead, message_id: z.uuid().nullable() }), {
    lead: exampleLead,
    message_id: M1,
  }),
  'lead.updated': spec('A lead was changed through the API; `changed` names the fields sent.', z.object({ lead, changed: z.array(z.string()) }), { lead: exampleLead, changed: ['status'] }),
  'lead.score_changed': spec(
    'A lead\'s score (0–100 points) moved: rescored on create, on a new activity or message, on a status or stage change, or on request.',
    z.object({ lead, previous_score: z.number().int().nullable(), score: z.number().int(), conversion_probability: z.number() }),
    { lead: exampleLead, previous_score: 40, score: 72, conversion_probability: 0.61 },
  ),
  'reminder.sent': spec('A reminder\'s occurrence was sent.', reminderData, exampleReminder),
  'reminder.failed': spec('A reminder could not be sent (opted out, refused by the provider, its event gone); `error` says why.', reminderData, {
    ...exampleReminder,
    status: 'failed',
    error: 'opted_out',
  }),
  'sms.sent': spec('Twilio accepted a text (SMS or WhatsApp) for sending (or the local sink recorded it).', outboundData, exampleOutbound),
  'sms.delivered': spec('Twilio reported a text delivered.', outboundData, { ...exampleOutbound, status: 'delivered' }),
  'sms.failed': spec('A text was not delivered: refused, undelivered, or never sent (opted out); `error_code` says why.', outboundData, {
    ...exampleOutbound,
    status: 'failed',
    error_code: '21610',
  }),
  'sms.received': planned('An SMS arrived.', { message_id: M1, from: '+15551234567' }),
  'email.sent': spec('An email was handed to the SMTP server (or the local sink recorded it).', outboundData, { ...exampleOutbound, channel: 'email', to: 'jane@acme.com' }),
  'email.failed': spec('The SMTP server refused an email for good.', outboundData, { ...exampleOutbound, channel: 'email', to: 'jane@acme.com', status: 'failed', error_code: '550' }),
  'call.started': spec('An outbound AI call was answered and its conversation began.', z.object({ call_id: z.uuid(), to: z.string() }), { call_id: T1, to: '+15551234567' }),
  'call.ended': spec('A call ended (answered or not): how long the conversation lasted.', z.object({ call_id: z.uuid(), duration_seconds: z.number().int() }), { call_id: T1, duration_seconds: 93 }),
  'call.completed': spec('A call was held to its end; `outcome` is its recommendation.', z.object({ call_id: z.uuid(), outcome: z.string() }), { call_id: T1, outcome: 'Medium priority - Follow up with pricing information' }),
  'call.failed': spec('A call was not held: busy, no answer after every attempt, voicemail, refused (do_not_call, opted_out), outside its window, cancelled.', z.object({ call_id: z.uuid(), error: z.string() }), { call_id: T1, error: 'no_answer' }),
  'call.transferred': planned('A call was transferred to a person.', { call_id: T1, to: '+15559876543' }),
  'call.recording.available': planned('A call recording is available.', { call_id: T1, recording_url: 'https://example.com/r.mp3' }),
  'call.transcript.available': planned('A call transcript is available.', { call_id: T1, transcript: 'Hello…' }),
  'calendar.event.created': spec('A calendar event was created (through the API; triage proposes events without this event).', z.object({ event: calendarEvent }), { event: exampleEvent }),
  'calendar.event.updated': spec('A calendar event changed (moved, confirmed, declined, cancelled); `changed` names the fields.', z.object({ event: calendarEvent, changed: z.array(z.string()) }), {
    event: exampleEvent,
    changed: ['start_time', 'end_time'],
  }),
  'calendar.event.deleted': spec('A calendar event was deleted.', z.object({ event: calendarEvent }), { event: exampleEvent }),
  'sync.completed': spec(
    'A sync pass or run finished (calendar: a pass that changed something; CRM: every run). Counts of records created, updated and deleted (archived) here from the provider and pushed to it; a CRM run adds what it fetched, the conflicts the field rule settled and the records the provider refused.',
    z.object({
      integration_id: z.uuid(),
      data_type: z.string(),
      provider: z.string(),
      created: z.number(),
      updated: z.number(),
      deleted: z.number(),
      pushed: z.number(),
      fetched: z.number().optional(),
      archived: z.number().optional(),
      conflicts: z.number().optional(),
      errors: z.number().optional(),
    }),
    { integration_id: T1, data_type: 'calendar', provider: 'google', created: 3, updated: 1, deleted: 0, pushed: 2 },
  ),
  'sync.failed': spec(
    'A sync stopped and needs a person: `invalid_grant` means the provider access was revoked or expired, so the connection needs to be connected again.',
    z.object({ integration_id: z.uuid(), data_type: z.string(), provider: z.string(), error: z.string() }),
    { integration_id: T1, data_type: 'calendar', provider: 'google', error: 'invalid_grant' },
  ),
  'knowledge.document.indexed': spec(
    'A knowledge-base document was indexed and is searchable: its passages, how many were embedded anew (unchanged ones keep their vectors) and the model.',
    knowledgeDocument.extend({ chunk_count: z.number().int(), chunks_embedded: z.number().int(), embedding_model: z.string() }),
    { document_id: T1, title: 'Product Features', type: 'text', revision: 1, chunk_count: 3, chunks_embedded: 3, embedding_model: 'local-hash-v1' },
  ),
  'knowledge.document.failed': spec(
    'A knowledge-base document could not be indexed (its URL refused or unreachable, an unsupported or empty file); `error` says why.',
    knowledgeDocument.extend({ error: z.string() }),
    { document_id: T1, title: 'Pricing page', type: 'url', revision: 2, error: 'https://example.com/pricing answered 404' },
  ),
  'automation.completed': planned('An automation run finished.', { automation_id: T1, run_id: 'automation-…' }),
  'automation.failed': planned('An automation run failed.', { automation_id: T1, error: 'step 2: timeout' }),
  'webhook.endpoint_disabled': spec(
    'A webhook endpoint was disabled: it answered 410 Gone, or failed every delivery for days.',
    z.object({ endpoint_id: z.uuid(), url: z.string(), reason: z.string() }),
    { endpoint_id: T1, url: 'https://example.com/hooks', reason: 'answered 410 Gone' },
  ),
  'webhook.test': spec('A test event sent by POST /webhooks/trigger with the caller\'s data.', anyData, { hello: 'world' }),
} satisfies Record<string, EventSpec>;

export type EventType = keyof typeof EVENT_CATALOGUE;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_CATALOGUE)[T]['data']>;
export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];
export const isEventType = (name: string): name is EventType => Object.hasOwn(EVENT_CATALOGUE, name);

/** The body every subscriber receives: seed 000's `type` and seed 004's `event`, both. */
export function eventEnvelope(e: { id: string; type: string; createdAt: Date; tenantId: string; payload: unknown }) {
  return { id: e.id, type: e.type, event: e.type, timestamp: e.createdAt.toISOString(), tenant_id: e.tenantId, data: e.payload };
}
