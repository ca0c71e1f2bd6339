import { z } from 'zod';
import { AutomationRunSchema, AutomationSchema, CampaignSchema, newAutomationRun, type Automation } from '../../entities/Automation.ts';
import { conflict, notFound } from '../../lib/errors.ts';
import type { EntityManager } from '../../lib/db.ts';
import { runWorkflowId } from '../../workflows/runAutomation.client.ts';
import { campaignWorkflowId } from '../../workflows/runCampaign.client.ts';
import { newWebhookSecret } from '../../lib/webhookSignature.ts';
import { reconcileAutomationSchedule, type ScheduledAutomation } from '../../lib/automationSchedules.ts';
import type { AppContext } from '../context.ts';
import { listPage, paginationSchema } from '../pagination.ts';
import { afterCommit, dataSchema, one, route, type RouteDef } from '../routing.ts';
import { madeOnce, runAskedFor, startOrDefer } from '../startWork.ts';
import { automationBody, automationListQuery, automationParams, automationRunParams, automationRunSchema, automationSchema, executeBody, runListQuery } from './schema.ts';
import { automationDto, automationRunDto } from './serialize.ts';

const SORT = { created_at: 'createdAt', updated_at: 'updatedAt', name: 'name' } as const;
const WRITERS = ['admin', 'manager'] as const;

async function findAutomation(em: EntityManager, id: string): Promise<Automation> {
  const a = await em.findOne(AutomationSchema, id);
  if (!a) throw notFound('Automation');
  return a;
}

/** The definition's fields on the row; an edit is a new version (runs keep the one they started with). */
function assign(a: Automation, body: z.infer<typeof automationBody>): void {
  Object.assign(a, {
    name: body.name,
    description: body.description ?? null,
    triggerType: body.trigger_type,
    triggerConfig: body.trigger_config,
    conditions: body.conditions ?? null,
    actions: body.actions as Array<Record<string, unknown>>,
    enabled: body.enabled,
    maxConcurrentRuns: body.max_concurrent_runs,
  });
}

const SCHEDULE_DEADLINE_MS = 5_000;

/**
 * Brings a cron automation's Temporal Schedule in line after a committed change. Temporal
 * out of reach: the row keeps `schedule_pending` and the outbox relay does it later.
 */
async function syncSchedule(ctx: AppContext, automationId: string, a: Automation | null): Promise<void> {
  const row = a && { id: a.id, tenantId: a.tenant.id, enabled: a.enabled, triggerType: a.triggerType, triggerConfig: a.triggerConfig as ScheduledAutomation['triggerConfig'] };
  try {
    await ctx.deps.temporal.connection.withDeadline(Date.now() + SCHEDULE_DEADLINE_MS, () => reconcileAutomationSchedule(ctx.deps.temporal, ctx.deps.config.temporal.taskQueue, automationId, row));
    if (a?.schedulePending) await ctx.state.em.nativeUpdate(AutomationSchema, { id: a.id }, { schedulePending: false });
  } catch (err) {
    ctx.state.log.warn({ automationId, err: err instanceof Error ? err.message : String(err) }, 'automation schedule left to the outbox relay');
  }
}

const onCron = (triggerConfig: Record<string, unknown>) => typeof triggerConfig.cron === 'string';

/** Commits a changed automation and, when it is or was on a cron, brings its Schedule in line. */
async function commit(ctx: AppContext, a: Automation, wasOnCron: boolean): Promise<void> {
  a.schedulePending = onCron(a.triggerConfig) || wasOnCron;
  await ctx.state.em.flush();
  if (a.schedulePending) await afterCommit(ctx, () => syncSchedule(ctx, a.id, a));
}

/** A webhook trigger's secret, made (and sealed) the first time the automation has one: answered that once. */
function ensureWebhookSecret(ctx: AppContext, a: Automation): string | undefined {
  if (a.triggerType !== 'webhook' || a.webhookSecretSealed) return undefined;
  const secret = newWebhookSecret();
  a.webhookSecretSealed = ctx.deps.secrets.seal(secret);
  return secret;
}

