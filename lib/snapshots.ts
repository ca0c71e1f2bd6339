/** The payloads of outbox events: plain snake_case objects, the same shape the API returns. */
export interface ContactLike {
  id: string;
  name: string;
  email?: string | null;
  phone?: string | null;
  organization?: string | null;
  tags?: string[];
}

export function contactSnapshot(c: ContactLike) {
  return { id: c.id, name: c.name, email: c.email ?? null, phone: c.phone ?? null, organization: c.organization ?? null, tags: c.tags ?? [] };
}

export interface LeadLike {
  id: string;
  title: string;
  source: string;
  status: string;
}

/** The one shape of a lead in events, whoever created it (a user or triage). */
export function leadSnapshot(l: LeadLike, contact: ContactLike | null) {
  return { id: l.id, title: l.title, source: l.source, status: l.status, contact: contact ? contactSnapshot(contact) : null };
}
