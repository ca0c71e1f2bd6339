import { z } from 'zod';
import { LeadSchema, type Lead } from '../../entities/Lead.ts';
import { LeadActivitySchema } from '../../entities/LeadActivity.ts';
import type { EntityManager } from '../../lib/db.ts';
import type { LeadFacts } from '../../providers/llm/scoreAdvisor.ts';
import { rescoreLead } from '../../entities/leadScoring.ts';
import { notFound } from '../../lib/errors.ts';
import type { LeadScore, ScoreFactor } from '../../lib/leadScore.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { leadParams } from './schema.ts';

const scoreSchema = z.object({
  overall_score: z.number(),
  demographic_score: z.number(),
  behavioral_score: z.number(),
  engagement_score: z.number(),
  intent_score: z.number(),
  conversion_probability: z.number(),
  factors: z.object({ positive_factors: z.array(z.string()), negative_factors: z.array(z.string()), recommendations: z.array(z.string()) }),
  /** Every factor with its dimension and weight: how the scores add up. */
  breakdown: z.array(z.object({ dimension: z.enum(['demographic', 'behavioral', 'engagement', 'intent']), reason: z.string(), impact: z.number(), source: z.string() })),
  /** The lead's `score`: overall_score as 0–100 points, what `min_score` filters on. */
  score: z.number().int(),
  scored_at: z.string().nullable(),
});

/** What the model is shown: the lead, the rules' factors, and its latest timeline entries. */
async function leadFacts(em: EntityManager, lead: Lead, score: LeadScore): Promise<LeadFacts> {
  const timeline = await em.find(LeadActivitySchema, { lead: lead.id, archivedAt: null }, { orderBy: { createdAt: 'desc' }, limit: 15, fields: ['activityType', 'description', 'createdAt'] });
  return {
    lead: { title: lead.title, status: lead.status, source: lead.source, value: lead.value ?? null, currency: lead.currency },
    contact: { name: lead.contact.name, job_title: lead.contact.jobTitle ?? null, company: lead.company?.name ?? lead.contact.organization ?? null },
    rule_factors: score.breakdown.map((f) => `${f.dimension} ${f.impact > 0 ? '+' : ''}${f.impact}: ${f.reason}`),
    timeline: timeline.map((a) => `${a.createdAt.toISOString().slice(0, 10)} ${a.activityType}: ${a.description.slice(0, 300)}`),
  };
}

const scoreDto = (s: LeadScore, points: number, at: Date | null | undefined) => ({ ...s, score: points, scored_at: at?.toISOString() ?? null });

/** Seed 004's lead scoring: explainable rules (lib/leadScore.ts); leads are also rescored on create, activity and status change. */
export const leadScoreRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/crm/leads/:id/score',
    tag: 'leads',
    summary: "Score a lead now (seed 004): four dimension scores, the conversion probability, and the factors behind them (explainable rules, plus up to five factors from the LLM when one is configured, each at most ±0.2); `lead.score_changed` when its points move",
    params: leadParams,
    response: dataSchema(scoreSchema),
    handler: async (ctx, { params }) => {
      const em = ctx.state.em;
      const lead = await em.findOne(LeadSchema, params.id, { populate: ['contact', 'company'] });
      if (!lead) throw notFound('Lead');
      let extra: ScoreFactor[] = [];
      const advisor = ctx.deps.scoreAdvisor;
      if (advisor) {
        try {
          extra = await advisor.suggest(await leadFacts(em, lead, await rescoreLead(em, lead, [], { keep: false })));
        } catch (err) {
          // The model is an addition: when it fails, the rules' score is the answer.
          ctx.state.log.warn({ err: err instanceof Error ? err.message : String(err), advisor: advisor.name }, 'lead scoring without the model');
        }
      }
      const score = await rescoreLead(em, lead, extra);
      await em.flush();
      return one(scoreDto(score, lead.score ?? 0, lead.scoredAt));
    },
  }),
  route({
    method: 'get',
    path: '/crm/leads/:id/score',
    tag: 'leads',
    summary: "A lead's last score with its factors, without rescoring (404 if it was never scored)",
    params: leadParams,
    response: dataSchema(scoreSchema),
    handler: async (ctx, { params }) => {
      const lead = await ctx.state.em.findOne(LeadSchema, params.id, { populate: ['scoreDetails'] });
      if (!lead) throw notFound('Lead');
      if (!lead.scoreDetails) throw notFound('Score');
      return one(scoreDto(lead.scoreDetails, lead.score ?? 0, lead.scoredAt));
    },
  }),
];
