import { randomUUID } from 'node:crypto';
import type { FieldValues } from '../../lib/crm/fieldMerge.ts';
import { pgArray } from '../../lib/pgArray.ts';
import type { Link, LinkWrite, LocalRow, Scope, Sql } from './store.ts';

// The link rows (`integration_records`) that tie our rows to a provider's records, shared by every store.

/** A link's columns as our queries select them (`LINK_COLUMNS`). */
export interface LinkColumns {
  remote_id: string | null;
  base: FieldValues | string | null;
  local_synced_at: Date | string | null;
  remote_archived_at: Date | string | null;
}

export const asDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));
const parseBase = (b: FieldValues | string | null) => (typeof b === 'string' ? (JSON.parse(b) as FieldValues) : b);
export const linkOf = (r: LinkColumns): Link | null =>
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

export const LINK_COLUMNS = 'l.remote_id, l.base, l.local_synced_at, l.remote_archived_at';

/** Our rows linked to these provider ids: `joins` brings our table(s) onto the links `l` (its `?`s bound by `joinParams`). */
export async function linkedBy(sql: Sql, scope: Scope, remoteIds: string[], q: { columns: string; joins: string; joinParams?: unknown[]; toRow: (r: Record<string, unknown>) => LocalRow }) {
  if (!remoteIds.length) return new Map<string, { link: Link; row: LocalRow }>();
  const rows = await sql(
    `select ${q.columns}, ${LINK_COLUMNS} from integration_records l ${q.joins}
     where l.tenant_id = ? and l.integration_id = ? and l.data_type = ? and l.remote_id = any(?::text[])`,
    [...(q.joinParams ?? []), scope.tenantId, scope.integrationId, scope.dataType, pgArray(remoteIds)],
  );
  return new Map(rows.map((r) => [r.remote_id as string, { link: linkOf(r as unknown as LinkColumns) as Link, row: q.toRow(r) }]));
}

/** Brings this integration's links (`l`) onto our table's rows (its two `?`s: integration id, data type). */
export const linkJoin = (alias: string) =>
  `left join integration_records l on l.tenant_id = ${alias}.tenant_id and l.integration_id = ? and l.data_type = ? and l.local_id = ${alias}.id`;
