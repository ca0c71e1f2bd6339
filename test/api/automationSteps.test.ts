import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { startStack, type TestStack } from '../support/app.ts';
import { aContact, aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { automationHelpers } from '../support/automations.ts';
import { countingTextProvider } from '../support/textProviders.ts';
import { tenantEm } from '../../lib/db.ts';
import { recordEvent } from '../../entities/Event.ts';
import { callPlan } from '../../entities/VoiceCall.ts';
import { createAutomationActivities } from '../../activities/automations.ts';
import { createCampaignActivities } from '../../activities/campaigns.ts';
import { databaseActions } from '../../activities/automationActions.ts';
import { runDefinition } from '../../lib/automations/definition.ts';
import { renderFields } from '../../lib/automations/template.ts';
import { createLocalEmailProvider } from '../../providers/messaging/email.ts';

/**
 * Automation steps as Temporal retries them (a worker that died after a send, before its
 * record; a campaign batch run again from its last saved place), the look-back of
 * `wait_for_event`, and what an action does with a placeholder that rendered empty. Their
 * activities run here under MockActivityEnvironment, against the real database.
 */
let stack: TestStack;
let t: TestTenant;
const api = '/api/v1';

beforeAll(async () => {
  stack = await startStack({ env: { RATE_LIMIT_PER_MINUTE: '10000', RATE_LIMIT_AUTH_PER_MINUTE: '1000', CAMPAIGN_SENDS_PER_SECOND: '200' } });
  t = await aTenant(stack.http);
}, 120_000);
afterAll(async () => {
  await stack.close();
});

const { anAutomation, execute, finished } = automationHelpers(() => stack, () => t);

describe('steps retried by Temporal, and looking back', () => {
  /** The worker's automation deps, texting through a local sink that counts its sends. */
  function deps(sends: string[]) {
    const text = countingTextProvider(sends);
    return {
      orm: stack.orm,
      messaging: { orm: stack.orm, providers: { text: () => text, email: createLocalEmailProvider() }, emailFrom: 'automations@example.test' },
      callPlan: callPlan(stack.config),
      sendTimeoutMs: stack.config.sms.sendTimeoutMs,
      outbound: { policy: stack.config.outbound, timeoutMs: 5_000 },
    };
  }
  const activities = (sends: string[]) => createAutomationActivities(deps(sends));

  it('does not text again when the worker died after the send, before the step was recorded', async () => {
    const to = '+14155550778';
    const id = await anAutomation({ name: 'Text once', trigger_type: 'manual', trigger_config: {}, actions: [{ id: 'hello', type: 'send_sms', to_number: to, message: 'Hello once' }] });
    const runId = await execute(id, {});
    const run = await finished(id, runId);
    const step = run.steps.find((s: { id: string }) => s.id === 'hello');
    expect(step).toMatchObject({ status: 'completed', output: { sent: true, to } });
    // The worker died between the send and the step's record: Temporal runs the step again, as attempt 2.
    await stack.orm.em.getConnection().execute(`update automation_runs set steps = '[]'::jsonb where id = ?`, [runId]);
    const sends: string[] = [];
    const ref = { tenantId: t.tenantId, runId, stepId: 'hello', type: 'send_sms', fields: { to_number: to, message: 'Hello once' }, startedAt: new Date().toISOString() };
    const again = await new MockActivityEnvironment({ attempt: 2 }).run(activities(sends).runAction, ref);
    expect(sends).toEqual([]);
    expect(again).toMatchObject({ status: 'completed', output: { sent: true, message_id: step.output.message_id } });
    const rows = await stack.orm.em.getConnection().execute(`select attempts, status from outbound_messages where tenant_id = ? and to_address = ?`, [t.tenantId, to]);
    expect(rows).toEqual([{ attempts: 1, status: 'sent' }]);
  }, 60_000);

  it('does not text a campaign contact again when its batch runs again after the worker died before saving its place', async () => {
    const c = await aTenant(stack.http);
    const phones = ['+14155550781', '+14155550782'];
    for (const phone of phones) await aContact(stack.http, c.token, { name: `Batch ${phone}`, phone, tags: ['batch-retry'] });
    const actions = [{ id: 'text', type: 'send_sms', to_number: '{{contact.phone}}', message: 'Hi {{contact.name}}' }];
    const id = await anAutomation({ name: 'Batch once', trigger_type: 'manual', actions }, c);
    const started = await stack.http.post(`${api}/automations/${id}/campaign`, { token: c.token, body: { segment: { tags: ['batch-retry'] }, sends_per_second: 50 } });
    const campaignId = started.body.data.id as string;
    await eventually(async () => ((await stack.http.get(`${api}/automations/${id}/campaigns/${campaignId}`, { token: c.token })).body.data.status === 'completed' ? true : undefined), { what: 'the campaign to finish' });
    // The worker died after the sends, before the batch saved its place: Temporal runs it again, as attempt 2.
    await stack.orm.em.getConnection().execute(`update campaigns set status = 'running', cursor = null, processed = 0, sent = 0, finished_at = null where id = ?`, [campaignId]);
    const sends: string[] = [];
    const batch = { tenantId: c.tenantId, campaignId, definition: runDefinition({ conditions: null, actions: actions as never }, 1), limit: 100, nextSendAt: 0 };
    const again = (await new MockActivityEnvironment({ attempt: 2 }).run(createCampaignActivities(deps(sends)).runCampaignBatch, batch)) as { counts: Record<string, number> };
    expect(sends).toEqual([]);
    expect(again.counts).toMatchObject({ processed: 2, sent: 2 });
    const rows = await stack.orm.em.getConnection().execute(`select to_address, attempts from outbound_messages where tenant_id = ? order by to_address`, [c.tenantId]);
    expect(rows).toEqual(phones.map((to) => ({ to_address: to, attempts: 1 })));
  }, 60_000);

  it("does not update a campaign contact again (nor tell subscribers twice) when its batch runs again after the worker died before saving its place", async () => {
    const c = await aTenant(stack.http);
    for (const name of ['Update Once A', 'Update Once B']) await aContact(stack.http, c.token, { name, email: `${name.replace(/ /g, '.').toLowerCase()}@example.com`, tags: ['update-retry'] });
    const actions = [{ id: 'mark', type: 'update_contact', contact_id: '{{contact.id}}', fields: { custom_fields: { campaign: 'spring' } } }];
    const id = await anAutomation({ name: 'Update once', trigger_type: 'manual', actions }, c);
    const started = await stack.http.post(`${api}/automations/${id}/campaign`, { token: c.token, body: { segment: { tags: ['update-retry'] } } });
    expect(started.status).toBe(202);
    const campaignId = started.body.data.id as string;
    await eventually(async () => ((await stack.http.get(`${api}/automations/${id}/campaigns/${campaignId}`, { token: c.token })).body.data.status === 'completed' ? true : undefined), { what: 'the campaign to finish' });
    const updates = `select entity_id, count(*)::int as n from events where tenant_id = ? and type = 'contact.updated' group by entity_id order by entity_id`;
    const before = await stack.orm.em.getConnection().execute(updates, [c.tenantId]);
    expect(before.map((r) => r.n)).toEqual([1, 1]);
    // The worker died after the steps, before the batch saved its place: Temporal runs it again, as attempt 2.
    await stack.orm.em.getConnection().execute(`update campaigns set status = 'running', cursor = null, processed = 0, sent = 0, finished_at = null where id = ?`, [campaignId]);
    const batch = { tenantId: c.tenantId, campaignId, definition: runDefinition({ conditions: null, actions: actions as never }, 1), limit: 100, nextSendAt: 0 };
    const again = (await new MockActivityEnvironment({ attempt: 2 }).run(createCampaignActivities(deps([])).runCampaignBatch, batch)) as { counts: Record<string, number> };
    expect(again.counts).toMatchObject({ processed: 2, sent: 2, failed: 0 });
    expect(await stack.orm.em.getConnection().execute(updates, [c.tenantId])).toEqual(before);
  }, 60_000);

  it('finds an event that came before a wait_for_event began, however many of its type came first', async () => {
    const since = new Date(Date.now() - 1_000).toISOString();
    const em = tenantEm(stack.orm, t.tenantId);
    const leadId = randomUUID();
    // A CRM sync's worth of other leads' updates, then the one the step waits for.
    for (let i = 0; i < 450; i++) recordEvent(em, { tenantId: t.tenantId, type: 'lead.updated', entityType: 'lead', entityId: randomUUID(), payload: { lead: { id: randomUUID() }, changed: ['status'] } as never });
    await em.flush();
    const wanted = recordEvent(em, { tenantId: t.tenantId, type: 'lead.updated', entityType: 'lead', entityId: leadId, payload: { lead: { id: leadId }, changed: ['status'] } as never });
    await em.flush();
    const ref = { tenantId: t.tenantId, runId: randomUUID(), stepId: 'wait', types: ['lead.updated'], field: 'lead.id', equals: leadId, since, until: new Date(Date.now() + 60_000).toISOString() };
    const found = await new MockActivityEnvironment().run(activities([]).watchEvents, ref);
    expect(found).toMatchObject({ id: wanted.id, type: 'lead.updated', data: { lead: { id: leadId } } });
    const none = await new MockActivityEnvironment().run(activities([]).watchEvents, { ...ref, runId: randomUUID(), equals: randomUUID() });
    expect(none).toBeNull();
  }, 60_000);

  it('makes a task once when a campaign batch runs its contacts again (its key is unique)', async () => {
    const contact = await aContact(stack.http, t.token, { name: 'Task Person', email: 'task@example.com' });
    const ref = { tenantId: t.tenantId, runId: `campaign:${randomUUID()}:${contact.id}`, stepId: 'task' };
    const make = () => tenantEm(stack.orm, t.tenantId).transactional((tx) => databaseActions.create_task(tx, ref, { title: 'Call back', contact_id: contact.id }, {} as never));
    const first = (await make()) as { task_id: string };
    const second = (await make()) as { task_id: string };
    expect(second.task_id).toBe(first.task_id);
    const [{ n }] = await stack.orm.em.getConnection().execute(`select count(*)::int as n from task where tenant_id = ? and contact_id = ?`, [t.tenantId, contact.id]);
    expect(n).toBe(1);
  });
});

describe('placeholders with nothing behind them', () => {
  it("leave a lead's value and a contact's custom fields as they were; an explicit null clears the value", async () => {
    const contact = await aContact(stack.http, t.token, { name: 'Value Person', email: 'value@example.com' });
    const lead = (await stack.http.post(`${api}/crm/leads`, { token: t.token, body: { contact_id: contact.id, title: 'Deal', value: 1200 } })).body.data;
    await stack.http.patch(`${api}/contacts/${contact.id}`, { token: t.token, body: { custom_fields: { plan: 'gold' } } });
    const em = tenantEm(stack.orm, t.tenantId);
    const ref = { tenantId: t.tenantId, runId: randomUUID(), stepId: 's' };
    // What `{"value": "{{deal.amount}}"}` renders to when the trigger has no deal.amount.
    await em.transactional((tx) => databaseActions.update_lead(tx, ref, renderFields({ lead_id: lead.id, fields: { status: 'contacted', value: '{{deal.amount}}' } }, {}), {} as never));
    await em.transactional((tx) => databaseActions.update_contact(tx, ref, renderFields({ contact_id: contact.id, fields: { custom_fields: { plan: '{{plan.name}}', seen: 'yes' } } }, {}), {} as never));
    expect((await stack.http.get(`${api}/crm/leads/${lead.id}`, { token: t.token })).body.data).toMatchObject({ status: 'contacted', value: 1200 });
    expect((await stack.http.get(`${api}/contacts/${contact.id}`, { token: t.token })).body.data.custom_fields).toEqual({ plan: 'gold', seen: 'yes' });
    await em.transactional((tx) => databaseActions.update_lead(tx, ref, { lead_id: lead.id, fields: { value: null } }, {} as never));
    expect((await stack.http.get(`${api}/crm/leads/${lead.id}`, { token: t.token })).body.data.value).toBeNull();
  });
});