/** Refuses a run past the automation's own limit or the tenant's cap on active runs. */
export async function checkCapacity(ctx: AppContext, em: EntityManager, a: Automation): Promise<void> {
  if (a.maxConcurrentRuns > 0 && (await em.count(AutomationRunSchema, { automation: a.id, status: 'running' })) >= a.maxConcurrentRuns) {
    throw conflict(`This automation already has ${a.maxConcurrentRuns} runs running (max_concurrent_runs)`);
  }
  if ((await em.count(AutomationRunSchema, { status: 'running' })) >= ctx.deps.config.automations.maxActiveRuns) {
    throw conflict(`This account already has ${ctx.deps.config.automations.maxActiveRuns} automation runs running`);
  }
}

const toggle = (enabled: boolean): RouteDef =>
  route({
    method: 'post',
    path: `/automations/:id/${enabled ? 'enable' : 'disable'}`,
    tag: 'automations',
    summary: enabled ? 'Enable an automation: its trigger starts runs again' : 'Disable an automation: its trigger starts no new runs (running ones go on)',
    roles: [...WRITERS],
    params: automationParams,
    response: dataSchema(automationSchema),
    handler: async (ctx, { params }) => {
      const a = await findAutomation(ctx.state.em, params.id);
      a.enabled = enabled;
      await commit(ctx, a, false);
      return one(automationDto(a));
    },
  });

