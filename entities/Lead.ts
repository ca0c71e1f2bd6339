import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { ContactSchema } from './Contact.ts';
import { PipelineSchema } from './Pipeline.ts';
import { UserSchema } from './User.ts';

export const LEAD_STATUSES = ['new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won', 'lost'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];
/** A lead still being worked: triage creates no second lead for a contact that has one. */
export const OPEN_LEAD_STATUSES: LeadStatus[] = ['new', 'contacted', 'qualified', 'proposal', 'negotiation'];

export const LeadSchema = defineEntity({
  name: 'Lead',
  extends: TenantScopedSchema,
  indexes: [{ properties: ['tenant', 'status'] }],
  properties: {
    contact: () => p.manyToOne(ContactSchema).index(),
    title: p.string().length(300),
    source: p.string().length(50),
    status: p.enum(LEAD_STATUSES).default('new'),
    /** Money in `currency`'s major unit, to the cent (lib/money.ts). */
    value: p.decimal('number').precision(14).scale(2).nullable(),
    currency: p.string().length(3).default('USD'),
    score: p.integer().nullable(),
    pipeline: () => p.manyToOne(PipelineSchema).nullable().deleteRule('set null'),
    stageId: p.string().length(50).nullable(),
    assignedTo: () => p.manyToOne(UserSchema).nullable().deleteRule('set null'),
    notes: p.text().nullable(),
    /** The inbound message that produced this lead, if any. */
    sourceMessageId: p.uuid().nullable(),
  },
});

export type Lead = InferEntity<typeof LeadSchema>;
