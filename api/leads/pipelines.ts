import { z } from 'zod';
import { conflict, duplicate, notFound, validationError } from '../../lib/errors.ts';
import type { EntityManager } from '../../lib/db.ts';
import { stagesFrom } from '../../lib/pipelines.ts';
import { LeadSchema } from '../../entities/Lead.ts';
import { PipelineSchema, type Pipeline } from '../../entities/Pipeline.ts';
import { paginationSchema, wholeList } from '../pagination.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { trimmed, uuidParam } from '../validation.ts';

const stageBody = z.strictObject({
  /** Kept when given (leads refer to it); made from the name when not. */
  id: z.string().trim().regex(/^[a-z0-9][a-z0-9_-]{0,49}$/, 'must be a short lower-case id such as qualified').optional(),
  name: trimmed(100),
  probability: z.number().int().min(0).max(100),
});
const stagesBody = z
  .array(stageBody)
  .min(1, 'a pipeline needs at least one stage')
  .max(30)
  .superRefine((stages, ctx) => {
    const problem = stagesFrom(stages).problem;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const pipelineBody = z.strictObject({ name: trimmed(100), stages: stagesBody, is_default: z.boolean().optional() });
const pipelineUpdateBody = pipelineBody.partial();
const pipelineParams = z.object({ id: uuidParam });

export const pipelineSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  is_default: z.boolean(),
  stages: z.array(z.object({ id: z.string(), name: z.string(), order: z.number(), probability: z.number() })),
});
const pipelineDto = (p: Pipeline) => ({ id: p.id, name: p.name, is_default: p.isDefault, stages: p.stages });

async function findPipeline(em: EntityManager, id: string): Promise<Pipeline> {
  const p = await em.findOne(PipelineSchema, id);
  if (!p) throw notFound('Pipeline');
  return p;
}

async function refuseTakenName(em: EntityManager, name: string, except?: string) {
  if (await em.findOne(PipelineSchema, { name, ...(except ? { id: { $ne: except } } : {}) })) throw duplicate('A pipeline with this name already exists', { field: 'name' });
}

/** One default per tenant: making this one the default unmakes the others. */
async function makeDefault(em: EntityManager, p: Pipeline) {
  await em.nativeUpdate(PipelineSchema, { id: { $ne: p.id }, isDefault: true }, { isDefault: false });
  p.isDefault = true;
}

export const pipelineRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/crm/pipelines',
    tag: 'leads',
    summary: "The tenant's sales pipelines and their ordered stages, the default first",
    response: z.object({ data: z.array(pipelineSchema), pagination: paginationSchema }),
    handler: async (ctx) => {
      const rows = await ctx.state.em.find(PipelineSchema, {}, { orderBy: { isDefault: 'desc', name: 'asc' } });
      return wholeList(rows.map(pipelineDto));
    },
  }),
  route({
    method: 'get',
    path: '/crm/pipelines/:id',
    tag: 'leads',
    summary: 'One pipeline',
    params: pipelineParams,
    response: dataSchema(pipelineSchema),
    handler: async (ctx, { params }) => one(pipelineDto(await findPipeline(ctx.state.em, params.id))),
  }),
  route({
    method: 'post',
    answerWithWork: true,
    path: '/crm/pipelines',
    tag: 'leads',
    summary: 'Create a pipeline with its stages in order (each a name and a win probability)',
    roles: ['admin', 'manager'],
    body: pipelineBody,
    status: 201,
    response: dataSchema(pipelineSchema),
    handler: async (ctx, { body, caller }) => {
      const em = ctx.state.em;
      await refuseTakenName(em, body.name);
      const p = em.create(PipelineSchema, { tenant: caller.tenantId, name: body.name, isDefault: false, stages: stagesFrom(body.stages).stages });
      if (body.is_default) await makeDefault(em, p);
      await em.flush();
      return one(pipelineDto(p));
    },
  }),
  route({
    method: 'put',
    path: '/crm/pipelines/:id',
    tag: 'leads',
    summary: "Rename a pipeline, change its stages (a stage that still has leads cannot go: 409) or make it the default",
    roles: ['admin', 'manager'],
    params: pipelineParams,
    body: pipelineUpdateBody,
    response: dataSchema(pipelineSchema),
    handler: async (ctx, { params, body }) => {
      const em = ctx.state.em;
      const p = await findPipeline(em, params.id);
      if (body.name !== undefined && body.name !== p.name) {
        await refuseTakenName(em, body.name, p.id);
        p.name = body.name;
      }
      if (body.stages) {
        const stages = stagesFrom(body.stages).stages;
        const gone = p.stages.filter((s) => !stages.some((n) => n.id === s.id)).map((s) => s.id);
        const stranded = gone.length ? await em.count(LeadSchema, { pipeline: p.id, stageId: { $in: gone } }) : 0;
        if (stranded) throw conflict(`${stranded} lead(s) are still on a stage this change removes (${gone.join(', ')}): move them first`, { stages: gone, leads: stranded });
        p.stages = stages;
      }
      if (body.is_default === true) await makeDefault(em, p);
      if (body.is_default === false && p.isDefault) throw validationError('Invalid pipeline', [{ field: 'body.is_default', message: 'make another pipeline the default instead', code: 'default_required' }]);
      await em.flush();
      return one(pipelineDto(p));
    },
  }),
  route({
    method: 'delete',
    path: '/crm/pipelines/:id',
    tag: 'leads',
    summary: 'Delete a pipeline that no lead is in (not the default)',
    roles: ['admin', 'manager'],
    params: pipelineParams,
    status: 204,
    handler: async (ctx, { params }) => {
      const em = ctx.state.em;
      const p = await findPipeline(em, params.id);
      if (p.isDefault) throw conflict('The default pipeline cannot be deleted: make another one the default first');
      const leads = await em.count(LeadSchema, { pipeline: p.id });
      if (leads) throw conflict(`${leads} lead(s) are in this pipeline: move them first`, { leads });
      await em.remove(p).flush();
      ctx.status = 204;
      return undefined;
    },
  }),
];
