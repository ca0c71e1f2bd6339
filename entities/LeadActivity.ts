import { defineEntity, type EntityManager, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { LeadSchema } from './Lead.ts';
import { UserSchema } from './User.ts';

export const NOTE_TYPES = ['note', 'call', 'email', 'meeting'] as const;
export type NoteType = (typeof NOTE_TYPES)[number];

/**
 * One entry of a lead's timeline: a person's note or logged activity (seed 004's
 * `email_sent`, …), or something the product did (a stage change). Notes are entries of
 * type `note` with their kind (`call`, `meeting`, …) in `noteType`, so a lead has one
 * timeline, newest first.
 */
export const LeadActivitySchema = defineEntity({
  name: 'LeadActivity',
  tableName: 'lead_activities',
  extends: TenantScopedSchema,
  indexes: [{ properties: ['lead', 'createdAt'] }],
  properties: {
    lead: () => p.manyToOne(LeadSchema).deleteRule('cascade'),
    /** Who wrote it; null when the product did. */
    user: () => p.manyToOne(UserSchema).nullable().deleteRule('set null'),
    activityType: p.string().length(50),
    noteType: p.enum(NOTE_TYPES).nullable(),
    description: p.text(),
    metadata: p.json<Record<string, unknown>>().onCreate(() => ({})),
    /** Deleted in a synced CRM: kept, out of the timeline. */
    archivedAt: p.datetime().nullable(),
  },
});

export type LeadActivity = InferEntity<typeof LeadActivitySchema>;

/** Adds a timeline entry to the unit of work (committed with the change it records). */
export function recordLeadActivity(em: EntityManager, a: { tenantId: string; leadId: string; userId?: string | null; activityType: string; description: string; metadata?: Record<string, unknown>; noteType?: NoteType | null }): LeadActivity {
  return em.create(LeadActivitySchema, {
    tenant: a.tenantId,
    lead: a.leadId,
    user: a.userId ?? null,
    activityType: a.activityType,
    noteType: a.noteType ?? null,
    description: a.description,
    metadata: a.metadata ?? {},
  });
}
