import { randomUUID } from 'node:crypto';
import type { EntityManager } from '../lib/db.ts';
import type { FieldValues } from '../lib/crm/fieldMerge.ts';
import type { CrmDataType, LocalValues } from '../lib/crm/mappings.ts';
import { pgArray } from '../lib/pgArray.ts';

/**
 * Our side of a CRM sync, in set-based SQL: a page of 2,000 provider records is a handful
 * of statements (read the links and rows, insert, update, link), not 2,000 round trips,
 * which is what lets a sync keep up with a provider's pages (bench:crm-sync). Rows are
 * written with `updated_at = now()` and linked with `local_synced_at = now()` in the same
 * transaction, so what a pull wrote is never mistaken for a change to push.
 */
export type Sql = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

export const sqlOf = (tx: EntityManager): Sql => {
  const conn = tx.getConnection();
  const ctx = tx.getTransactionContext();
  return <T,>(sql: string, params: unknown[] = []) => conn.execute<T[]>(sql, params, 'all', ctx);
};

export interface Link {
  remoteId: string;
  base: FieldValues | null;
  localSyncedAt: Date | null;
  archived: boolean;
}

export interface LocalRow {
  id: string;
  updatedAt: Date;
  values: LocalValues;
}

export interface LinkWrite {
  remoteId: string;
  localId: string;
  base: FieldValues;
  remoteModifiedAt: Date | null;
  /** true: the row now matches the provider (stamp it now()); a Date: keep that stamp (changes remain to push). */
  synced: true | Date | null;
}

export interface LocalStore {
  /** Linked rows for these provider ids. */
  linked(sql: Sql, scope: Scope, remoteIds: string[]): Promise<Map<string, { link: Link; row: LocalRow }>>;
  /** Unlinked rows of ours with these emails (the first sync meets records both sides already have). */
  unlinkedByEmail(sql: Sql, scope: Scope, emails: string[]): Promise<Map<string, LocalRow>>;
  /** Our new rows' ids, in order; null where a record has nothing to hang on here (a note on a lead not synced). */
  insert(sql: Sql, scope: Scope, rows: LocalValues[]): Promise<Array<string | null>>;
  update(sql: Sql, scope: Scope, rows: Array<{ id: string; values: LocalValues }>): Promise<void>;
  /** Rows changed since they last matched the provider (or never linked), after `afterId`, by id. */
  pushCandidates(sql: Sql, scope: Scope, afterId: string | null, limit: number): Promise<Array<{ row: LocalRow; link: Link | null }>>;
  archive(sql: Sql, scope: Scope, localIds: string[]): Promise<void>;
  unarchive(sql: Sql, scope: Scope, localIds: string[]): Promise<void>;
}

export interface Scope {
  tenantId: string;
  integrationId: string;
  dataType: CrmDataType;
}

interface LinkColumns {
  remote_id: string | null;
  base: FieldValues | string | null;
  local_synced_at: Date | string | null;
  remote_archived_at: Date | string | null;
}

const asDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));
const parseBase = (b: FieldValues | string | null) => (typeof b === 'string' ? (JSON.parse(b) as FieldValues) : b);
const linkOf = (r: LinkColumns): Link | null =>
  r.remote_id === null ? null : { remoteId: r.remote_id, base: parseBase(r.base), localSyncedAt: r.local_synced_at ? asDate(r.local_synced_at) : null, archived: r.remote_archived_at !== null };

/** Writes links for a page: new ones inserted, existing ones given the new base (by provider id). */
export async function writeLinks(sql: Sql, scope: Scope, links: LinkWrite[]): Promise<void> {
  if (!links.length) return;
  const rows = links.map((l) => ({
    id: randomUUID(),
    remote_id: l.remoteId,
    local_id: l.localId,
    base: l.base,
    remote_modified_at: l.remoteModifiedAt?.toISOString() ?? null,
    synced_now: l.synced === true,
    synced_at: l.synced instanceof Date ? l.synced.toISOString() : null,
  }));
  await sql(
    `insert into integration_records (id, created_at, updated_at, tenant_id, integration_id, data_type, remote_id, local_id, base, remote_modified_at, local_synced_at, remote_archived_at)
     select r.id, now(), now(), ?, ?, ?, r.remote_id, r.local_id, r.base, r.remote_modified_at, case when r.synced_now then now() else r.synced_at end, null
     from jsonb_to_recordset(?::jsonb) as r(id uuid, remote_id text, local_id uuid, base jsonb, remote_modified_at timestamptz, synced_now boolean, synced_at timestamptz)
     on conflict (integration_id, data_type, remote_id) do update set
       base = excluded.base, local_id = excluded.local_id, updated_at = now(),
       remote_modified_at = coalesce(excluded.remote_modified_at, integration_records.remote_modified_at),
       local_synced_at = coalesce(excluded.local_synced_at, integration_records.local_synced_at),
       remote_archived_at = null`,
    [scope.tenantId, scope.integrationId, scope.dataType, JSON.stringify(rows)],
  );
}