/** Seed 002's workflows, called automations here: definitions checked on save, versioned, run by `automation-<runId>`. */
export const automationRoutes: RouteDef[] = [
  route({
    method: 'post',
    answerWithWork: true,
    path: '/automations',
    tag: 'automations',
    summary:
      'Create an automation (seed 002’s workflow body: `trigger_type` `event` {event, filter?}, `time_based` {schedule: "24h_before_event"}, `sla` {after}, `webhook` (its `whsec_` secret answered once, in `webhook.secret`) or `manual`; `conditions` all/any/not; `actions`). Checked on save: each problem is a field error (unknown action, missing field, bad template or pattern, a step never reached, a loop)',
    roles: [...WRITERS],
    body: automationBody,
    status: 201,
    response: dataSchema(automationSchema),
    handler: async (ctx, { body, caller }) => {
      const a = ctx.state.em.create(AutomationSchema, { tenant: caller.tenantId, name: body.name, triggerType: body.trigger_type, actions: [], createdBy: caller.userId });
      assign(a, body);
      const secret = ensureWebhookSecret(ctx, a);
      await commit(ctx, a, false);
      return one(automationDto(a, secret));
    },
  }),
  route({
    method: 'get',
    path: '/automations',
    tag: 'automations',
    summary: 'List automations (filters: trigger_type, enabled)',
    query: automationListQuery,
    response: z.object({ data: z.array(automationSchema), pagination: paginationSchema }),
    handler: async (ctx, { query }) => {
      const where = { ...(query.trigger_type ? { triggerType: query.trigger_type } : {}), ...(query.enabled ? { enabled: query.enabled === 'true' } : {}) };
      return listPage(ctx.state.em, AutomationSchema, where, query, SORT, (a) => automationDto(a));
    },
  }),
  route({
    method: 'get',
    path: '/automations/:id',
    tag: 'automations',
    summary: 'Get an automation and its current version',
    params: automationParams,
    response: dataSchema(automationSchema),
    handler: async (ctx, { params }) => one(automationDto(await findAutomation(ctx.state.em, params.id))),
  }),
  route({
    method: 'put',
    path: '/automations/:id',
    tag: 'automations',
    summary: 'Replace an automation’s definition: a new version, for new runs only (running ones keep theirs)',
    roles: [...WRITERS],
    params: automationParams,
    body: automationBody,
    response: dataSchema(automationSchema),
    handler: async (ctx, { params, body }) => {
      const a = await findAutomation(ctx.state.em, params.id);
      const wasOnCron = onCron(a.triggerConfig);
      assign(a, body);
      a.version += 1;
      const secret = ensureWebhookSecret(ctx, a);
      await commit(ctx, a, wasOnCron);
      return one(automationDto(a, secret));
    },
  }),
  route({
    method: 'delete',
    path: '/automations/:id',
    tag: 'automations',
    summary: 'Delete an automation and its run history; its running runs and campaigns are cancelled',
    roles: [...WRITERS],
    params: automationParams,
    status: 204,
    handler: async (ctx, { params }) => {
      const em = ctx.state.em;
      const a = await findAutomation(em, params.id);
      // Its runs and campaigns go with it: their workflows are cancelled (each by the ID that
      // carries it, a cron run's its Schedule's), and a step still going finds its row gone and ends.
      const running = await em.find(AutomationRunSchema, { automation: a.id, status: 'running' }, { fields: ['id', 'context'] });
      const campaigns = await em.find(CampaignSchema, { automation: a.id, status: 'running' }, { fields: ['id'] });
      const ids = [...running.map(runWorkflowId), ...campaigns.map((c) => campaignWorkflowId(c.id))];
      await Promise.all(ids.map((id) => ctx.deps.temporal.workflow.getHandle(id).cancel().catch(() => undefined)));
      const cron = onCron(a.triggerConfig);
      em.remove(a);
      await em.flush();
      if (cron) await syncSchedule(ctx, params.id, null);
      ctx.status = 204;
      return undefined;
    },
  }),
  toggle(true),
  toggle(false),
  route({
    method: 'post',
    path: '/automations/:id/execute',
    tag: 'automations',
    summary: 'Run an automation now with a context (seed 002’s execute: `{context: {contact: {…}, event: {…}}}`), whatever its trigger; answers the run (202)',
    roles: [...WRITERS],
    params: automationParams,
    body: executeBody,
    status: 202,
    response: dataSchema(automationRunSchema),
    handler: async (ctx, { params, body }) => {
      const em = ctx.state.em;
      const a = await findAutomation(em, params.id);
      return madeOnce(
        ctx,
        async (requestKey) => {
          const run = await em.findOne(AutomationRunSchema, { requestKey, automation: a.id });
          return run && one(automationRunDto(run, await runAskedFor(ctx, runWorkflowId(run))));
        },
        async (requestKey) => {
          await checkCapacity(ctx, em, a);
          const { run, start } = newAutomationRun(em, a, { trigger: 'manual', context: body.context, depth: 1, requestId: ctx.state.requestId, requestKey });
          await em.flush();
          return one(automationRunDto(run, await startOrDefer(ctx, start)));
        },
      );
    },
  }),
  route({
    method: 'get',
    path: '/automations/:id/runs',
    tag: 'automations',
    summary: 'An automation’s runs, newest first: each step’s status, input, output and error (filter: status)',
    params: automationParams,
    query: runListQuery,
    response: z.object({ data: z.array(automationRunSchema), pagination: paginationSchema }),
    handler: async (ctx, { params, query }) => {
      await findAutomation(ctx.state.em, params.id);
      return listPage(ctx.state.em, AutomationRunSchema, { automation: params.id, ...(query.status ? { status: query.status } : {}) }, query, { created_at: 'createdAt' }, (r) => automationRunDto(r));
    },
  }),
  route({
    method: 'get',
    path: '/automations/:id/runs/:run_id',
    tag: 'automations',
    summary: 'One run of an automation and its steps (cancel it through POST /runs/automation-{run_id}/cancel)',
    params: automationRunParams,
    response: dataSchema(automationRunSchema),
    handler: async (ctx, { params }) => {
      const run = await ctx.state.em.findOne(AutomationRunSchema, { id: params.run_id, automation: params.id });
      if (!run) throw notFound('Run');
      return one(automationRunDto(run));
    },
  }),
];
