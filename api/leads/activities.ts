import { z } from 'zod';
import { notFound } from '../../lib/errors.ts';
import type { EntityManager } from '../../lib/db.ts';
import { LeadSchema } from '../../entities/Lead.ts';
import { LeadActivitySchema, NOTE_TYPES, recordLeadActivity, type LeadActivity, type NoteType } from '../../entities/LeadActivity.ts';
import { rescoreLead } from '../../entities/leadScoring.ts';
import { listPage, listQuery, paginationSchema } from '../pagination.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { leadParams } from './schema.ts';
import type { Caller } from '../context.ts';

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

/** Writes one entry on the caller's behalf, on a lead of the caller's tenant. */
async function addEntry(em: EntityManager, leadId: string, caller: Caller, entry: { activityType: string; description: string; noteType?: NoteType; metadata?: Record<string, unknown> }): Promise<LeadActivity> {
  const lead = await em.findOne(LeadSchema, leadId, { populate: ['contact'] });
  if (!lead) throw notFound('Lead');
  const written = recordLeadActivity(em, { tenantId: caller.tenantId, leadId: lead.id, userId: caller.userId, ...entry });
  await rescoreLead(em, lead);
  await em.flush();
  return written;
}

/** A page of a lead's timeline (or of its notes alone). */
async function timeline<D>(em: EntityManager, leadId: string, query: z.infer<typeof timelineQuery>, toDto: (a: LeadActivity) => D, activityType?: string) {
  const lead = await leadOf(em, leadId);
  return listPage(em, LeadActivitySchema, { lead: lead.id, archivedAt: null, ...(activityType ? { activityType } : {}) }, query, { created_at: 'createdAt' }, toDto);
}

/** A lead's timeline (seed 000's notes, seed 004's activities): one table, notes are entries of type `note`. */
export const leadActivityRoutes: RouteDef[] = [
  route({
    method: 'post',
    answerWithWork: true,
    path: '/crm/leads/:id/notes',
    tag: 'leads',
    summary: "Add a note to a lead (seed 000): its kind is `note`, `call`, `email` or `meeting`; it joins the lead's activities",
    params: leadParams,
    body: noteBody,
    status: 201,
    response: dataSchema(noteSchema),
    handler: async (ctx, { params, body, caller }) => one(noteDto(await addEntry(ctx.state.em, params.id, caller, { activityType: 'note', noteType: body.type, description: body.content }))),
  }),
  route({
    method: 'get',
    path: '/crm/leads/:id/notes',
    tag: 'leads',
    summary: "A lead's notes, newest first",
    params: leadParams,
    query: timelineQuery,
    response: z.object({ data: z.array(noteSchema), pagination: paginationSchema }),
    handler: async (ctx, { params, query }) => timeline(ctx.state.em, params.id, query, noteDto, 'note'),
  }),
  route({
    method: 'post',
    answerWithWork: true,
    path: '/crm/leads/:id/activities',
    tag: 'leads',
    summary: 'Log an activity on a lead (seed 004: `activity_type`, `description`, `metadata`)',
    params: leadParams,
    body: activityBody,
    status: 201,
    response: dataSchema(activitySchema),
    handler: async (ctx, { params, body, caller }) =>
      one(activityDto(await addEntry(ctx.state.em, params.id, caller, { activityType: body.activity_type, description: body.description, metadata: body.metadata ?? {} }))),
  }),
  route({
    method: 'get',
    path: '/crm/leads/:id/activities',
    tag: 'leads',
    summary: "A lead's whole timeline, newest first: notes, logged activities, and what the product recorded (stage and status changes)",
    params: leadParams,
    query: timelineQuery,
    response: z.object({ data: z.array(activitySchema), pagination: paginationSchema }),
    handler: async (ctx, { params, query }) => timeline(ctx.state.em, params.id, query, activityDto),
  }),
];
