/**
 * Two-way sync of one record, field by field, as a three-way merge: `base` is what both
 * sides last agreed on (the remote values when last pulled or pushed), so a side "changed"
 * a field when it differs from the base. That is also the echo suppression: a change we
 * pushed becomes the base, so when the provider hands it back it is no change; a change we
 * pulled is the local value and the base at once, so it is never pushed.
 */
export type FieldValue = string | number | boolean | null;
export type FieldValues = Record<string, FieldValue>;
/** Which side a field belongs to: its changes on the other side are overwritten, never sent. */
export type FieldOwner = 'local' | 'remote';

export interface PullMerge {
  /** Fields to write here, with the provider's value. */
  apply: FieldValues;
  /** Fields both sides changed differently, and who won each. */
  conflicts: Array<{ field: string; winner: FieldOwner }>;
  /** Whether local changes remain that the provider lacks (to push). */
  localPending: boolean;
}

const same = (a: FieldValue | undefined, b: FieldValue | undefined) => (a ?? null) === (b ?? null);

/**
 * The provider's record arrived: what to take from it. A field changed only there is
 * taken; changed on both sides differently, the owner wins, else the most recent change
 * (a tie goes to the provider, whose clock stamped both orders of events last).
 */
export function mergePulled(input: {
  fields: readonly string[];
  base: FieldValues | null;
  local: FieldValues;
  remote: FieldValues;
  localChangedAt: Date;
  remoteChangedAt: Date;
  owners?: Readonly<Record<string, FieldOwner>>;
}): PullMerge {
  const { fields, local, remote, owners = {} } = input;
  // Never synced (the first sync meets a record both sides have): a side with a value
  // counts as having changed it, so a value fills the other side's gap and only two
  // different values are a conflict.
  const base = input.base ?? {};
  const changedOn = (side: FieldValues, f: string) => (input.base === null ? side[f] !== null && side[f] !== undefined : !same(side[f], base[f]));
  const apply: FieldValues = {};
  const conflicts: PullMerge['conflicts'] = [];
  let localPending = false;
  for (const f of fields) {
    const remoteChanged = changedOn(remote, f);
    const localChanged = changedOn(local, f);
    if (same(local[f], remote[f])) continue;
    if (!remoteChanged) {
      if (owners[f] === 'remote') apply[f] = remote[f] ?? null;
      else localPending = true;
      continue;
    }
    if (!localChanged) {
      if (owners[f] === 'local') localPending = true;
      else apply[f] = remote[f] ?? null;
      continue;
    }
    const winner: FieldOwner = owners[f] ?? (input.localChangedAt.getTime() > input.remoteChangedAt.getTime() ? 'local' : 'remote');
    conflicts.push({ field: f, winner });
    if (winner === 'remote') apply[f] = remote[f] ?? null;
    else localPending = true;
  }
  return { apply, conflicts, localPending };
}

/**
 * What to send for a record changed here: the fields that differ from the base, except
 * those the provider owns. Empty: nothing to push (a pulled change, or an edit undone).
 */
export function changedForPush(fields: readonly string[], base: FieldValues | null, local: FieldValues, owners: Readonly<Record<string, FieldOwner>> = {}): FieldValues {
  const out: FieldValues = {};
  for (const f of fields) {
    if (owners[f] === 'remote') continue;
    if (base === null ? local[f] !== null && local[f] !== undefined : !same(local[f], base[f])) out[f] = local[f] ?? null;
  }
  return out;
}
