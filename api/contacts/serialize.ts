import type { Contact } from '../../entities/Contact.ts';

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
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}
