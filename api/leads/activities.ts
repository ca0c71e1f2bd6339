import { z } from 'zod';
import { notFound } from '../../lib/errors.ts';
import type { EntityManager } from '../../lib/db.ts';
import { LeadSchema } from '../../entities/Lead.ts';
import { LeadActivitySchema, NOTE_TYPES, recordLeadActivity, type LeadActivity } from '../../entities/LeadActivity.ts';
import { listPage, listQuery, paginationSchema } from '../pagination.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { leadParams } from './schema.ts';

const noteBody = z.strictObject({
  content: z.string().trim().min(1, 'must not be empty').max(10_000),
  type: z.enum(NOTE_TYPES, { error: `must be one of ${NOTE_TYPES.join(', ')}` }).default('note'),
});

const activityBody = z.strictObject({
  /** Seed 004's free-form kind (`email_sent`, `demo_booked`, …). */
  activity_type: z.string().trim().regex(/^[a-z][a-z0-9_.-]{0,49}$/, 'must be a short lower-case name such as email_sent'),
  description: z.string().trim().min(1, 'must not be empty').max(10_000),
  metadata: z
    .record(z.string().max(100), z.unknown())
    .refine((m) => JSON.stringify(m).length <= 10_000, 'must be at most 10,000 characters as JSON')
    .optional(),
});

const timelineQuery = listQuery(['created_at'] as const, 'created_at');

const noteSchema = z.object({ id: z.uuid(), lead_id: z.uuid(), content: z.string(), type: z.enum(NOTE_TYPES), created_by: z.uuid().nullable(), created_at: z.string() });
const activitySchema = z.object({
  id: z.uuid(),
  lead_id: z.uuid(),
  activity_type: z.string(),
  description: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  /** The user who wrote it; null when the product recorded it. */
  created_by: z.uuid().nullable(),
  created_at: z.string(),
});

const noteDto = (a: LeadActivity) => ({ id: a.id, lead_id: a.lead.id, content: a.description, type: a.noteType ?? 'note', created_by: a.user?.id ?? null, created_at: a.createdAt.toISOString() });
const activityDto = (a: LeadActivity) => ({
  id: a.id,
  lead_id: a.lead.id,
  activity_type: a.activityType,
  description: a.description,
  metadata: a.noteType ? { ...a.metadata, note_type: a.noteType } : a.metadata,
  created_by: a.user?.id ?? null,
  created_at: a.createdAt.toISOString(),
});

async function leadOf(em: EntityManager, id: string) {
  const lead = await em.findOne(LeadSchema, id, { fields: ['id'] });
  if (!lead) throw notFound('Lead');
  return lead;
}

/** A lead's timeline (seed 000's notes, seed 004's activities): one table, notes are entries of type `note`. */
export const leadActivityRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/crm/leads/:id/notes',
    tag: 'leads',
    summary: "Add a note to a lead (seed 000): its kind is `note`, `call`, `email` or `meeting`; it joins the lead's activities",
    params: leadParams,
    body: noteBody,
    status: 201,
    response: dataSchema(noteSchema),
    handler: async (ctx, { params, body, caller }) => {
      const lead = await leadOf(ctx.state.em, params.id);
      const note = recordLeadActivity(ctx.state.em, { tenantId: caller.tenantId, leadId: lead.id, userId: caller.userId, activityType: 'note', noteType: body.type, description: body.content });
      await ctx.state.em.flush();
      return one(noteDto(note));
    },
  }),
  route({
    method: 'get',
    path: '/crm/leads/:id/notes',
    tag: 'leads',
    summary: "A lead's notes, newest first",
    params: leadParams,
    query: timelineQuery,
    response: z.object({ data: z.array(noteSchema), pagination: paginationSchema }),
    handler: async (ctx, { params, query }) => {
      const lead = await leadOf(ctx.state.em, params.id);
      return listPage(ctx.state.em, LeadActivitySchema, { lead: lead.id, activityType: 'note' }, query, { created_at: 'createdAt' }, noteDto);
    },
  }),
  route({
    method: 'post',
    path: '/crm/leads/:id/activities',
    tag: 'leads',
    summary: 'Log an activity on a lead (seed 004: `activity_type`, `description`, `metadata`)',
    params: leadParams,
    body: activityBody,
    status: 201,
    response: dataSchema(activitySchema),
    handler: async (ctx, { params, body, caller }) => {
      const lead = await leadOf(ctx.state.em, params.id);
      const activity = recordLeadActivity(ctx.state.em, { tenantId: caller.tenantId, leadId: lead.id, userId: caller.userId, activityType: body.activity_type, description: body.description, metadata: body.metadata ?? {} });
      await ctx.state.em.flush();
      return one(activityDto(activity));
    },
  }),
  route({
    method: 'get',
    path: '/crm/leads/:id/activities',
    tag: 'leads',
    summary: "A lead's whole timeline, newest first: notes, logged activities, and what the product recorded (stage and status changes)",
    params: leadParams,
    query: timelineQuery,
    response: z.object({ data: z.array(activitySchema), pagination: paginationSchema }),
    handler: async (ctx, { params, query }) => {
      const lead = await leadOf(ctx.state.em, params.id);
      return listPage(ctx.state.em, LeadActivitySchema, { lead: lead.id }, query, { created_at: 'createdAt' }, activityDto);
    },
  }),
];
