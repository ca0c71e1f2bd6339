import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { CompanySchema } from './Company.ts';
import { ContactSchema } from './Contact.ts';
import type { LeadScore } from '../lib/leadScore.ts';
import { PipelineSchema } from './Pipeline.ts';
import { UserSchema } from './User.ts';

export const LEAD_STATUSES = ['new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won', 'lost'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];
/** A lead still being worked: triage creates no second lead for a contact that has one. */
export const OPEN_LEAD_STATUSES: LeadStatus[] = ['new', 'contacted', 'qualified', 'proposal', 'negotiation'];

export const LeadSchema = defineEntity({
  name: 'Lead',
  extends: TenantScopedSchema,
  // One index per sortable column (api/leads/schema.ts), each led by the tenant, so a sorted page reads in order instead of sorting the tenant's leads.
  indexes: [
    { properties: ['tenant', 'status'] },
    { properties: ['tenant', 'createdAt'] },
    { properties: ['tenant', 'updatedAt'] },
    { properties: ['tenant', 'value'] },
    { properties: ['tenant', 'score'] },
    { properties: ['tenant', 'title'] },
    { properties: ['tenant', 'source'] },
    // `search` matches anywhere in the title (ILIKE '%…%'), through trigrams (api/leads/filters.ts).
    { name: 'lead_title_trgm_index', expression: 'create index "lead_title_trgm_index" on "lead" using gin ("title" gin_trgm_ops)' },
  ],
  properties: {
    contact: () => p.manyToOne(ContactSchema).index(),
    title: p.string().length(300),
    source: p.string().length(50),
    status: p.enum(LEAD_STATUSES).default('new'),
    /** Money in `currency`'s major unit, to the cent (lib/money.ts). */
    value: p.decimal('number').precision(14).scale(2).nullable(),
    currency: p.string().length(3).default('USD'),
    /** The overall score as 0–100 points (lib/leadScore.ts), what `min_score` filters on. */
    score: p.integer().nullable(),
    /** The last scoring in seed 004's shape, with every factor (POST /crm/leads/{id}/score). */
    scoreDetails: p.json<LeadScore>().nullable().lazy(),
    scoredAt: p.datetime().nullable(),
    company: () => p.manyToOne(CompanySchema).nullable().deleteRule('set null').index(),
    pipeline: () => p.manyToOne(PipelineSchema).nullable().deleteRule('set null'),
    stageId: p.string().length(50).nullable(),
    assignedTo: () => p.manyToOne(UserSchema).nullable().deleteRule('set null'),
    notes: p.text().nullable(),
    /** The inbound message that produced this lead, if any. */
    sourceMessageId: p.uuid().nullable(),
    /** Deleted or archived in a synced CRM: kept, out of lists unless asked for (`archived=true`). */
    archivedAt: p.datetime().nullable(),
  },
});

export type Lead = InferEntity<typeof LeadSchema>;
