import type { EntityManager } from '@mikro-orm/core';
import { scoreLead, scorePoints, type LeadScore, type ScoreFactor } from '../lib/leadScore.ts';
import type { PipelineStage } from '../lib/pipelines.ts';
import { leadSnapshot } from '../lib/snapshots.ts';
import type { Lead } from './Lead.ts';
import { recordEvent } from './Event.ts';

interface ScoreFacts {
  id: string;
  status: string;
  source: string;
  value: string | null;
  stage_id: string | null;
  stages: PipelineStage[] | null;
  email: string | null;
  phone: string | null;
  organization: string | null;
  job_title: string | null;
  industry: string | null;
  size: string | null;
  activities: Record<string, number> | null;
  messages: { intent: string | null; category: string | null; sentiment: number | null }[] | null;
  days_since_last_touch: number | null;
}

/** Everything the rules look at, in one round trip: the lead, its contact, company and stage, its last 30 days. */
const FACTS_SQL = `
select l.id, l.status, l.source, l.value, l.stage_id, p.stages,
       c.email, c.phone, c.organization, c.job_title, co.industry, co.size,
       (select json_object_agg(activity_type, n) from (
          select activity_type, count(*)::int as n from lead_activities
           where lead_id = l.id and created_at > now() - interval '30 days' and activity_type <> 'message_received'
           group by activity_type) a) as activities,
       (select json_agg(json_build_object('intent', m.intent, 'category', m.category, 'sentiment', m.sentiment)) from (
          select intent, category, sentiment from messages
           where tenant_id = l.tenant_id and (lead_id = l.id or contact_id = l.contact_id) and received_at > now() - interval '30 days'
           order by received_at desc limit 20) m) as messages,
       extract(epoch from now() - greatest(
          (select max(created_at) from lead_activities where lead_id = l.id and activity_type not in ('status_changed', 'stage_changed')),
          (select max(received_at) from messages where tenant_id = l.tenant_id and (lead_id = l.id or contact_id = l.contact_id)))) / 86400 as days_since_last_touch
  from lead l
  join contact c on c.id = l.contact_id
  left join pipeline p on p.id = l.pipeline_id
  left join companies co on co.id = coalesce(l.company_id, c.company_id)
 where l.tenant_id = ? and l.id = any(?::uuid[])`;

/**
 * Scores leads from what is stored about them (lib/leadScore.ts), keeps each result on its
 * lead and, when its points moved, writes `lead.score_changed`, all in the caller's unit of
 * work. Flushes first, so the change that prompted it (an activity, a status) is counted;
 * one query gathers the facts of every lead given (an import batch rescored at once).
 * Expects `contact` populated.
 */
export async function rescoreLeads(em: EntityManager, leads: Lead[], extraFactors: ScoreFactor[] = [], opts: { keep?: boolean } = {}): Promise<Map<string, LeadScore>> {
  const scores = new Map<string, LeadScore>();
  if (!leads.length) return scores;
  await em.flush();
  const tenantId = leads[0].tenant.id;
  const rows: ScoreFacts[] = await em.getConnection().execute(FACTS_SQL, [tenantId, `{${leads.map((l) => l.id).join(',')}}`], 'all', em.getTransactionContext());
  const facts = new Map(rows.map((r) => [r.id, r] as const));
  for (const lead of leads) {
    const f = facts.get(lead.id);
    if (!f) throw new Error(`lead ${lead.id} vanished while being scored`);
    const score = scoreLead({
      status: f.status,
      source: f.source,
      value: f.value === null ? null : Number(f.value),
      stageProbability: f.stages?.find((s: PipelineStage) => s.id === f.stage_id)?.probability ?? null,
      contact: { email: f.email, phone: f.phone, organization: f.organization, jobTitle: f.job_title },
      company: f.industry || f.size ? { industry: f.industry, size: f.size } : null,
      recentActivities: f.activities ?? {},
      daysSinceLastTouch: f.days_since_last_touch === null ? null : Number(f.days_since_last_touch),
      recentMessages: f.messages ?? [],
      extraFactors,
    });
    scores.set(lead.id, score);
    // keep: false scores without touching the lead (what the model is shown before it adds its factors).
    if (opts.keep === false) continue;
    const previous = lead.score ?? null;
    const points = scorePoints(score);
    lead.score = points;
    lead.scoreDetails = score;
    lead.scoredAt = new Date();
    if (previous !== points) {
      recordEvent(em, {
        tenantId,
        type: 'lead.score_changed',
        entityType: 'lead',
        entityId: lead.id,
        payload: { lead: leadSnapshot(lead, lead.contact), previous_score: previous, score: points, conversion_probability: score.conversion_probability },
      });
    }
  }
  return scores;
}

/** One lead rescored (rescoreLeads). */
export async function rescoreLead(em: EntityManager, lead: Lead, extraFactors: ScoreFactor[] = [], opts: { keep?: boolean } = {}): Promise<LeadScore> {
  return (await rescoreLeads(em, [lead], extraFactors, opts)).get(lead.id)!;
}
