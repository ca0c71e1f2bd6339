import { z } from 'zod';
import { LeadSchema } from '../../entities/Lead.ts';
import { leadWhere } from './filters.ts';
import { firstStageId } from '../../lib/pipelines.ts';
import { ContactSchema, findOrCreateContact } from '../../entities/Contact.ts';
import { PipelineSchema } from '../../entities/Pipeline.ts';
import { UserSchema } from '../../entities/User.ts';
import { recordEvent } from '../../entities/Event.ts';
import { notFound, validationError } from '../../lib/errors.ts';
import { leadSnapshot } from '../../lib/snapshots.ts';
import { paginationSchema } from '../pagination.ts';
import { listPageSql, type ListSpec } from '../listSql.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { recordLeadActivity } from '../../entities/LeadActivity.ts';
import { CompanySchema } from '../../entities/Company.ts';
import { rescoreLead } from '../../entities/leadScoring.ts';
import { createLeadBody, leadListQuery, leadParams, leadSchema, updateLeadBody } from './schema.ts';
import { leadColumns, leadDto } from './serialize.ts';

/** Every sortable column has a (tenant, column) index (entities/Lead.ts). */
export const SORT_COLUMNS = { created_at: 'created_at', updated_at: 'updated_at', value: 'value', score: 'score', title: 'title', status: 'status', source: 'source' } as const;

const LEAD_LIST: ListSpec<keyof typeof SORT_COLUMNS> = { table: 'lead', joins: 'join contact c on c.id = e.contact_id', sortColumns: SORT_COLUMNS, columns: leadColumns };


