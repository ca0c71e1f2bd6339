import { describe, expect, it } from '@jest/globals';
import { changedForPush, mergePulled } from '../../lib/crm/fieldMerge.ts';

const fields = ['Email', 'Phone', 'Title'];
const base = { Email: 'a@x.com', Phone: '1', Title: 'CEO' };
const earlier = new Date('2026-12-01T10:00:00Z');
const later = new Date('2026-12-01T11:00:00Z');

describe('mergePulled', () => {
  it('takes a field changed only at the provider and keeps one changed only here as pending', () => {
    const m = mergePulled({ fields, base, local: { ...base, Title: 'CTO' }, remote: { ...base, Phone: '2' }, localChangedAt: earlier, remoteChangedAt: later });
    expect(m.apply).toEqual({ Phone: '2' });
    expect(m.conflicts).toEqual([]);
    expect(m.localPending).toBe(true);
  });

  it('sees our own pushed change coming back as no change (echo suppression)', () => {
    const pushed = { ...base, Phone: '9' };
    const m = mergePulled({ fields, base: pushed, local: pushed, remote: pushed, localChangedAt: later, remoteChangedAt: later });
    expect(m).toEqual({ apply: {}, conflicts: [], localPending: false });
  });

  it('settles a field changed on both sides by the most recent change, or by its owner', () => {
    const input = { fields, base, local: { ...base, Phone: 'local' }, remote: { ...base, Phone: 'remote' } };
    expect(mergePulled({ ...input, localChangedAt: earlier, remoteChangedAt: later })).toEqual({ apply: { Phone: 'remote' }, conflicts: [{ field: 'Phone', winner: 'remote' }], localPending: false });
    expect(mergePulled({ ...input, localChangedAt: later, remoteChangedAt: earlier })).toEqual({ apply: {}, conflicts: [{ field: 'Phone', winner: 'local' }], localPending: true });
    expect(mergePulled({ ...input, localChangedAt: later, remoteChangedAt: earlier, owners: { Phone: 'remote' } }).apply).toEqual({ Phone: 'remote' });
    expect(mergePulled({ ...input, localChangedAt: earlier, remoteChangedAt: later, owners: { Phone: 'local' } }).localPending).toBe(true);
  });

  it('lets an owner overwrite the other side even when only that side changed', () => {
    // The provider owns Title: our edit is undone; we own Phone: their edit is sent back.
    const m = mergePulled({ fields, base, local: { ...base, Title: 'mine' }, remote: { ...base, Phone: 'theirs' }, localChangedAt: later, remoteChangedAt: earlier, owners: { Title: 'remote', Phone: 'local' } });
    expect(m.apply).toEqual({ Title: 'CEO' });
    expect(m.localPending).toBe(true);
  });

  it('treats a first meeting (no base) as a merge: a value fills a gap, only two different values conflict', () => {
    const m = mergePulled({ fields, base: null, local: { Email: 'a@x.com', Phone: '1', Title: null }, remote: { Email: 'a@x.com', Phone: '2', Title: 'CEO' }, localChangedAt: earlier, remoteChangedAt: later });
    expect(m.apply).toEqual({ Phone: '2', Title: 'CEO' });
    expect(m.conflicts).toEqual([{ field: 'Phone', winner: 'remote' }]);
    const ours = mergePulled({ fields, base: null, local: { Email: 'a@x.com', Phone: '1', Title: null }, remote: { Email: 'a@x.com', Phone: null, Title: 'CEO' }, localChangedAt: later, remoteChangedAt: earlier });
    expect(ours).toEqual({ apply: { Title: 'CEO' }, conflicts: [], localPending: true });
  });
});

describe('changedForPush', () => {
  it('sends only fields that differ from the base, never those the provider owns', () => {
    expect(changedForPush(fields, base, { ...base, Phone: '5', Title: 'CTO' }, { Title: 'remote' })).toEqual({ Phone: '5' });
    expect(changedForPush(fields, base, base)).toEqual({});
  });

  it('sends every set field of a record the provider never had', () => {
    expect(changedForPush(fields, null, { Email: 'b@x.com', Phone: null, Title: 'CTO' })).toEqual({ Email: 'b@x.com', Title: 'CTO' });
  });
});
