import { randomUUID } from 'node:crypto';
import type { LocalValues } from '../../lib/crm/mappings.ts';
import { pgArray } from '../../lib/pgArray.ts';
import { asDate, LINK_COLUMNS, linkedBy, linkJoin, linkOf, type LinkColumns } from './links.ts';
import type { LocalRow, LocalStore, Sql } from './store.ts';

// Contacts, matched by email on a first sync.
const contactValues = (r: Record<string, unknown>): LocalValues => ({
  name: (r.name as string) ?? null,
  email: (r.email as string) ?? null,
  phone: (r.phone as string) ?? null,
  organization: (r.organization as string) ?? null,
  job_title: (r.job_title as string) ?? null,
});
const contactRow = (r: Record<string, unknown>): LocalRow => ({ id: r.id as string, updatedAt: asDate(r.updated_at as Date), values: contactValues(r) });

const CONTACT_COLUMNS = 'c.id, c.updated_at, c.name, c.email, c.phone, c.organization, c.job_title';

/** Column values as they fit the table (names required, lengths bounded). */
export const fitContact = (v: LocalValues) => ({
  name: String(v.name ?? v.email ?? v.phone ?? 'Unknown').slice(0, 200),
  email: v.email === null || v.email === undefined ? null : String(v.email).slice(0, 320),
  phone: v.phone === null || v.phone === undefined ? null : String(v.phone).slice(0, 32),
  organization: v.organization === null || v.organization === undefined ? null : String(v.organization).slice(0, 200),
  job_title: v.job_title === null || v.job_title === undefined ? null : String(v.job_title).slice(0, 200),
});

export async function insertContacts(sql: Sql, tenantId: string, rows: LocalValues[]): Promise<string[]> {
  if (!rows.length) return [];
  const data = rows.map((v) => ({ id: randomUUID(), ...fitContact(v) }));
  await sql(
    `insert into contact (id, created_at, updated_at, tenant_id, name, email, phone, organization, job_title, tags, custom_fields, sms_opt_out)
     select r.id, now(), now(), ?, r.name, r.email, r.phone, r.organization, r.job_title, '{}', '{}'::jsonb, false
     from jsonb_to_recordset(?::jsonb) as r(id uuid, name text, email text, phone text, organization text, job_title text)`,
    [tenantId, JSON.stringify(data)],
  );
  return data.map((d) => d.id);
}

async function updateContacts(sql: Sql, tenantId: string, rows: Array<{ id: string; values: LocalValues }>): Promise<void> {
  if (!rows.length) return;
  const data = rows.map((r) => ({ id: r.id, ...fitContact(r.values) }));
  await sql(
    `update contact c set name = r.name, email = r.email, phone = r.phone, organization = r.organization, job_title = r.job_title, archived_at = null, updated_at = now()
     from jsonb_to_recordset(?::jsonb) as r(id uuid, name text, email text, phone text, organization text, job_title text)
     where c.tenant_id = ? and c.id = r.id`,
    [JSON.stringify(data), tenantId],
  );
}

export const contactsStore: LocalStore = {
  linked: (sql, scope, remoteIds) => linkedBy(sql, scope, remoteIds, { columns: CONTACT_COLUMNS, joins: 'join contact c on c.tenant_id = l.tenant_id and c.id = l.local_id', toRow: contactRow }),
  async unlinkedByEmail(sql, scope, emails) {
    if (!emails.length) return new Map();
    const rows = await sql(
      `select distinct on (lower(c.email)) ${CONTACT_COLUMNS} from contact c ${linkJoin('c')}
       where c.tenant_id = ? and c.email = any(?::text[]) and l.id is null order by lower(c.email), c.created_at`,
      [scope.integrationId, scope.dataType, scope.tenantId, pgArray(emails)],
    );
    return new Map(rows.map((r) => [String(r.email).toLowerCase(), contactRow(r)]));
  },
  insert: (sql, scope, rows) => insertContacts(sql, scope.tenantId, rows),
  update: (sql, scope, rows) => updateContacts(sql, scope.tenantId, rows),
  async pushCandidates(sql, scope, afterId, limit) {
    const rows = await sql(
      `select ${CONTACT_COLUMNS}, ${LINK_COLUMNS} from contact c ${linkJoin('c')}
       where c.tenant_id = ? and c.archived_at is null and (l.id is null or c.updated_at > coalesce(l.local_synced_at, '-infinity'))
         and c.id > ? order by c.id limit ?`,
      [scope.integrationId, scope.dataType, scope.tenantId, afterId ?? '00000000-0000-0000-0000-000000000000', limit],
    );
    return rows.map((r) => ({ row: contactRow(r), link: linkOf(r as unknown as LinkColumns) }));
  },
  async archive(sql, scope, ids) {
    if (ids.length) await sql('update contact set archived_at = now(), updated_at = now() where tenant_id = ? and id = any(?::uuid[]) and archived_at is null', [scope.tenantId, pgArray(ids)]);
  },
  async unarchive(sql, scope, ids) {
    if (ids.length) await sql('update contact set archived_at = null where tenant_id = ? and id = any(?::uuid[])', [scope.tenantId, pgArray(ids)]);
  },
};
