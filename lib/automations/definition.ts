import { z } from 'zod';
import { parseDuration } from '../retrySchedule.ts';
import { parseOffset } from '../reminderOffset.ts';
import { isEventType } from '../events.ts';
import { OPERATORS, patternProblem, type Condition } from './conditions.ts';
import { PATH } from './paths.ts';
import { graphIssues, stepIdOf } from './steps.ts';
import { templateProblem } from './template.ts';
import { EVENT_OFFSET } from './eventOffset.ts';
import { cronProblem } from './cron.ts';
import { isTimeZone } from '../timeZone.ts';

/**
 * An automation's definition, as seed 002's "workflows" write it: `trigger_type`,
 * `trigger_config`, `conditions`, `actions`. Checked on save with a field-level error for
 * each problem: an unknown action or field, a bad template or pattern, a step no path
 * reaches, a loop.
 */
export const TRIGGER_TYPES = ['event', 'manual', 'time_based', 'sla', 'webhook'] as const;
export const ACTION_TYPES = [
  'send_sms',
  'send_email',
  'create_task',
  'create_lead',
  'update_lead',
  'add_note',
  'update_contact',
  'add_tag',
  'http_request',
  'start_call',
  'schedule_reminder',
  'wait',
  'wait_for_event',
  'branch',
  'stop',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

const template = (max: number) =>
  z
    .string()
    .max(max)
    .superRefine((t, ctx) => {
      const problem = templateProblem(t);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
const required = (max: number) => template(max).refine((t) => t.trim().length > 0, 'must not be empty');
const duration = z.string().refine((d) => {
  try {
    return parseDuration(d) > 0;
  } catch {
    return false;
  }
}, 'must be a duration such as 30s, 15m, 2h or 3d');
const stepId = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be lowercase letters, digits and _ (at most 40), starting with a letter');
const eventType = z.string().refine((t) => isEventType(t), 'is not an event of the catalogue (GET /webhooks/event-types)');

const leaf = z.strictObject({
  type: z.enum(OPERATORS),
  field: z.string().regex(PATH, 'must be a field path such as event.type'),
  value: z.unknown().optional(),
});
export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(conditionSchema).min(1).max(50) }),
    z.strictObject({ any: z.array(conditionSchema).min(1).max(50) }),
    z.strictObject({ not: conditionSchema }),
    leaf.superRefine((c, ctx) => {
      if (c.type !== 'exists' && c.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `is required for ${c.type}` });
      if (c.type === 'in' && !Array.isArray(c.value)) ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be a list for in' });
      if (c.type === 'matches') {
        const problem = typeof c.value === 'string' ? patternProblem(c.value) : 'must be a regular expression';
        if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
      }
    }),
  ]),
).meta({ id: 'AutomationCondition', description: 'all / any / not, nested, over {type, field, value} comparisons' }) as z.ZodType<Condition>;

const common = { id: stepId.optional(), next: z.string().max(40).optional(), retry: z.strictObject({ max_attempts: z.number().int().min(1).max(10) }).optional() };
const fields = z.record(z.string().max(64), z.unknown()).refine((v) => JSON.stringify(v).length <= 10_000, 'must be at most 10,000 characters as JSON');

export const actionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('send_sms'), ...common, to_number: required(200), message: required(1_600), channel: z.enum(['sms', 'whatsapp']).optional() }),
  z.strictObject({ type: z.literal('send_email'), ...common, to: required(320), subject: template(300).optional(), body: required(20_000) }),
  z.strictObject({ type: z.literal('create_task'), ...common, title: required(300), due_in: duration.optional(), contact_id: template(100).optional() }),
  z.strictObject({
    type: z.literal('create_lead'),
    ...common,
    title: required(300),
    contact_id: template(100).optional(),
    contact: z.strictObject({ name: template(200).optional(), email: template(320).optional(), phone: template(64).optional() }).optional(),
    value: z.union([z.number(), template(40)]).optional(),
    source: template(50).optional(),
  }),
  z.strictObject({ type: z.literal('update_lead'), ...common, lead_id: required(100), fields: z.strictObject({ status: template(30).optional(), stage: template(100).optional(), title: template(300).optional(), value: z.union([z.number(), template(40)]).optional() }) }),
  z.strictObject({ type: z.literal('add_note'), ...common, lead_id: required(100), text: required(5_000) }),
  z.strictObject({ type: z.literal('update_contact'), ...common, contact_id: required(100), fields: z.strictObject({ name: template(200).optional(), email: template(320).optional(), phone: template(64).optional(), organization: template(200).optional(), custom_fields: fields.optional() }) }),
  z.strictObject({ type: z.literal('add_tag'), ...common, contact_id: required(100), tag: required(50) }),
  z.strictObject({
    type: z.literal('http_request'),
    ...common,
    url: required(2_000),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name'), template(1_000)).optional(),
    body: z.unknown().optional(),
  }),
  z
    .strictObject({
      type: z.literal('start_call'),
      ...common,
      phone_number: template(64).optional(),
      contact_id: template(100).optional(),
      lead_id: template(100).optional(),
      purpose: template(500).optional(),
      voice_settings: fields.optional(),
      max_attempts: z.number().int().min(1).max(10).optional(),
    })
    .refine((c) => c.phone_number !== undefined || c.contact_id !== undefined || c.lead_id !== undefined, { message: 'needs a phone_number, contact_id or lead_id', path: ['phone_number'] }),
  z
    .strictObject({
      type: z.literal('schedule_reminder'),
      ...common,
      channel: z.enum(['sms', 'whatsapp', 'email']).default('sms'),
      contact_id: template(100).optional(),
      to: template(320).optional(),
      message: required(1_600),
      subject: template(300).optional(),
      send_at: template(100).optional(),
      timezone: template(64).optional(),
      event_id: template(100).optional(),
      offset: z
        .string()
        .refine((o) => {
          try {
            parseOffset(o);
            return true;
          } catch {
            return false;
          }
        }, 'must be an offset such as -24h, -15m or -1h30m')
        .optional(),
      urgent: z.boolean().optional(),
    })
    .refine((r) => (r.contact_id !== undefined) !== (r.to !== undefined), { message: 'needs exactly one of contact_id or to', path: ['contact_id'] })
    .refine((r) => (r.send_at !== undefined) !== (r.event_id !== undefined), { message: 'needs exactly one of send_at or event_id', path: ['send_at'] }),
  z.strictObject({ type: z.literal('wait'), ...common, duration: duration.optional(), until: template(100).optional() }).refine((w) => (w.duration === undefined) !== (w.until === undefined), {
    message: 'needs exactly one of duration or until',
    path: ['duration'],
  }),
  z.strictObject({
    type: z.literal('wait_for_event'),
    ...common,
    events: z.array(eventType).min(1).max(10),
    /** The event's field (a path into its data) that must equal `equals`, rendered from the context. */
    match: z.strictObject({ field: z.string().regex(PATH, 'must be a field path such as lead.id'), equals: template(200) }).optional(),
    timeout: duration,
  }),
  z.strictObject({ type: z.literal('branch'), id: common.id, retry: common.retry, condition: conditionSchema, then: z.string().max(40).optional(), else: z.string().max(40).optional() }),
  z.strictObject({ type: z.literal('stop'), id: common.id, reason: template(200).optional() }),
]);
export type Action = z.infer<typeof actionSchema>;

