import { z } from 'zod';
import { queryInt } from '../validation.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import type { EntityManager } from '../../lib/db.ts';

const daysQuery = z.object({ days: queryInt(1, 3650, 30) });

/**
 * The cohort is the leads created in the last `days`: every figure but `total_leads` is
 * about it, so a dashboard for 30 days shows how last month's leads are doing. One SQL
 * statement, aggregated in PostgreSQL; nothing is read into memory row by row. Each
 * statement's parameters are bound once, in its first CTE `p`, and read from there.
 */
const OVERVIEW_SQL = `
with p as (select ?::uuid as tenant_id, now() - make_interval(days => ?::int) as since),
cohort as (
  select l.status, l.source, l.score, coalesce(co.industry, 'unknown') as industry
    from lead l
    join contact c on c.id = l.contact_id
    left join companies co on co.id = coalesce(l.company_id, c.company_id)
   where l.tenant_id = (select tenant_id from p) and l.created_at >= (select since from p)
)
select (select count(*) from lead where tenant_id = (select tenant_id from p))::int as total_leads,
       (select count(*) from cohort)::int as new_leads,
       (select count(*) from cohort where status in ('qualified', 'proposal', 'negotiation', 'won'))::int as qualified_leads,
       (select count(*) from cohort where status = 'won')::int as converted_leads,
       (select round(avg(score) / 100.0, 2) from cohort) as average_score,
       (select coalesce(jsonb_object_agg(source, n), '{}') from (select source, count(*)::int n from cohort group by source) s) as by_source,
       (select coalesce(jsonb_object_agg(status, n), '{}') from (select status, count(*)::int n from cohort group by status) s) as by_status,
       (select coalesce(jsonb_object_agg(industry, n), '{}') from (select industry, count(*)::int n from cohort group by industry) s) as by_industry`;

/** "Today" is the tenant's day, in its time zone. */
const DASHBOARD_SQL = `
with p as (
  select id as tenant_id, now() - make_interval(days => ?::int) as since,
         date_trunc('day', now() at time zone timezone) at time zone timezone as today
    from tenant where id = ?
),
cohort as (select status, score, value, currency from lead where tenant_id = (select tenant_id from p) and created_at >= (select since from p)),
won as (select currency, sum(value) as total from cohort where status = 'won' and value is not null group by currency),
calls as (select created_at from lead_activities where tenant_id = (select tenant_id from p) and created_at >= least((select since from p), (select today from p)) and (activity_type like 'call%' or note_type = 'call')),
inbound as (select received_at from messages where tenant_id = (select tenant_id from p) and received_at >= least((select since from p), (select today from p)))
select (select count(*) from lead where tenant_id = (select tenant_id from p))::int as total_leads,
       (select count(*) from lead where tenant_id = (select tenant_id from p) and created_at >= (select today from p))::int as new_leads_today,
       (select count(*) from calls where created_at >= (select since from p))::int as total_calls,
       (select count(*) from calls where created_at >= (select today from p))::int as calls_today,
       (select count(*) from inbound where received_at >= (select since from p))::int as total_messages,
       (select count(*) from inbound where received_at >= (select today from p))::int as messages_today,
       (select round(100.0 * count(*) filter (where status = 'won') / nullif(count(*), 0), 1) from cohort) as conversion_rate,
       (select round(avg(score) / 100.0, 2) from cohort) as avg_lead_score,
       (select coalesce(jsonb_object_agg(currency, total), '{}') from won) as revenue_by_currency,
       (select currency from won order by total desc limit 1) as revenue_currency`;

interface OverviewRow {
  total_leads: number;
  new_leads: number;
  qualified_leads: number;
  converted_leads: number;
  average_score: string | null;
  by_source: Record<string, number>;
  by_status: Record<string, number>;
  by_industry: Record<string, number>;
}

interface DashboardRow {
  total_leads: number;
  new_leads_today: number;
  total_calls: number;
  calls_today: number;
  total_messages: number;
  messages_today: number;
  conversion_rate: string | null;
  avg_lead_score: string | null;
  revenue_by_currency: Record<string, string | number>;
  revenue_currency: string | null;
}

const run = async <R>(em: EntityManager, sql: string, params: unknown[]): Promise<R> => (await em.getConnection().execute<R[]>(sql, params))[0] as R;
const num = (v: string | number | null) => (v === null ? 0 : Number(v));

export const analyticsRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/crm/leads/analytics/overview',
    tag: 'leads',
    summary: "Lead analytics (seed 004): all-time total, then the leads created in the last `days` (default 30): how many, qualified (qualified or further), converted (won), their average score (0–1), conversion rate (0–1) and counts by source, status and company industry",
    query: daysQuery,
    response: dataSchema(
      z.object({
        days: z.number().int(),
        total_leads: z.number().int(),
        new_leads: z.number().int(),
        qualified_leads: z.number().int(),
        converted_leads: z.number().int(),
        average_score: z.number(),
        conversion_rate: z.number(),
        by_source: z.record(z.string(), z.number().int()),
        by_status: z.record(z.string(), z.number().int()),
        by_industry: z.record(z.string(), z.number().int()),
      }),
    ),
    handler: async (ctx, { query, caller }) => {
      const r = await run<OverviewRow>(ctx.state.em, OVERVIEW_SQL, [caller.tenantId, query.days]);
      return one({
        days: query.days,
        ...r,
        average_score: num(r.average_score),
        conversion_rate: r.new_leads ? Math.round((r.converted_leads / r.new_leads) * 1000) / 1000 : 0,
      });
    },
  }),
  route({
    method: 'get',
    path: '/analytics/dashboard',
    tag: 'leads',
    summary: "Dashboard figures (seed 004, in snake_case): all-time leads, today's new leads, logged calls and inbound messages in the last `days` and today (the tenant's day), conversion rate in percent, average lead score (0–1) and won revenue of the leads created in the last `days`",
    query: daysQuery,
    response: dataSchema(
      z.object({
        days: z.number().int(),
        total_leads: z.number().int(),
        new_leads_today: z.number().int(),
        total_calls: z.number().int(),
        calls_today: z.number().int(),
        total_messages: z.number().int(),
        messages_today: z.number().int(),
        conversion_rate: z.number(),
        avg_lead_score: z.number(),
        /** Won value in `revenue_currency`, the currency most of it is in; `revenue_by_currency` has every currency (no conversion). */
        revenue: z.number(),
        revenue_currency: z.string().nullable(),
        revenue_by_currency: z.record(z.string(), z.number()),
      }),
    ),
    handler: async (ctx, { query, caller }) => {
      const r = await run<DashboardRow>(ctx.state.em, DASHBOARD_SQL, [query.days, caller.tenantId]);
      const byCurrency = Object.fromEntries(Object.entries(r.revenue_by_currency).map(([c, v]) => [c, Number(v)]));
      return one({
        days: query.days,
        total_leads: r.total_leads,
        new_leads_today: r.new_leads_today,
        total_calls: r.total_calls,
        calls_today: r.calls_today,
        total_messages: r.total_messages,
        messages_today: r.messages_today,
        conversion_rate: num(r.conversion_rate),
        avg_lead_score: num(r.avg_lead_score),
        revenue: r.revenue_currency ? (byCurrency[r.revenue_currency] ?? 0) : 0,
        revenue_currency: r.revenue_currency,
        revenue_by_currency: byCurrency,
      });
    },
  }),
];
