import { describe, expect, it } from '@jest/globals';
import { campaignProblem, segmentWhere } from '../../lib/automations/segment.ts';

describe('campaign segments', () => {
  it('turns every condition given into SQL with its parameters, in order', () => {
    expect(segmentWhere({})).toEqual({ sql: 'c.archived_at is null', params: [] });
    expect(segmentWhere({ tags: ['vip', 'new "one"'], has_phone: true, has_email: false, organization: 'Acme', created_after: '2026-01-01', created_before: '2026-02-01' })).toEqual({
      sql: 'c.archived_at is null and c.tags && ?::text[] and c.phone is not null and c.email is null and lower(c.organization) = lower(?) and c.created_at >= ? and c.created_at < ?',
      params: ['{"vip","new \\"one\\""}', 'Acme', '2026-01-01', '2026-02-01'],
    });
  });

  it('runs straight lines of contact actions only', () => {
    expect(campaignProblem([{ id: 'a', type: 'send_sms' }, { id: 'b', type: 'add_tag' }])).toBeNull();
    expect(campaignProblem([{ id: 'a', type: 'wait' }])).toMatch(/^step a is wait/);
    expect(campaignProblem([{ id: 'a', type: 'send_sms', next: 'end' }])).toMatch(/jumps/);
  });
});