export const triggerConfigSchemas = {
  event: z.strictObject({ event: eventType, filter: conditionSchema.optional() }),
  manual: z.strictObject({}),
  /** Seed 002's `{schedule: "24h_before_event"}`: a run per calendar event, at its start plus the offset (it follows the event when it moves). */
  time_based: z
    .strictObject({
      schedule: z.string().regex(EVENT_OFFSET, 'must be an offset from a calendar event such as 24h_before_event, 15m_before_event or 2d_after_event').optional(),
      /** Or a cron expression (five fields) read in `timezone` (IANA; UTC by default): a Temporal Schedule fires it. */
      cron: z
        .string()
        .max(100)
        .superRefine((c, ctx) => {
          const problem = cronProblem(c);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .optional(),
      timezone: z
        .string()
        .max(64)
        .refine((zone) => isTimeZone(zone), 'must be an IANA time zone such as Europe/Paris')
        .optional(),
    })
    .refine((t) => (t.schedule === undefined) !== (t.cron === undefined), { message: 'needs exactly one of schedule (an offset from a calendar event) or cron', path: ['schedule'] })
    .refine((t) => t.timezone === undefined || t.cron !== undefined, { message: 'goes with cron', path: ['timezone'] }),
  /** An inbox message nobody has taken up (still new, triaged or waiting for review) this long after it arrived. */
  sla: z.strictObject({ after: duration }),
  /** POST /automations/{id}/webhook, signed with the automation's own secret (Standard Webhooks). */
  webhook: z.strictObject({}),
} as const;

export const definitionSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2_000).nullable().optional(),
    trigger_type: z.enum(TRIGGER_TYPES, { error: `must be one of ${TRIGGER_TYPES.join(', ')}` }),
    trigger_config: z.record(z.string(), z.unknown()).default({}),
    conditions: conditionSchema.nullable().optional(),
    actions: z.array(z.unknown()).min(1, 'needs at least one action').max(50),
    enabled: z.boolean().default(true),
    /** This automation's runs at once; an event or execute past it is refused (0: no limit). */
    max_concurrent_runs: z.number().int().min(0).max(1_000).default(0),
  })
  .superRefine((d, ctx) => {
    const config = triggerConfigSchemas[d.trigger_type]?.safeParse(d.trigger_config);
    if (config && !config.success) for (const issue of config.error.issues) ctx.addIssue({ ...issue, path: ['trigger_config', ...issue.path] } as z.core.$ZodRawIssue);
    const steps: Array<{ id: string; type: string; next?: string; then?: string; else?: string }> = [];
    d.actions.forEach((raw, i) => {
      const type = (raw as { type?: unknown })?.type;
      if (typeof type !== 'string' || !(ACTION_TYPES as readonly string[]).includes(type)) {
        ctx.addIssue({ code: 'custom', path: ['actions', i, 'type'], message: `is not an action: use one of ${ACTION_TYPES.join(', ')}` });
        return;
      }
      const parsed = actionSchema.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: ['actions', i, ...issue.path] } as z.core.$ZodRawIssue);
        return;
      }
      const a = parsed.data as { id?: string; type: string; next?: string; then?: string; else?: string };
      steps.push({ id: stepIdOf(a, i), type: a.type, next: a.next, then: a.then, else: a.else });
    });
    if (steps.length !== d.actions.length) return;
    for (const issue of graphIssues(steps)) ctx.addIssue({ code: 'custom', path: ['actions', issue.index, issue.field], message: issue.message });
  });

export type DefinitionInput = z.input<typeof definitionSchema>;
export type Definition = z.infer<typeof definitionSchema>;

/** What a run keeps: the version it started with, actions parsed (defaults applied), each with its step id. */
export interface RunDefinition {
  version: number;
  conditions: Condition | null;
  steps: Array<Action & { id: string }>;
}

export function runDefinition(d: Pick<Definition, 'conditions' | 'actions'>, version: number): RunDefinition {
  return { version, conditions: d.conditions ?? null, steps: d.actions.map((a, i) => ({ ...actionSchema.parse(a), id: stepIdOf(a as { id?: string }, i) })) };
}