/** Marks provider ids gone there; answers our rows' ids that were live, to archive. */
export async function markRemoteArchived(sql: Sql, scope: Scope, remoteIds: string[]): Promise<string[]> {
  if (!remoteIds.length) return [];
  const rows = await sql<{ local_id: string }>(
    `update integration_records set remote_archived_at = now(), updated_at = now()
     where tenant_id = ? and integration_id = ? and data_type = ? and remote_id = any(?::text[]) and remote_archived_at is null
     returning local_id`,
    [scope.tenantId, scope.integrationId, scope.dataType, pgArray(remoteIds)],
  );
  return rows.map((r) => r.local_id);
}

const LINK_COLUMNS = 'l.remote_id, l.base, l.local_synced_at, l.remote_archived_at';

/** Our rows linked to these provider ids: `joins` brings our table(s) onto the links `l` (its `?`s bound by `joinParams`). */
async function linkedBy(sql: Sql, scope: Scope, remoteIds: string[], q: { columns: string; joins: string; joinParams?: unknown[]; toRow: (r: Record<string, unknown>) => LocalRow }) {
  if (!remoteIds.length) return new Map<string, { link: Link; row: LocalRow }>();
  const rows = await sql(
    `select ${q.columns}, ${LINK_COLUMNS} from integration_records l ${q.joins}
     where l.tenant_id = ? and l.integration_id = ? and l.data_type = ? and l.remote_id = any(?::text[])`,
    [...(q.joinParams ?? []), scope.tenantId, scope.integrationId, scope.dataType, pgArray(remoteIds)],
  );
  return new Map(rows.map((r) => [r.remote_id as string, { link: linkOf(r as unknown as LinkColumns) as Link, row: q.toRow(r) }]));
}

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
const fitContact = (v: LocalValues) => ({
  name: String(v.name ?? v.email ?? v.phone ?? 'Unknown').slice(0, 200),
  email: v.email === null || v.email === undefined ? null : String(v.email).slice(0, 320),
  phone: v.phone === null || v.phone === undefined ? null : String(v.phone).slice(0, 32),
  organization: v.organization === null || v.organization === undefined ? null : String(v.organization).slice(0, 200),
  job_title: v.job_title === null || v.job_title === undefined ? null : String(v.job_title).slice(0, 200),
});

const linkJoin = (alias: string) =>
  `left join integration_records l on l.tenant_id = ${alias}.tenant_id and l.integration_id = ? and l.data_type = ? and l.local_id = ${alias}.id`;

