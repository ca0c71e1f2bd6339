import { randomUUID } from 'node:crypto';
import type { LocalValues } from '../../lib/crm/mappings.ts';
import { pgArray } from '../../lib/pgArray.ts';
import { fitContact, insertContacts } from './contacts.ts';
import { asDate, LINK_COLUMNS, linkedBy, linkJoin, linkOf, type LinkColumns } from './links.ts';
import type { LocalRow, LocalStore } from './store.ts';

/** A lead and its contact's fields, as the lead mappings see them. */
const LEAD_COLUMNS = `d.id, d.updated_at, d.title, d.status, d.source, d.value, c.name as contact_name, c.email as contact_email, c.phone as contact_phone, c.organization as contact_organization`;
const leadRow = (r: Record<string, unknown>): LocalRow => ({
  id: r.id as string,
  updatedAt: asDate(r.updated_at as Date),
  values: {
    title: (r.title as string) ?? null,
    status: (r.status as string) ?? null,
    source: (r.source as string) ?? null,
    value: r.value === null || r.value === undefined ? null : Number(r.value),
    contact_name: (r.contact_name as string) ?? null,
    contact_email: (r.contact_email as string) ?? null,
    contact_phone: (r.contact_phone as string) ?? null,
    contact_organization: (r.contact_organization as string) ?? null,
  },
});
const STATUSES = new Set(['new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won', 'lost']);
const fitLead = (v: LocalValues) => ({
  title: String(v.title ?? 'Lead').slice(0, 300),
  status: STATUSES.has(String(v.status)) ? String(v.status) : 'new',
  source: String(v.source ?? 'crm').slice(0, 50),
  value: typeof v.value === 'number' && Number.isFinite(v.value) ? v.value : null,
});
const contactPart = (v: LocalValues): LocalValues => ({ name: v.contact_name ?? null, email: v.contact_email ?? null, phone: v.contact_phone ?? null, organization: v.contact_organization ?? null, job_title: null });
/** Whether a lead mapping carries its contact's fields (Salesforce's Lead does; a HubSpot deal does not). */
const carriesContact = (v: LocalValues) => 'contact_name' in v || 'contact_email' in v;

