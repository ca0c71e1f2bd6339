import { z } from 'zod';
import { AutomationSchema, CAMPAIGN_STATUSES, campaignCounts, CampaignSchema, type Campaign } from '../../entities/Automation.ts';
import { queueWorkflowStart } from '../../entities/WorkflowStart.ts';
import { runDefinition } from '../../lib/automations/definition.ts';
import { campaignProblem, segmentWhere } from '../../lib/automations/segment.ts';
import { conflict, notFound, validationError } from '../../lib/errors.ts';
import type { RunRef } from '../../lib/workflowClient.ts';
import { campaignStartRequest, campaignWorkflowId } from '../../workflows/runCampaign.client.ts';
import { listPage, listQuery, paginationSchema } from '../pagination.ts';
import { runRefSchema } from '../runs/schema.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { madeOnce, runAskedFor, startOrDefer } from '../startWork.ts';
import { isoDateTime, uuidParam } from '../validation.ts';

const segmentSchema = z.strictObject({
  tags: z.array(z.string().trim().min(1).max(50)).min(1).max(20).optional(),
  has_phone: z.boolean().optional(),
  has_email: z.boolean().optional(),
  organization: z.string().trim().min(1).max(200).optional(),
  created_after: isoDateTime.optional(),
  created_before: isoDateTime.optional(),
});
const campaignBody = z.strictObject({ segment: segmentSchema.default({}), sends_per_second: z.number().int().min(1).max(1_000).optional() });
const params = z.object({ id: uuidParam });
const campaignParams = z.object({ id: uuidParam, campaign_id: uuidParam });

const campaignSchema = z.object({
  id: z.uuid(),
  automation_id: z.uuid(),
  version: z.number().int(),
  segment: segmentSchema,
  sends_per_second: z.number().int(),
  status: z.enum(CAMPAIGN_STATUSES),
  total: z.number().int(),
  processed: z.number().int(),
  sent: z.number().int(),
  skipped_opted_out: z.number().int(),
  skipped_conditions: z.number().int(),
  failed: z.number().int(),
  error: z.string().nullable(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  run: runRefSchema,
});

const campaignDto = (c: Campaign, run?: RunRef) => ({
  id: c.id,
  automation_id: c.automation.id,
  version: c.version,
  segment: c.segment,
  sends_per_second: c.sendsPerSecond,
  status: c.status,
  ...campaignCounts(c),
  error: c.error ?? null,
  created_at: c.createdAt.toISOString(),
  finished_at: c.finishedAt?.toISOString() ?? null,
  run: run ?? { workflow_id: campaignWorkflowId(c.id), run_id: null, status: c.status === 'running' ? 'running' : c.status },
});

/** Seed 003's campaigns: an automation's actions for every contact of a segment, throttled. */
export const campaignRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/automations/:id/campaign',
    tag: 'automations',
    summary:
      'Run an automation for every contact of a segment (tags, has_phone, has_email, organization, created_after/before), throttled to `sends_per_second` (the tenant’s CAMPAIGN_SENDS_PER_SECOND at most; one campaign at a time per tenant), resumable; contacts who opted out are skipped and counted. The automation’s steps must be a straight line of send_sms, send_email, add_tag, create_task, update_contact',
    roles: ['admin', 'manager'],
    params,
    body: campaignBody,
    status: 202,
    response: dataSchema(campaignSchema),
    handler: async (ctx, { params: p, body, caller }) => {
      const em = ctx.state.em;
      const a = await em.findOne(AutomationSchema, p.id);
      if (!a) throw notFound('Automation');
      const definition = runDefinition({ conditions: a.conditions ?? null, actions: a.actions }, a.version);
      const problem = campaignProblem(definition.steps);
      if (problem) throw validationError('This automation cannot run as a campaign', [{ field: 'params.id', message: problem }]);
      const limit = ctx.deps.config.campaigns.sendsPerSecond;
      if (body.sends_per_second && body.sends_per_second > limit) throw validationError('Invalid body', [{ field: 'body.sends_per_second', message: `must be at most ${limit} (CAMPAIGN_SENDS_PER_SECOND)` }]);
      return madeOnce(
        ctx,
        async (requestKey) => {
          const campaign = await em.findOne(CampaignSchema, { requestKey, automation: a.id });
          return campaign && one(campaignDto(campaign, await runAskedFor(ctx, campaignWorkflowId(campaign.id))));
        },
        async (requestKey) => {
          if (await em.count(CampaignSchema, { status: 'running' })) throw conflict('A campaign is already running for this account: the sends-per-second limit is the account’s');
          const where = segmentWhere(body.segment);
          const [{ n }] = (await em.getConnection().execute(`select count(*)::int as n from contact c where c.tenant_id = ? and ${where.sql}`, [caller.tenantId, ...where.params])) as Array<{ n: number }>;
          const campaign = em.create(CampaignSchema, { tenant: caller.tenantId, automation: a, version: a.version, segment: body.segment, sendsPerSecond: body.sends_per_second ?? limit, total: n, requestKey });
          const start = queueWorkflowStart(em, campaignStartRequest({ tenantId: caller.tenantId, campaignId: campaign.id, definition, batchSize: ctx.deps.config.campaigns.batchSize }, { requestId: ctx.state.requestId }));
          await em.flush();
          return one(campaignDto(campaign, await startOrDefer(ctx, start)));
        },
      );
    },
  }),
  route({
    method: 'get',
    path: '/automations/:id/campaigns',
    tag: 'automations',
    summary: 'An automation’s campaigns, newest first, with their progress',
    params,
    query: listQuery(['created_at'] as const, 'created_at'),
    response: z.object({ data: z.array(campaignSchema), pagination: paginationSchema }),
    handler: async (ctx, { params: p, query }) => {
      if (!(await ctx.state.em.count(AutomationSchema, { id: p.id }))) throw notFound('Automation');
      return listPage(ctx.state.em, CampaignSchema, { automation: p.id }, query, { created_at: 'createdAt' }, (c) => campaignDto(c));
    },
  }),
  route({
    method: 'get',
    path: '/automations/:id/campaigns/:campaign_id',
    tag: 'automations',
    summary: 'One campaign: its progress (processed, sent, skipped opted out or by the conditions, failed) and run (cancel it through POST /runs/campaign-{id}/cancel)',
    params: campaignParams,
    response: dataSchema(campaignSchema),
    handler: async (ctx, { params: p }) => {
      const c = await ctx.state.em.findOne(CampaignSchema, { id: p.campaign_id, automation: p.id });
      if (!c) throw notFound('Campaign');
      return one(campaignDto(c));
    },
  }),
];
