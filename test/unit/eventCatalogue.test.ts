import { describe, expect, it } from '@jest/globals';
import { EVENT_CATALOGUE, EVENT_TYPES, eventEnvelope } from '../../lib/events.ts';
import { contactSnapshot, leadSnapshot } from '../../lib/snapshots.ts';

describe('event catalogue', () => {
  it('has an example for every event that its own data schema accepts', () => {
    for (const type of EVENT_TYPES) {
      const spec = EVENT_CATALOGUE[type];
      const parsed = spec.data.safeParse(spec.example);
      expect({ type, ok: parsed.success }).toEqual({ type, ok: true });
      expect(spec.description.length).toBeGreaterThan(10);
    }
  });

  it('describes contact and lead events with the one serializer each, whoever emits them', () => {
    const contact = { id: '3b1f7a4e-8a43-4c1e-9f0e-5c2d7e9a1b10', name: 'Ann', email: null, phone: '+15550001111', organization: null, tags: [] };
    expect(EVENT_CATALOGUE['contact.created'].data.safeParse({ contact: contactSnapshot(contact) }).success).toBe(true);
    const lead = leadSnapshot({ id: '8d2c4f6a-1e3b-4a5c-9d7e-0f1a2b3c4d5e', title: 'Ann: quote', source: 'sms', status: 'new' }, contact);
    expect(EVENT_CATALOGUE['lead.created'].data.safeParse({ lead, message_id: null }).success).toBe(true);
    // A lead event in another shape (the old inline one without message_id) is refused.
    expect(EVENT_CATALOGUE['lead.created'].data.safeParse({ lead: { id: lead.id } }).success).toBe(false);
  });

  it('wraps data in the envelope seeds 000 and 004 both read', () => {
    const at = new Date('2026-01-02T15:00:00Z');
    expect(eventEnvelope({ id: 'e1', type: 'lead.created', createdAt: at, tenantId: 't1', payload: { x: 1 } })).toEqual({
      id: 'e1',
      type: 'lead.created',
      event: 'lead.created',
      timestamp: '2026-01-02T15:00:00.000Z',
      tenant_id: 't1',
      data: { x: 1 },
    });
  });
});