export const leadsStore: LocalStore = {
  linked: (sql, scope, remoteIds) =>
    linkedBy(sql, scope, remoteIds, {
      columns: LEAD_COLUMNS,
      joins: 'join lead d on d.tenant_id = l.tenant_id and d.id = l.local_id join contact c on c.tenant_id = d.tenant_id and c.id = d.contact_id',
      toRow: leadRow,
    }),
  async unlinkedByEmail(sql, scope, emails) {
    if (!emails.length) return new Map();
    const rows = await sql(
      `select distinct on (lower(c.email)) ${LEAD_COLUMNS} from lead d join contact c on c.tenant_id = d.tenant_id and c.id = d.contact_id ${linkJoin('d')}
       where d.tenant_id = ? and c.email = any(?::text[]) and l.id is null order by lower(c.email), d.created_at`,
      [scope.integrationId, scope.dataType, scope.tenantId, pgArray(emails)],
    );
    return new Map(rows.map((r) => [String(r.contact_email).toLowerCase(), leadRow(r)]));
  },
  async insert(sql, scope, rows) {
    if (!rows.length) return [];
    // Each lead's contact: the tenant's contact with that email, else a new one.
    const emails = [...new Set(rows.map((v) => v.contact_email).filter((e): e is string => typeof e === 'string'))];
    const existing = emails.length
      ? await sql<{ id: string; email: string }>('select distinct on (email) id, email from contact where tenant_id = ? and email = any(?::text[]) order by email, created_at', [scope.tenantId, pgArray(emails)])
      : [];
    const byEmail = new Map(existing.map((c) => [c.email, c.id]));
    const missing: LocalValues[] = [];
    const seen = new Set<string>();
    for (const v of rows) {
      const email = typeof v.contact_email === 'string' ? v.contact_email : null;
      if (email && (byEmail.has(email) || seen.has(email))) continue;
      if (email) seen.add(email);
      missing.push(carriesContact(v) ? contactPart(v) : { name: v.title ?? 'Unknown', email: null, phone: null, organization: null, job_title: null });
    }
    const made = await insertContacts(sql, scope.tenantId, missing);
    let next = 0;
    const contactIds = rows.map((v) => {
      const email = typeof v.contact_email === 'string' ? v.contact_email : null;
      if (email && byEmail.has(email)) return byEmail.get(email) as string;
      const id = made[next++];
      if (email) byEmail.set(email, id);
      return id;
    });
    const data = rows.map((v, i) => ({ id: randomUUID(), contact_id: contactIds[i], ...fitLead(v) }));
    await sql(
      `insert into lead (id, created_at, updated_at, tenant_id, contact_id, title, source, status, value, currency)
       select r.id, now(), now(), ?, r.contact_id, r.title, r.source, r.status, r.value, 'USD'
       from jsonb_to_recordset(?::jsonb) as r(id uuid, contact_id uuid, title text, source text, status text, value numeric)`,
      [scope.tenantId, JSON.stringify(data)],
    );
    return data.map((d) => d.id);
  },
  async update(sql, scope, rows) {
    if (!rows.length) return;
    await sql(
      `update lead d set title = r.title, status = r.status, source = r.source, value = r.value, archived_at = null, updated_at = now()
       from jsonb_to_recordset(?::jsonb) as r(id uuid, title text, status text, source text, value numeric)
       where d.tenant_id = ? and d.id = r.id`,
      [JSON.stringify(rows.map((r) => ({ id: r.id, ...fitLead(r.values) }))), scope.tenantId],
    );
    const withContact = rows.filter((r) => carriesContact(r.values));
    if (!withContact.length) return;
    const contacts = await sql<{ id: string; contact_id: string }>('select id, contact_id from lead where tenant_id = ? and id = any(?::uuid[])', [scope.tenantId, pgArray(withContact.map((r) => r.id))]);
    const contactOf = new Map(contacts.map((c) => [c.id, c.contact_id]));
    const data = withContact.map((r) => ({ id: contactOf.get(r.id), ...fitContact(contactPart(r.values)) })).filter((d) => d.id);
    await sql(
      `update contact c set name = r.name, email = r.email, phone = r.phone, organization = r.organization, updated_at = now()
       from jsonb_to_recordset(?::jsonb) as r(id uuid, name text, email text, phone text, organization text)
       where c.tenant_id = ? and c.id = r.id`,
      [JSON.stringify(data), scope.tenantId],
    );
  },
  async pushCandidates(sql, scope, afterId, limit) {
    // A lead counts as changed when it or its contact changed since it last matched.
    const rows = await sql(
      `select ${LEAD_COLUMNS}, greatest(d.updated_at, c.updated_at) as changed_at, ${LINK_COLUMNS}
       from lead d join contact c on c.tenant_id = d.tenant_id and c.id = d.contact_id ${linkJoin('d')}
       where d.tenant_id = ? and d.archived_at is null and (l.id is null or greatest(d.updated_at, c.updated_at) > coalesce(l.local_synced_at, '-infinity'))
         and d.id > ? order by d.id limit ?`,
      [scope.integrationId, scope.dataType, scope.tenantId, afterId ?? '00000000-0000-0000-0000-000000000000', limit],
    );
    return rows.map((r) => ({ row: { ...leadRow(r), updatedAt: asDate(r.changed_at as Date) }, link: linkOf(r as unknown as LinkColumns) }));
  },
  async archive(sql, scope, ids) {
    if (ids.length) await sql('update lead set archived_at = now(), updated_at = now() where tenant_id = ? and id = any(?::uuid[]) and archived_at is null', [scope.tenantId, pgArray(ids)]);
  },
  async unarchive(sql, scope, ids) {
    if (ids.length) await sql('update lead set archived_at = null where tenant_id = ? and id = any(?::uuid[])', [scope.tenantId, pgArray(ids)]);
  },
};
