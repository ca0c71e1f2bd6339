import type { EntityManager } from '../../lib/db.ts';
import type { FieldValues } from '../../lib/crm/fieldMerge.ts';
import type { CrmDataType, LocalValues } from '../../lib/crm/mappings.ts';

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
