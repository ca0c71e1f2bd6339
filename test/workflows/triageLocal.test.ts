import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { tenantEm } from '../../lib/db.ts';
import { CalendarEventSchema } from '../../entities/CalendarEvent.ts';
import { LeadSchema } from '../../entities/Lead.ts';

let stack: TestStack;
let t: TestTenant;
beforeAll(async () => {
  // No OPENAI_API_KEY: the embedded default, the rule-based classifier.
  stack = await startStack({ env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', RATE_LIMIT_PER_MINUTE: '1000' } });
  t = await aTenant(stack.http);
});
afterAll(() => stack.close());

async function triaged(body: Record<string, unknown>) {
  const created = (await stack.http.post('/api/v1/inbox/messages', { token: t.token, body })).body.data;
  return eventually(async () => {
    const m = (await stack.http.get(`/api/v1/inbox/messages/${created.id}`, { token: t.token })).body.data;
    return m.processed ? m : undefined;
  }, { what: 'local triage' });
}

describe('triage with the local classifier (no credentials)', () => {
  it('reads a sales inquiry, extracts the sender and opens a lead', async () => {
    const m = await triaged({ channel: 'email', content: "Hi, I'm Jane Doe from Acme Corp, interested in pricing for 20 seats, jane@acme.com, +1 415 555 0100" });
    expect(m).toMatchObject({ category: 'sales_inquiry', classifier: 'local-rules', status: 'triaged' });
    expect(m.extracted_data.contacts[0]).toMatchObject({ email: 'jane@acme.com', phone: '+14155550100' });
    const lead = await tenantEm(stack.orm, t.tenantId).findOneOrFail(LeadSchema, m.lead_id, { populate: ['contact'] });
    expect(lead.contact.email).toBe('jane@acme.com');
    expect(lead.source).toBe('email');
    // The message is on the lead's timeline.
    const timeline = (await stack.http.get(`/api/v1/crm/leads/${lead.id}/activities`, { token: t.token })).body.data;
    expect(timeline).toEqual([expect.objectContaining({ activity_type: 'message_received', created_by: null, metadata: expect.objectContaining({ message_id: m.id, channel: 'email' }) })]);
  });

  it('reads an appointment request into a proposed event', async () => {
    const m = await triaged({ channel: 'sms', content: 'Can we book a meeting tomorrow at 3pm?', customer_phone: '+14155550111', received_at: '2026-03-10T09:00:00Z' });
    expect(m.category).toBe('appointment');
    const [event] = await tenantEm(stack.orm, t.tenantId).find(CalendarEventSchema, { sourceMessageId: m.id });
    expect(event.startsAt.toISOString()).toBe('2026-03-11T15:00:00.000Z');
  });

  it('recognises spam', async () => {
    const m = await triaged({ channel: 'email', content: 'WINNER!!! Click here to claim your lottery prize http://x.example http://y.example', customer_email: 'x@spam.example' });
    expect(m.status).toBe('spam');
    expect(m.lead_id).toBeNull();
  });
});
