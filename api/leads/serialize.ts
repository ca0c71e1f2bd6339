import type { Lead } from '../../entities/Lead.ts';

/** Expects `contact` populated. */
export function leadDto(l: Lead) {
  return {
    id: l.id,
    title: l.title,
    source: l.source,
    status: l.status,
    value: l.value ?? null,
    currency: l.currency,
    score: l.score ?? null,
    pipeline_id: l.pipeline?.id ?? null,
    stage_id: l.stageId ?? null,
    company_id: l.company?.id ?? null,
    assigned_to: l.assignedTo?.id ?? null,
    notes: l.notes ?? null,
    source_message_id: l.sourceMessageId ?? null,
    contact: {
      id: l.contact.id,
      name: l.contact.name,
      email: l.contact.email ?? null,
      phone: l.contact.phone ?? null,
      company: l.contact.organization ?? null,
    },
    created_at: l.createdAt.toISOString(),
    updated_at: l.updatedAt.toISOString(),
  };
}