async function insertContacts(sql: Sql, tenantId: string, rows: LocalValues[]): Promise<string[]> {
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

const contactsStore: LocalStore = {
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

const leadsStore: LocalStore = {
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

/**
 * Timeline notes (lead_activities of type `note`) on leads this integration syncs: the
 * lead's provider id rides along as `lead_remote_id`, read from the leads' links.
 */
const ACTIVITY_COLUMNS = `a.id, a.updated_at, a.description, a.note_type, pl.remote_id as lead_remote_id`;
const activityRow = (r: Record<string, unknown>): LocalRow => ({
  id: r.id as string,
  updatedAt: asDate(r.updated_at as Date),
  values: { description: (r.description as string) ?? '', note_type: (r.note_type as string) ?? 'note', lead_remote_id: (r.lead_remote_id as string) ?? null },
});
const NOTE_TYPES = new Set(['note', 'call', 'email', 'meeting']);
const leadLink = (alias: string) => `join integration_records pl on pl.tenant_id = ${alias}.tenant_id and pl.integration_id = ? and pl.data_type = 'leads' and pl.local_id = ${alias}.lead_id`;

/** Our lead for each lead provider id (null: that lead is not synced). */
async function leadsByRemote(sql: Sql, scope: Scope, remoteIds: Array<string | null>): Promise<Map<string, string>> {
  const ids = [...new Set(remoteIds.filter((id): id is string => Boolean(id)))];
  if (!ids.length) return new Map();
  const rows = await sql<{ remote_id: string; local_id: string }>(
    "select remote_id, local_id from integration_records where tenant_id = ? and integration_id = ? and data_type = 'leads' and remote_id = any(?::text[])",
    [scope.tenantId, scope.integrationId, pgArray(ids)],
  );
  return new Map(rows.map((r) => [r.remote_id, r.local_id]));
}

const activitiesStore: LocalStore = {
  linked: (sql, scope, remoteIds) =>
    linkedBy(sql, scope, remoteIds, {
      columns: ACTIVITY_COLUMNS,
      joins: `join lead_activities a on a.tenant_id = l.tenant_id and a.id = l.local_id left ${leadLink('a')}`,
      joinParams: [scope.integrationId],
      toRow: activityRow,
    }),
  async unlinkedByEmail() {
    return new Map();
  },
  async insert(sql, scope, rows) {
    const leads = await leadsByRemote(sql, scope, rows.map((v) => (v.lead_remote_id as string) ?? null));
    const data = rows.map((v) => {
      const leadId = leads.get(String(v.lead_remote_id));
      return leadId ? { id: randomUUID(), lead_id: leadId, description: String(v.description ?? ''), note_type: NOTE_TYPES.has(String(v.note_type)) ? String(v.note_type) : 'note' } : null;
    });
    const made = data.filter((d): d is NonNullable<typeof d> => d !== null);
    if (made.length) {
      await sql(
        `insert into lead_activities (id, created_at, updated_at, tenant_id, lead_id, activity_type, note_type, description, metadata)
         select r.id, now(), now(), ?, r.lead_id, 'note', r.note_type, r.description, '{"source": "crm"}'::jsonb
         from jsonb_to_recordset(?::jsonb) as r(id uuid, lead_id uuid, note_type text, description text)`,
        [scope.tenantId, JSON.stringify(made)],
      );
    }
    return data.map((d) => d?.id ?? null);
  },
  async update(sql, scope, rows) {
    if (!rows.length) return;
    const leads = await leadsByRemote(sql, scope, rows.map((r) => (r.values.lead_remote_id as string) ?? null));
    const data = rows.map((r) => ({ id: r.id, lead_id: leads.get(String(r.values.lead_remote_id)) ?? null, description: String(r.values.description ?? ''), note_type: NOTE_TYPES.has(String(r.values.note_type)) ? String(r.values.note_type) : 'note' }));
    await sql(
      `update lead_activities a set description = r.description, note_type = r.note_type, lead_id = coalesce(r.lead_id, a.lead_id), archived_at = null, updated_at = now()
       from jsonb_to_recordset(?::jsonb) as r(id uuid, lead_id uuid, note_type text, description text)
       where a.tenant_id = ? and a.id = r.id`,
      [JSON.stringify(data), scope.tenantId],
    );
  },
  async pushCandidates(sql, scope, afterId, limit) {
    // Only notes on synced leads: the provider has a record to hang them on.
    const rows = await sql(
      `select ${ACTIVITY_COLUMNS}, ${LINK_COLUMNS}
       from lead_activities a ${leadLink('a')} ${linkJoin('a')}
       where a.tenant_id = ? and a.activity_type = 'note' and a.archived_at is null and (l.id is null or a.updated_at > coalesce(l.local_synced_at, '-infinity'))
         and a.id > ? order by a.id limit ?`,
      [scope.integrationId, scope.integrationId, scope.dataType, scope.tenantId, afterId ?? '00000000-0000-0000-0000-000000000000', limit],
    );
    return rows.map((r) => ({ row: activityRow(r), link: linkOf(r as unknown as LinkColumns) }));
  },
  async archive(sql, scope, ids) {
    if (ids.length) await sql('update lead_activities set archived_at = now(), updated_at = now() where tenant_id = ? and id = any(?::uuid[]) and archived_at is null', [scope.tenantId, pgArray(ids)]);
  },
  async unarchive(sql, scope, ids) {
    if (ids.length) await sql('update lead_activities set archived_at = null where tenant_id = ? and id = any(?::uuid[])', [scope.tenantId, pgArray(ids)]);
  },
};

const STORES: Record<CrmDataType, LocalStore> = { contacts: contactsStore, leads: leadsStore, activities: activitiesStore };
export const localStoreFor = (dataType: CrmDataType): LocalStore => STORES[dataType];
