import { randomUUID } from 'node:crypto';
import { pgArray } from '../../lib/pgArray.ts';
import { asDate, LINK_COLUMNS, linkedBy, linkJoin, linkOf, type LinkColumns } from './links.ts';
import type { LocalRow, LocalStore, Scope, Sql } from './store.ts';

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

export const activitiesStore: LocalStore = {
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