export const leadRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/crm/leads',
    tag: 'leads',
    summary: 'List leads (filters: status, source, contact_email, assigned_to, search, min_score, company_id, pipeline_id, stage_id; sort by any indexed column)',
    query: leadListQuery,
    response: z.object({ data: z.array(leadSchema), pagination: paginationSchema }),
    handler: async (ctx, { query, caller }) => {
      return listPageSql(ctx.deps.sql, LEAD_LIST, leadWhere(caller.tenantId, query), query, Boolean(query.search));
    },
  }),

  route({
    method: 'post',
    answerWithWork: true,
    path: '/crm/leads',
    tag: 'leads',
    summary: 'Create a lead for an existing contact (contact_id) or a nested contact found or created by email/phone',
    body: createLeadBody,
    status: 201,
    response: dataSchema(leadSchema),
    handler: async (ctx, { body, caller }) => {
      const lead = await ctx.state.em.transactional(async (tx) => {
        const contact = body.contact_id
          ? await tx.findOne(ContactSchema, body.contact_id)
          : (await findOrCreateContact(tx, caller.tenantId, { ...body.contact, company: body.contact?.company, jobTitle: body.contact?.job_title }, { linkCompany: true }))?.contact;
        if (!contact) throw validationError('Invalid body', [{ field: 'body.contact_id', message: 'no such contact' }]);
        const company = body.company_id ? await tx.findOne(CompanySchema, body.company_id) : (contact.company ?? null);
        if (body.company_id && !company) throw validationError('Invalid body', [{ field: 'body.company_id', message: 'no such company' }]);
        const pipeline = body.pipeline_id ? await tx.findOne(PipelineSchema, body.pipeline_id) : await tx.findOne(PipelineSchema, { isDefault: true });
        if (body.pipeline_id && !pipeline) throw validationError('Invalid body', [{ field: 'body.pipeline_id', message: 'no such pipeline' }]);
        if (body.assigned_to && !(await tx.findOne(UserSchema, body.assigned_to))) {
          throw validationError('Invalid body', [{ field: 'body.assigned_to', message: 'no such user' }]);
        }
        // A new lead starts on its pipeline's first stage unless told otherwise.
        const stageId = body.stage_id ?? (pipeline ? firstStageId(pipeline.stages) : null);
        if (pipeline && stageId && !pipeline.stages.some((s) => s.id === stageId)) {
          throw validationError('Invalid body', [{ field: 'body.stage_id', message: 'not a stage of the pipeline' }]);
        }
        const created = tx.create(LeadSchema, {
          tenant: caller.tenantId,
          contact,
          title: body.title ?? `${contact.name} (${body.source})`,
          source: body.source,
          status: body.status,
          value: body.value ?? null,
          ...(body.currency ? { currency: body.currency } : {}),
          pipeline,
          stageId,
          assignedTo: body.assigned_to ?? null,
          notes: body.notes ?? null,
          company,
        });
        recordEvent(tx, {
          tenantId: caller.tenantId,
          type: 'lead.created',
          entityType: 'lead',
          entityId: created.id,
          payload: { lead: leadSnapshot(created, contact), message_id: null },
        });
        await rescoreLead(tx, created);
        return created;
      });
      return one(leadDto(lead));
    },
  }),

  route({
    method: 'get',
    path: '/crm/leads/:id',
    tag: 'leads',
    summary: 'Get a lead',
    params: leadParams,
    response: dataSchema(leadSchema),
    handler: async (ctx, { params }) => {
      const lead = await ctx.state.em.findOne(LeadSchema, params.id, { populate: ['contact'] });
      if (!lead) throw notFound('Lead');
      return one(leadDto(lead));
    },
  }),

  route({
    method: 'put',
    path: '/crm/leads/:id',
    tag: 'leads',
    summary: "Update a lead's title, status, stage, value and currency, score, owner or notes",
    params: leadParams,
    body: updateLeadBody,
    response: dataSchema(leadSchema),
    handler: async (ctx, { params, body, caller }) => {
      const em = ctx.state.em;
      const lead = await em.findOne(LeadSchema, params.id, { populate: ['contact', 'pipeline'] });
      if (!lead) throw notFound('Lead');
      if (body.assigned_to && !(await em.findOne(UserSchema, body.assigned_to))) {
        throw validationError('Invalid body', [{ field: 'body.assigned_to', message: 'no such user' }]);
      }
      const company = body.company_id ? await em.findOne(CompanySchema, body.company_id) : null;
      if (body.company_id && !company) throw validationError('Invalid body', [{ field: 'body.company_id', message: 'no such company' }]);
      if (body.stage_id && lead.pipeline && !lead.pipeline.stages.some((s) => s.id === body.stage_id)) {
        throw validationError('Invalid body', [{ field: 'body.stage_id', message: 'not a stage of the pipeline' }]);
      }
      // Moving a lead is on its timeline (what it was, what it became, who moved it).
      for (const [field, before, after] of [
        ['status', lead.status, body.status],
        ['stage_id', lead.stageId ?? null, body.stage_id],
      ] as const) {
        if (after === undefined || after === before) continue;
        recordLeadActivity(em, { tenantId: caller.tenantId, leadId: lead.id, userId: caller.userId, activityType: `${field === 'status' ? 'status' : 'stage'}_changed`, description: `${field === 'status' ? 'Status' : 'Stage'} changed from ${before ?? 'none'} to ${after ?? 'none'}`, metadata: { from: before, to: after } });
      }
      if (body.title !== undefined) lead.title = body.title;
      if (body.status !== undefined) lead.status = body.status;
      if (body.value !== undefined) lead.value = body.value;
      if (body.currency !== undefined) lead.currency = body.currency;
      if (body.stage_id !== undefined) lead.stageId = body.stage_id;
      if (body.assigned_to !== undefined) lead.assignedTo = body.assigned_to ? em.getReference(UserSchema, body.assigned_to) : null;
      if (body.score !== undefined) lead.score = body.score;
      if (body.notes !== undefined) lead.notes = body.notes;
      if (body.company_id !== undefined) lead.company = company;
      recordEvent(em, { tenantId: caller.tenantId, type: 'lead.updated', entityType: 'lead', entityId: lead.id, payload: { lead: leadSnapshot(lead, lead.contact), changed: Object.keys(body) } });
      // A score set by hand stands until the next thing that moves it.
      if (body.score === undefined && (body.status !== undefined || body.stage_id !== undefined || body.value !== undefined)) await rescoreLead(em, lead);
      await em.flush();
      return one(leadDto(lead));
    },
  }),

  route({
    method: 'delete',
    path: '/crm/leads/:id',
    tag: 'leads',
    summary: 'Delete a lead (admins and managers)',
    roles: ['admin', 'manager'],
    params: leadParams,
    status: 204,
    handler: async (ctx, { params }) => {
      const lead = await ctx.state.em.findOne(LeadSchema, params.id);
      if (!lead) throw notFound('Lead');
      await ctx.state.em.remove(lead).flush();
      ctx.status = 204;
      return undefined;
    },
  }),

];
