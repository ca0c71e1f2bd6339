import type { Contact } from '../../entities/Contact.ts';
import { isoTime, type JsonColumns } from '../listSql.ts';

/** `contactDto` as SQL over a contact row `e`, for the list (api/pagination.ts `listPageJson`). */
export const contactColumns: JsonColumns = [
  ['id', 'e.id'],
  ['name', 'e.name'],
  ['email', 'e.email'],
  ['phone', 'e.phone'],
  ['organization', 'e.organization'],
  ['company_id', 'e.company_id'],
  ['job_title', 'e.job_title'],
  ['notes', 'e.notes'],
  ['tags', 'e.tags'],
  ['custom_fields', 'e.custom_fields'],
  ['sms_opt_out', 'e.sms_opt_out'],
  ['do_not_call', 'e.do_not_call'],
  ['archived_at', isoTime('e.archived_at')],
  ['created_at', isoTime('e.created_at')],
  ['updated_at', isoTime('e.updated_at')],
];

export function contactDto(c: Contact) {
  return {
    id: c.id,
    name: c.name,
    email: c.email ?? null,
    phone: c.phone ?? null,
    organization: c.organization ?? null,
    company_id: c.company?.id ?? null,
    job_title: c.jobTitle ?? null,
    notes: c.notes ?? null,
    tags: c.tags,
    custom_fields: c.customFields,
    sms_opt_out: c.smsOptOut,
    do_not_call: c.doNotCall,
    archived_at: c.archivedAt?.toISOString() ?? null,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}
