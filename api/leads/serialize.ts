import type { Lead } from '../../entities/Lead.ts';
import { isoTime, type JsonColumns } from '../listSql.ts';

/** `leadDto` as SQL over a lead row `e` joined to its contact `c`, for the list (api/pagination.ts `listPageJson`). */
export const leadColumns: JsonColumns = [
  ['id', 'e.id'],
  ['title', 'e.title'],
  ['source', 'e.source'],
  ['status', 'e.status'],
  ['value', 'e.value'],
  ['currency', 'e.currency'],
  ['score', 'e.score'],
  ['pipeline_id', 'e.pipeline_id'],
  ['stage_id', 'e.stage_id'],
  ['company_id', 'e.company_id'],
  ['assigned_to', 'e.assigned_to_id'],
  ['notes', 'e.notes'],
  ['source_message_id', 'e.source_message_id'],
  ['archived_at', isoTime('e.archived_at')],
  ['contact', "json_build_object('id', c.id, 'name', c.name, 'email', c.email, 'phone', c.phone, 'company', c.organization)"],
  ['created_at', isoTime('e.created_at')],
  ['updated_at', isoTime('e.updated_at')],
];

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
    archived_at: l.archivedAt?.toISOString() ?? null,
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
