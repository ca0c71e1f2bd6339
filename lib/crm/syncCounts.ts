/** What one CRM sync run did, as `/runs/{id}` progress and the run's row report it. */
export interface SyncCounts {
  fetched: number;
  created: number;
  updated: number;
  archived: number;
  pushed: number;
  conflicts: number;
  errors: number;
}

export const emptyCounts = (): SyncCounts => ({ fetched: 0, created: 0, updated: 0, archived: 0, pushed: 0, conflicts: 0, errors: 0 });

export function addCounts(a: SyncCounts, b: Partial<SyncCounts>): SyncCounts {
  const out = { ...a };
  for (const k of Object.keys(out) as Array<keyof SyncCounts>) out[k] += b[k] ?? 0;
  return out;
}
