import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aContact, aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { captureHistory } from '../support/histories.ts';
import { untilScheduleCanStartAgain } from '../support/schedules.ts';
import { abandonAnswer, postAcrossADeadApi } from '../support/idempotency.ts';
import { automationHelpers, stepsOf } from '../support/automations.ts';
import { Webhook } from 'standardwebhooks';
import { startWebhookReceiver } from '../fakes/webhookReceiver.ts';
import { tenantEm } from '../../lib/db.ts';
import { EventSchema } from '../../entities/Event.ts';

/**
 * User-defined automations on the real dev server: seed 002's definition and its execute
 * call, every action, a branch, durable waits, `wait_for_event` (timed out, satisfied, and
 * the event that came just before the wait), an event trigger fired by a triaged message,
 * versions, cancellation, the depth and concurrency limits, and tenant isolation.
 */
let stack: TestStack;
let t: TestTenant;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
const api = '/api/v1';

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startStack({ env: { RATE_LIMIT_PER_MINUTE: '10000', RATE_LIMIT_AUTH_PER_MINUTE: '1000', OUTBOUND_ALLOWED_HOSTS: '127.0.0.1', CAMPAIGN_SENDS_PER_SECOND: '200' } });
  t = await aTenant(stack.http);
}, 120_000);
afterAll(async () => {
  await stack.close();
  await receiver.close();
});

/** Seed 002's example as it writes it, run by hand (its time_based trigger in its own test below). */
const seedExample = {
  name: 'Appointment Reminder',
  description: 'Send SMS reminder 24 hours before appointment',
  trigger_type: 'manual',
  trigger_config: {},
  conditions: { all: [{ type: 'equals', field: 'event.type', value: 'appointment' }] },
  actions: [{ type: 'send_sms', to_number: '{{contact.phone}}', message: 'Reminder: You have an appointment tomorrow at {{event.start_time}}' }],
  enabled: true,
};
const seedContext = { contact: { name: 'Jane Smith', phone: '+1234567891' }, event: { title: 'Appointment', type: 'appointment', start_time: '2024-01-02T15:00:00Z' } };

const { anAutomation, execute, getRun, finished } = automationHelpers(() => stack, () => t);

describe('seed 002’s automation', () => {
  let id: string;

  it('is created as the seed writes it, and read back', async () => {
    const res = await stack.http.post(`${api}/automations`, { token: t.token, body: seedExample });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ ...seedExample, version: 1, max_concurrent_runs: 0 });
    id = res.body.data.id;
    expect((await stack.http.get(`${api}/automations/${id}`, { token: t.token })).body.data.name).toBe('Appointment Reminder');
    const listed = await stack.http.get(`${api}/automations?trigger_type=manual`, { token: t.token });
    expect(listed.body.data.map((a: { id: string }) => a.id)).toContain(id);
  });

  it('runs with the seed’s execute context: the SMS is rendered and sent, each step recorded', async () => {
    const runId = await execute(id, seedContext);
    const run = await finished(id, runId);
    expect(run).toMatchObject({ status: 'completed', version: 1, trigger: 'manual', error: null, run: { workflow_id: `automation-${runId}` } });
    expect(run.steps).toEqual([
      expect.objectContaining({ id: 'step_1', type: 'send_sms', status: 'completed', input: { to_number: '+1234567891', message: 'Reminder: You have an appointment tomorrow at 2024-01-02T15:00:00Z' }, output: expect.objectContaining({ status: 'sent', to: '+1234567891' }) }),
    ]);
    const outbox = (await stack.http.get(`${api}/sms/outbox`, { token: t.token })).body.data;
    expect(outbox[0]).toMatchObject({ to: '+1234567891', body: 'Reminder: You have an appointment tomorrow at 2024-01-02T15:00:00Z', cause: { type: 'automation', run_id: runId, step: 'step_1' } });
    const runs = (await stack.http.get(`${api}/runs?type=automation`, { token: t.token })).body.data;
    expect(runs.map((r: { workflow_id: string }) => r.workflow_id)).toContain(`automation-${runId}`);
    const described = (await stack.http.get(`${api}/runs/automation-${runId}`, { token: t.token })).body.data;
    expect(described).toMatchObject({ status: 'completed', type: 'runAutomationWorkflow', entity: { type: 'automation_run', id: runId }, result: { status: 'completed', steps: [{ id: 'step_1', status: 'completed' }] } });
    const events = (await tenantEm(stack.orm, t.tenantId).find(EventSchema, { entityId: runId })).map((e) => e.type);
    expect(events).toEqual(['automation.completed']);
    captureHistory(`automation-${runId}`, 'automation-seed-sms');
  });

  it('skips a run whose conditions are not met, sending nothing', async () => {
    const runId = await execute(id, { ...seedContext, event: { ...seedContext.event, type: 'call' } });
    const run = await finished(id, runId);
    expect(run).toMatchObject({ status: 'skipped', error: 'the conditions were not met', steps: [] });
  });
});

describe('definitions are checked on save', () => {
  it('refuses an invalid definition with a field error for each problem, and stores nothing', async () => {
    const before = (await stack.http.get(`${api}/automations`, { token: t.token })).body.pagination.total;
    const res = await stack.http.post(`${api}/automations`, {
      token: t.token,
      body: {
        ...seedExample,
        actions: [
          { type: 'send_fax', to: '+1' },
          { type: 'send_sms', message: 'Hi {{contact.name}' },
          { type: 'create_task', title: 'x', due_in: 'soon' },
        ],
      },
    });
    expect(res.status).toBe(422);
    const fields = res.body.error.details.fields.map((f: { field: string }) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['body.actions.0.type', 'body.actions.1.to_number', 'body.actions.1.message', 'body.actions.2.due_in']));
    expect((await stack.http.get(`${api}/automations`, { token: t.token })).body.pagination.total).toBe(before);
  });

  it('refuses a loop and a step no path reaches', async () => {
    const loop = await stack.http.post(`${api}/automations`, {
      token: t.token,
      body: {
        ...seedExample,
        actions: [
          { id: 'nudge', type: 'send_sms', to_number: '{{contact.phone}}', message: 'Still interested?' },
          { id: 'pause', type: 'wait', duration: '1d' },
          { id: 'again', type: 'branch', condition: { type: 'exists', field: 'contact.replied', value: false }, then: 'nudge' },
        ],
      },
    });
    expect(loop.status).toBe(422);
    expect(loop.body.error.details.fields).toEqual([expect.objectContaining({ field: 'body.actions.2.then', message: 'goes back to step "nudge": automations may not loop' })]);
    const unreachable = await stack.http.post(`${api}/automations`, { token: t.token, body: { ...seedExample, actions: [{ type: 'stop' }, { type: 'add_tag', contact_id: 'x', tag: 'y' }] } });
    expect(unreachable.status).toBe(422);
    expect(unreachable.body.error.details.fields[0].field).toBe('body.actions.1.type');
  });
});

describe('every action, a branch and templates from earlier steps', () => {
  it('creates a lead, notes it, moves it, updates and tags the contact, makes a task, calls out over HTTP, and branches', async () => {
    const contact = await aContact(stack.http, t.token, { name: 'Alex Buyer', email: 'alex@example.com', phone: '+14155550999' });
    const id = await anAutomation({
      name: 'New buyer',
      trigger_type: 'manual',
      actions: [
        { id: 'lead', type: 'create_lead', title: 'Deal for {{contact.name}}', contact_id: '{{contact.id}}', value: '{{deal.value}}', source: 'automation' },
        { id: 'note', type: 'add_note', lead_id: '{{steps.lead.output.lead_id}}', text: 'Came in worth {{deal.value}}' },
        { id: 'move', type: 'update_lead', lead_id: '{{steps.lead.output.lead_id}}', fields: { status: 'qualified' } },
        { id: 'rename', type: 'update_contact', contact_id: '{{contact.id}}', fields: { organization: 'Buyer Co', custom_fields: { tier: 'gold' } } },
        { id: 'tag', type: 'add_tag', contact_id: '{{contact.id}}', tag: 'buyer' },
        { id: 'task', type: 'create_task', title: 'Call {{contact.name}}', due_in: '2d', contact_id: '{{contact.id}}' },
        { id: 'big', type: 'branch', condition: { type: 'gte', field: 'deal.value', value: 1000 }, then: 'notify', else: 'done' },
        { id: 'notify', type: 'http_request', url: receiver.url('/deals'), body: { lead: '{{steps.lead.output.lead_id}}', value: '{{deal.value}}' }, headers: { 'X-Source': 'aisec' } },
        { id: 'mail', type: 'send_email', to: '{{contact.email}}', subject: 'Welcome {{contact.name}}', body: 'Your lead {{steps.lead.output.lead_id}} is {{steps.move.output.changed.0}}' },
        { id: 'done', type: 'stop', reason: 'all set' },
      ],
    });
    const runId = await execute(id, { contact: { id: contact.id, name: 'Alex Buyer', email: 'alex@example.com' }, deal: { value: 1500 } });
    const run = await finished(id, runId);
    expect(run.status).toBe('completed');
    expect(stepsOf(run)).toEqual(['lead: completed', 'note: completed', 'move: completed', 'rename: completed', 'tag: completed', 'task: completed', 'big: completed', 'notify: completed', 'mail: completed', 'done: completed']);
    const leadId = run.steps[0].output.lead_id as string;
    const lead = (await stack.http.get(`${api}/crm/leads/${leadId}`, { token: t.token })).body.data;
    expect(lead).toMatchObject({ title: 'Deal for Alex Buyer', status: 'qualified', value: 1500, source: 'automation' });
    const timeline = (await stack.http.get(`${api}/crm/leads/${leadId}/activities`, { token: t.token })).body.data;
    expect(timeline.map((a: { description: string }) => a.description)).toContain('Came in worth 1500');
    const updated = (await stack.http.get(`${api}/contacts/${contact.id}`, { token: t.token })).body.data;
    expect(updated).toMatchObject({ organization: 'Buyer Co', tags: expect.arrayContaining(['buyer']), custom_fields: { tier: 'gold' } });
    expect(run.steps.find((s: { id: string }) => s.id === 'big').output).toEqual({ taken: 'then' });
    const hit = receiver.received.find((r) => r.path === '/deals');
    expect(hit && JSON.parse(hit.body)).toEqual({ lead: leadId, value: 1500 });
    expect(hit?.headers['idempotency-key']).toBe(`${runId}:notify`);
    expect(hit?.headers['x-source']).toBe('aisec');
    const mail = (await stack.http.get(`${api}/sms/outbox?channel=email`, { token: t.token })).body.data[0];
    expect(mail).toMatchObject({ to: 'alex@example.com', subject: 'Welcome Alex Buyer', body: `Your lead ${leadId} is status` });
    captureHistory(`automation-${runId}`, 'automation-every-action');

    // The small deal takes the else branch, straight to the stop.
    const small = await finished(id, await execute(id, { contact: { id: contact.id, name: 'Alex Buyer', email: 'alex@example.com' }, deal: { value: 10 } }));
    expect(stepsOf(small).slice(-2)).toEqual(['big: completed', 'done: completed']);
  }, 60_000);

  it('places a call and schedules a reminder for the contact', async () => {
    const always = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: '00:00', end: '24:00' }]]));
    // Quiet hours off: from 21:00 to 08:00 (the tenant's zone) they would hold the reminder till morning.
    expect((await stack.http.patch(`${api}/tenant`, { token: t.token, body: { working_hours: always, quiet_hours: null } })).status).toBe(200);
    const contact = await aContact(stack.http, t.token, { name: 'Callie Caller', email: 'callie@example.com', phone: '+14155550888' });
    const id = await anAutomation({
      name: 'Call and remind',
      trigger_type: 'manual',
      actions: [
        { id: 'call', type: 'start_call', contact_id: '{{contact.id}}', purpose: 'Follow up on {{topic}}', voice_settings: { agent_name: 'Sam' } },
        { id: 'remind', type: 'schedule_reminder', contact_id: '{{contact.id}}', message: 'We spoke about {{topic}}: call id {{steps.call.output.call_id}}', send_at: '{{remind_at}}' },
      ],
    });
    const run = await finished(id, await execute(id, { contact: { id: contact.id }, topic: 'the renewal', remind_at: new Date(Date.now() + 2_000).toISOString() }));
    expect(stepsOf(run)).toEqual(['call: completed', 'remind: completed']);
    const callId = run.steps[0].output.call_id as string;
    // The call dials at once (no start needed), and the simulator answers.
    const call = await eventually(async () => {
      const c = (await stack.http.get(`${api}/voice/calls/${callId}`, { token: t.token })).body.data;
      return c.status === 'in_progress' ? c : undefined;
    }, { what: 'the call to be answered' });
    expect(call).toMatchObject({ phone_number: '+14155550888', contact_id: contact.id, purpose: 'Follow up on the renewal' });
    expect(call.transcript[0].text).toMatch(/^Hi Callie, this is Sam calling from /);
    await stack.http.post(`${api}/voice/calls/${callId}/end`, { token: t.token, body: { reason: 'completed' } });
    // The call's events name the run that started it, as the reminder's do (below).
    const callEvents = await eventually(async () => {
      const rows = await stack.orm.em.getConnection().execute(`select type, automation_run_id, automation_depth from events where tenant_id = ? and entity_id = ? order by type`, [t.tenantId, callId]);
      return rows.some((r) => r.type === 'call.completed') ? rows : undefined;
    }, { what: 'the call to be recorded completed' });
    expect(callEvents).toEqual(['call.completed', 'call.ended', 'call.started'].map((type) => ({ type, automation_run_id: run.id, automation_depth: run.depth })));
    const reminderId = run.steps[1].output.reminder_id as string;
    const sent = await eventually(async () => {
      const r = (await stack.http.get(`${api}/reminders/${reminderId}`, { token: t.token })).body.data;
      return r.status === 'sent' ? r : undefined;
    }, { what: 'the reminder to be sent' });
    expect(sent).toMatchObject({ contact_id: contact.id, message: `We spoke about the renewal: call id ${callId}` });
    // Its send's events name the run that made it, so automations answering them stop at AUTOMATION_MAX_DEPTH.
    const events = await stack.orm.em.getConnection().execute(
      `select e.type, e.automation_run_id, e.automation_depth from events e
        where e.tenant_id = ? and ((e.type = 'reminder.sent' and e.entity_id = ?) or (e.type = 'sms.sent' and e.entity_id in (select id from outbound_messages where cause->>'reminder_id' = ?)))
        order by e.type`,
      [t.tenantId, reminderId, reminderId],
    );
    expect(events).toEqual([
      { type: 'reminder.sent', automation_run_id: run.id, automation_depth: run.depth },
      { type: 'sms.sent', automation_run_id: run.id, automation_depth: run.depth },
    ]);
  }, 60_000);

  it('fails the run on a step that cannot succeed, saying which and why', async () => {
    const id = await anAutomation({ name: 'Bad lead', trigger_type: 'manual', actions: [{ id: 'move', type: 'update_lead', lead_id: '{{lead.id}}', fields: { status: 'sideways' } }] });
    const lead = await stack.http.post(`${api}/crm/leads`, { token: t.token, body: { title: 'x', source: 'web', contact: { name: 'Sam', email: 'sam@example.com' } } });
    const run = await finished(id, await execute(id, { lead: { id: lead.body.data.id } }));
    expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/^step move: status must be one of new, /), steps: [expect.objectContaining({ id: 'move', status: 'failed' })] });
    const events = (await tenantEm(stack.orm, t.tenantId).find(EventSchema, { entityId: run.id })).map((e) => e.type);
    expect(events).toEqual(['automation.failed']);
  });

  it('refuses a reminder whose time zone, filled in from the context, is not one', async () => {
    const id = await anAutomation({
      name: 'Remind in their zone',
      trigger_type: 'manual',
      actions: [{ id: 'remind', type: 'schedule_reminder', to: '+14155550889', message: 'hello', send_at: '{{at}}', timezone: '{{zone}}' }],
    });
    const run = await finished(id, await execute(id, { at: new Date(Date.now() + 3_600_000).toISOString(), zone: 'Mars/Olympus' }));
    // Before, the reminder was stored with it.
    expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/^step remind: .*must be an IANA time zone/) });
  });
});

describe('waiting for an event', () => {
  const waiter = (before: Array<Record<string, unknown>> = []) => ({
    name: 'Wait for the lead to move',
    trigger_type: 'manual',
    actions: [...before, { id: 'moved', type: 'wait_for_event', events: ['lead.updated'], match: { field: 'lead.id', equals: '{{lead.id}}' }, timeout: '20s' }, { id: 'after', type: 'add_note', lead_id: '{{lead.id}}', text: 'moved: {{steps.moved.output.event.data.lead.status}}' }],
  });
  const aLead = async (email: string) => (await stack.http.post(`${api}/crm/leads`, { token: t.token, body: { title: 'Deal', source: 'web', contact: { name: 'Lee', email } } })).body.data.id as string;

  it('goes on when the event comes, matched by its field', async () => {
    const id = await anAutomation(waiter());
    const leadId = await aLead('wait1@example.com');
    const other = await aLead('wait1b@example.com');
    const runId = await execute(id, { lead: { id: leadId } });
    await eventually(async () => ((await stack.http.get(`${api}/runs/automation-${runId}`, { token: t.token })).body.data.progress?.status === 'waiting' ? true : undefined), { what: 'the run to wait' });
    // Another lead's update is not the one awaited.
    expect((await stack.http.put(`${api}/crm/leads/${other}`, { token: t.token, body: { status: 'contacted' } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect((await getRun(id, runId)).status).toBe('running');
    expect((await stack.http.put(`${api}/crm/leads/${leadId}`, { token: t.token, body: { status: 'proposal' } })).status).toBe(200);
    const run = await finished(id, runId);
    expect(run.status).toBe('completed');
    expect(run.steps[0].output.event).toMatchObject({ type: 'lead.updated', data: { lead: { id: leadId, status: 'proposal' } } });
    captureHistory(`automation-${runId}`, 'automation-wait-for-event');
  }, 60_000);

  it('times out when nothing comes', async () => {
    const id = await anAutomation({ name: 'Short wait', trigger_type: 'manual', actions: [{ id: 'moved', type: 'wait_for_event', events: ['lead.updated'], timeout: '1s' }, { type: 'stop' }] });
    const run = await finished(id, await execute(id, { lead: { id: await aLead('wait2@example.com') } }));
    expect(run.steps[0]).toMatchObject({ id: 'moved', output: { timed_out: true } });
  });

  it('does not lose an event that came after the trigger but before the wait began', async () => {
    const id = await anAutomation(waiter([{ id: 'first', type: 'wait', duration: '2s' }]));
    const leadId = await aLead('wait3@example.com');
    const runId = await execute(id, { lead: { id: leadId } });
    // The lead moves while the run is still in its first step.
    expect((await stack.http.put(`${api}/crm/leads/${leadId}`, { token: t.token, body: { status: 'won' } })).status).toBe(200);
    const run = await finished(id, runId);
    expect(run.status).toBe('completed');
    expect(run.steps.find((s: { id: string }) => s.id === 'moved').output.event.data.lead.status).toBe('won');
  }, 60_000);
});

describe('event triggers', () => {
  it('runs once per event for a triaged message, however often the event is fanned out', async () => {
    const id = await anAutomation({
      name: 'Follow up messages',
      trigger_type: 'event',
      trigger_config: { event: 'message.triaged', filter: { type: 'exists', field: 'message_id' } },
      actions: [{ id: 'todo', type: 'create_task', title: 'Follow up: {{category}} ({{priority}})' }],
    });
    const message = (await stack.http.post(`${api}/inbox/messages`, { token: t.token, body: { channel: 'email', content: 'Hi, what does the premium plan cost per month?', customer_email: 'buyer@example.com' } })).body.data;
    const run = await eventually(async () => {
      const runs = (await stack.http.get(`${api}/automations/${id}/runs`, { token: t.token })).body.data;
      return runs[0]?.finished_at ? runs[0] : undefined;
    }, { what: 'the triggered run', timeoutMs: 45_000 });
    expect(run).toMatchObject({ status: 'completed', trigger: 'event', depth: 1, context: { message_id: message.id, trigger_event: { type: 'message.triaged' } } });
    expect(run.steps[0].input.title).toMatch(/^Follow up: \w+ \(\w+\)$/);
    // The relay fans the same event out again (as after a crash before its commit): no second run.
    await stack.orm.em.getConnection().execute('update events set dispatched_at = null where id = ?', [run.trigger_event_id]);
    await stack.orm.em.getConnection().execute("select pg_notify('outbox', '')");
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await stack.http.get(`${api}/automations/${id}/runs`, { token: t.token })).body.pagination.total).toBe(1);
    captureHistory(`automation-${run.id}`, 'automation-event-triggered');
  }, 60_000);

  it('stops a chain of automations that retrigger each other at the depth limit', async () => {
    const contact = await aContact(stack.http, t.token, { name: 'Loop Person', email: 'loop@example.com' });
    const id = await anAutomation({
      name: 'Touch contact',
      trigger_type: 'event',
      trigger_config: { event: 'contact.updated', filter: { type: 'equals', field: 'contact.id', value: contact.id } },
      actions: [{ type: 'update_contact', contact_id: '{{contact.id}}', fields: { custom_fields: { touched: '{{trigger_event.id}}' } } }],
    });
    await stack.http.patch(`${api}/contacts/${contact.id}`, { token: t.token, body: { organization: 'Start' } });
    const runs = await eventually(async () => {
      const list = (await stack.http.get(`${api}/automations/${id}/runs?sort_order=asc`, { token: t.token })).body.data;
      return list.length === 4 && list.every((r: { finished_at: string | null }) => r.finished_at) ? list : undefined;
    }, { what: 'the chain to stop', timeoutMs: 45_000 });
    expect(runs.map((r: { depth: number; status: string }) => `${r.depth} ${r.status}`)).toEqual(['1 completed', '2 completed', '3 completed', '4 skipped']);
    expect(runs[3].error).toMatch(/AUTOMATION_MAX_DEPTH 3/);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await stack.http.get(`${api}/automations/${id}/runs`, { token: t.token })).body.pagination.total).toBe(4);
    await stack.http.post(`${api}/automations/${id}/disable`, { token: t.token });
  }, 60_000);

  /** Runs of `id` until one is skipped at the depth limit, oldest first. */
  const chainOf = (id: string) =>
    eventually(async () => {
      const list = (await stack.http.get(`${api}/automations/${id}/runs?sort_order=asc`, { token: t.token })).body.data;
      return list.some((r: { status: string }) => r.status === 'skipped') && list.every((r: { finished_at: string | null }) => r.finished_at) ? list : undefined;
    }, { what: 'the chain to stop at the depth limit', timeoutMs: 45_000 });

  it('stops a chain of automations answering their own texts (sms.sent) at the depth limit', async () => {
    const to = '+14155550777';
    const id = await anAutomation({
      name: 'Echo texts',
      trigger_type: 'event',
      trigger_config: { event: 'sms.sent', filter: { type: 'equals', field: 'to', value: to } },
      actions: [{ type: 'send_sms', to_number: to, message: 'echo {{trigger_event.id}}' }],
    });
    await stack.http.post(`${api}/sms/send`, { token: t.token, body: { to_number: to, message: 'first' } });
    const runs = await chainOf(id);
    expect(runs.map((r: { depth: number; status: string }) => `${r.depth} ${r.status}`)).toEqual(['1 completed', '2 completed', '3 completed', '4 skipped']);
    // Each run's text says which run sent it, as its event does.
    const em = tenantEm(stack.orm, t.tenantId);
    const sent = await em.find(EventSchema, { type: 'sms.sent', payload: { to } } as never, { orderBy: { createdAt: 'asc' } });
    expect(sent.map((e) => e.automationDepth)).toEqual([0, 1, 2, 3]);
    expect(sent.slice(1).map((e) => e.automationRunId)).toEqual(runs.slice(0, 3).map((r: { id: string }) => r.id));
    await stack.http.post(`${api}/automations/${id}/disable`, { token: t.token });
  }, 60_000);

  it('stops a chain of automations started by their own end (automation.completed) at the depth limit', async () => {
    const definition = (automationId: string) => ({
      name: 'Again',
      trigger_type: 'event',
      trigger_config: { event: 'automation.completed', filter: { type: 'equals', field: 'automation_id', value: automationId } },
      actions: [{ type: 'wait', duration: '1s' }],
    });
    const again = await anAutomation(definition('00000000-0000-4000-8000-000000000000'));
    // Now that its id is known, it listens for its own end.
    const put = await stack.http.put(`${api}/automations/${again}`, { token: t.token, body: definition(again) });
    expect(put.status).toBe(200);
    await execute(again, {});
    const runs = await chainOf(again);
    expect(runs.map((r: { depth: number; status: string }) => `${r.depth} ${r.status}`)).toEqual(['1 completed', '2 completed', '3 completed', '4 skipped']);
    await stack.http.post(`${api}/automations/${again}/disable`, { token: t.token });
  }, 60_000);
});

describe('versions, limits and cancelling', () => {
  it('keeps the version a run started with when the automation is edited meanwhile', async () => {
    const contact = await aContact(stack.http, t.token, { name: 'Version Person', email: 'version@example.com' });
    const body = (tag: string) => ({ name: 'Tagger', trigger_type: 'manual', actions: [{ type: 'wait', duration: '2s' }, { type: 'add_tag', contact_id: '{{contact.id}}', tag }] });
    const id = await anAutomation(body('v1'));
    const first = await execute(id, { contact: { id: contact.id } });
    const edited = await stack.http.put(`${api}/automations/${id}`, { token: t.token, body: body('v2') });
    expect(edited.body.data.version).toBe(2);
    const run = await finished(id, first);
    expect(run).toMatchObject({ status: 'completed', version: 1 });
    const tags = async () => ((await stack.http.get(`${api}/contacts/${contact.id}`, { token: t.token })).body.data.tags as string[]).filter((x) => /^v\d$/.test(x));
    expect(await tags()).toEqual(['v1']);
    const second = await finished(id, await execute(id, { contact: { id: contact.id } }));
    expect(second.version).toBe(2);
    expect(await tags()).toEqual(['v1', 'v2']);
  }, 60_000);

  it('refuses a run past max_concurrent_runs, and cancels a run through /runs', async () => {
    const id = await anAutomation({ name: 'Slow', trigger_type: 'manual', max_concurrent_runs: 1, actions: [{ type: 'wait', duration: '1h' }, { type: 'stop' }] });
    const runId = await execute(id, {});
    const refused = await stack.http.post(`${api}/automations/${id}/execute`, { token: t.token, body: { context: {} } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/max_concurrent_runs/);
    await eventually(async () => ((await stack.http.get(`${api}/runs/automation-${runId}`, { token: t.token })).body.data.progress?.waiting_until ? true : undefined), { what: 'the wait' });
    expect((await stack.http.post(`${api}/runs/automation-${runId}/cancel`, { token: t.token })).status).toBe(202);
    expect(await finished(id, runId)).toMatchObject({ status: 'cancelled' });
  }, 60_000);
});

describe('a request retried after the API died between its commit and its answer', () => {
  const texts = async (tenantId: string, to: string[]) =>
    (await stack.orm.em.getConnection().execute<Array<{ n: number }>>('select count(*)::int as n from outbound_messages where tenant_id = ? and to_address in (?)', [tenantId, to]))[0].n;

  it('runs an automation once: the retry answers with the first run', async () => {
    const c = await aTenant(stack.http);
    const id = await anAutomation({ name: 'Once', trigger_type: 'manual', actions: [{ id: 'text', type: 'send_sms', to_number: '+14155550871', message: 'once' }] }, c);
    const { first, again } = await postAcrossADeadApi(stack, `${api}/automations/${id}/execute`, c.token, { context: {} });
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.body.data.id).toBe(first.body.data.id);
    expect(await finished(id, first.body.data.id, c)).toMatchObject({ status: 'completed' });
    expect((await stack.http.get(`${api}/automations/${id}/runs`, { token: c.token })).body.data).toHaveLength(1);
    expect(await texts(c.tenantId, ['+14155550871'])).toBe(1);
  }, 60_000);

  it('runs a campaign once, even when the first had finished before the retry came', async () => {
    const c = await aTenant(stack.http);
    const numbers = ['+14155550881', '+14155550882', '+14155550883'];
    for (const [i, phone] of numbers.entries()) await aContact(stack.http, c.token, { name: `Retry ${i}`, phone, tags: ['retry'] });
    const id = await anAutomation({ name: 'Once to each', trigger_type: 'manual', actions: [{ id: 'text', type: 'send_sms', to_number: '{{contact.phone}}', message: 'once each' }] }, c);
    const key = `campaign-${Date.now()}`;
    const post = () => stack.http.post(`${api}/automations/${id}/campaign`, { token: c.token, headers: { 'Idempotency-Key': key }, body: { segment: { tags: ['retry'] } } });
    const first = await post();
    expect(first.status).toBe(202);
    const campaign = `${api}/automations/${id}/campaigns/${first.body.data.id}`;
    await eventually(async () => ((await stack.http.get(campaign, { token: c.token })).body.data.status === 'completed' ? true : undefined), { what: 'the campaign to finish' });
    await abandonAnswer(stack, key);
    const again = await post();
    expect(again.status).toBe(202);
    expect(again.body.data).toMatchObject({ id: first.body.data.id, status: 'completed' });
    expect((await stack.http.get(`${api}/automations/${id}/campaigns`, { token: c.token })).body.data).toHaveLength(1);
    expect(await texts(c.tenantId, numbers)).toBe(3);
  }, 60_000);
});

describe('tenant isolation', () => {
  it("answers 404 for another tenant's automation and runs, on every route", async () => {
    const id = await anAutomation({ ...seedExample, name: 'Mine' });
    const runId = await execute(id, seedContext);
    await finished(id, runId);
    const other = await aTenant(stack.http);
    const as = { token: other.token };
    expect((await stack.http.get(`${api}/automations/${id}`, as)).status).toBe(404);
    expect((await stack.http.put(`${api}/automations/${id}`, { ...as, body: seedExample })).status).toBe(404);
    expect((await stack.http.post(`${api}/automations/${id}/execute`, { ...as, body: { context: {} } })).status).toBe(404);
    expect((await stack.http.post(`${api}/automations/${id}/disable`, as)).status).toBe(404);
    expect((await stack.http.get(`${api}/automations/${id}/runs`, as)).status).toBe(404);
    expect((await stack.http.get(`${api}/automations/${id}/runs/${runId}`, as)).status).toBe(404);
    expect((await stack.http.delete(`${api}/automations/${id}`, as)).status).toBe(404);
    expect((await stack.http.get(`${api}/runs/automation-${runId}`, as)).status).toBe(404);
    expect((await stack.http.get(`${api}/automations`, as)).body.data).toEqual([]);
    // Still there for its owner, who may delete it.
    expect((await stack.http.delete(`${api}/automations/${id}`, { token: t.token })).status).toBe(204);
    expect((await stack.http.get(`${api}/automations/${id}`, { token: t.token })).status).toBe(404);
  });
});

describe('time_based: seed 002’s automation as the seed writes it', () => {
  const at = (ms: number) => new Date(Date.now() + ms).toISOString();
  const DAY = 24 * 3_600_000;
  let id: string;
  let contactId: string;

  beforeAll(async () => {
    const res = await stack.http.post(`${api}/automations`, { token: t.token, body: { ...seedExample, trigger_type: 'time_based', trigger_config: { schedule: '24h_before_event' } } });
    expect(res.status).toBe(201);
    id = res.body.data.id;
    contactId = (await aContact(stack.http, t.token, { name: 'Pat Patient', email: 'pat@example.com', phone: '+14155550777' })).id;
  });

  const runFor = (eventId: string) =>
    eventually(async () => ((await stack.http.get(`${api}/automations/${id}/runs?per_page=100`, { token: t.token })).body.data as Array<{ id: string; trigger_event_id: string }>).find((r) => r.trigger_event_id === eventId), { what: `the run for event ${eventId}` });
  const anAppointment = async (startsInMs: number) =>
    (await stack.http.post(`${api}/calendar/events`, { token: t.token, body: { title: 'Check-up', start_time: at(startsInMs), end_time: at(startsInMs + 3_600_000), contact_id: contactId } })).body.data as { id: string; start_time: string };

  it('texts the appointment’s contact 24 hours before it starts', async () => {
    const event = await anAppointment(DAY + 3_000);
    const run = await runFor(event.id);
    const done = await finished(id, run.id);
    expect(done).toMatchObject({ status: 'completed', trigger: 'time_based', context: { event: { id: event.id, type: 'appointment' }, contact: { phone: '+14155550777' } } });
    const sms = (await stack.http.get(`${api}/sms/outbox`, { token: t.token })).body.data.find((m: { to: string }) => m.to === '+14155550777');
    expect(sms.body).toBe(`Reminder: You have an appointment tomorrow at ${event.start_time}`);
    expect(Date.parse(done.steps[0].started_at)).toBeGreaterThanOrEqual(Date.parse(event.start_time) - DAY - 1_000);
    captureHistory(`automation-${done.id}`, 'automation-time-based');
  }, 60_000);

  it('follows its event when it moves, and never fires for a deleted one', async () => {
    const moving = await anAppointment(DAY + 3_600_000);
    const movingRun = await runFor(moving.id);
    await eventually(async () => ((await stack.http.get(`${api}/runs/automation-${movingRun.id}`, { token: t.token })).body.data.progress?.waiting_until ? true : undefined), { what: 'the planned send' });
    const deleted = await anAppointment(DAY + 15_000);
    const deletedRun = await runFor(deleted.id);
    expect((await stack.http.delete(`${api}/calendar/events/${deleted.id}`, { token: t.token })).status).toBe(204);
    const moved = await stack.http.put(`${api}/calendar/events/${moving.id}`, { token: t.token, body: { start_time: at(DAY + 2_000), end_time: at(DAY + 3_602_000) } });
    expect(moved.status).toBe(200);
    expect(await finished(id, movingRun.id)).toMatchObject({ status: 'completed', context: { event: { start_time: moved.body.data.start_time } } });
    expect(await finished(id, deletedRun.id)).toMatchObject({ status: 'skipped', error: 'the calendar event was deleted', steps: [] });
  }, 60_000);

  it('is not stalled by an event whose data is not what its type says (POST /webhooks/trigger takes any data)', async () => {
    const bogus = await stack.http.post(`${api}/webhooks/trigger`, { token: t.token, body: { event: 'calendar.event.updated', data: { hello: 'world', event: { id: 'not-an-id' } } } });
    expect(bogus.status).toBeLessThan(300);
    const event = await anAppointment(DAY + 3_600_000);
    expect(await runFor(event.id)).toMatchObject({ trigger: 'time_based', status: 'running' });
  }, 60_000);
});

describe('campaigns', () => {
  it('texts every contact of a segment once, at its rate, skipping the opted out, through a worker killed midway', async () => {
    const c = await aTenant(stack.http);
    const sql = (q: string, p: unknown[] = []) => stack.orm.em.getConnection().execute(q, p);
    // 1,000 contacts in the segment, every hundredth opted out; five more outside it.
    await sql(
      `insert into contact (id, created_at, updated_at, tenant_id, name, phone, tags, custom_fields, sms_opt_out)
       select gen_random_uuid(), now(), now(), ?, 'Customer ' || i, '+1415' || lpad(i::text, 7, '0'), case when i <= 1000 then '{spring}'::text[] else '{}'::text[] end, '{}'::jsonb, i % 100 = 0 and i <= 1000
       from generate_series(1, 1005) as i`,
      [c.tenantId],
    );
    const id = await anAutomation(
      {
        name: 'Spring sale',
        trigger_type: 'manual',
        actions: [
          { id: 'text', type: 'send_sms', to_number: '{{contact.phone}}', message: 'Hi {{contact.name}}, 20% off this week' },
          { id: 'mark', type: 'add_tag', contact_id: '{{contact.id}}', tag: 'spring-texted' },
        ],
      },
      c,
    );
    const started = await stack.http.post(`${api}/automations/${id}/campaign`, { token: c.token, body: { segment: { tags: ['spring'], has_phone: true }, sends_per_second: 100 } });
    expect(started.status).toBe(202);
    expect(started.body.data).toMatchObject({ status: 'running', total: 1000, sends_per_second: 100, run: { workflow_id: `campaign-${started.body.data.id}` } });
    const campaignId = started.body.data.id as string;
    const get = async () => (await stack.http.get(`${api}/automations/${id}/campaigns/${campaignId}`, { token: c.token })).body.data;
    expect((await stack.http.post(`${api}/automations/${id}/campaign`, { token: c.token, body: {} })).status).toBe(409);

    await eventually(async () => ((await get()).processed >= 300 ? true : undefined), { what: 'a third of the campaign', timeoutMs: 30_000 });
    await stack.worker?.kill();
    await stack.startWorker();
    const done = await eventually(async () => {
      const now = await get();
      return now.finished_at ? now : undefined;
    }, { what: 'the campaign to finish', timeoutMs: 90_000 });
    expect(done).toMatchObject({ status: 'completed', total: 1000, processed: 1000, sent: 990, skipped_opted_out: 10, failed: 0 });

    const rows = (await sql("select to_address, created_at from outbound_messages where tenant_id = ? and cause->>'campaign_id' = ? order by created_at", [c.tenantId, campaignId])) as Array<{ to_address: string; created_at: Date }>;
    expect(rows).toHaveLength(990);
    expect(new Set(rows.map((r) => r.to_address)).size).toBe(990);
    // Never faster than its rate: 990 sends at 100 a second take at least 9.89 s.
    expect(new Date(rows[989].created_at).getTime() - new Date(rows[0].created_at).getTime()).toBeGreaterThanOrEqual(9_400);
    const [{ n }] = (await sql("select count(*)::int as n from contact where tenant_id = ? and 'spring-texted' = any(tags)", [c.tenantId])) as Array<{ n: number }>;
    expect(n).toBe(990);
    captureHistory(`campaign-${campaignId}`, 'campaign-completed');
  }, 180_000);

  it('refuses an automation that is not a straight line of contact actions, and another tenant’s', async () => {
    const id = await anAutomation({ name: 'Waits', trigger_type: 'manual', actions: [{ type: 'wait', duration: '1h' }] });
    const res = await stack.http.post(`${api}/automations/${id}/campaign`, { token: t.token, body: { segment: {} } });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields[0].message).toMatch(/is wait: a campaign runs/);
    const other = await aTenant(stack.http);
    expect((await stack.http.post(`${api}/automations/${id}/campaign`, { token: other.token, body: {} })).status).toBe(404);
    expect((await stack.http.get(`${api}/automations/${id}/campaigns`, { token: other.token })).status).toBe(404);
  });
});

describe('sla and webhook triggers', () => {
  it('escalates an inbox message nobody took up in time, and not one that was', async () => {
    const id = await anAutomation({
      name: 'Unanswered for 2 seconds',
      trigger_type: 'sla',
      trigger_config: { after: '2s' },
      actions: [{ id: 'escalate', type: 'create_task', title: 'Escalate: {{message.customer_email}} waited ({{message.status}})' }],
    });
    const waiting = (await stack.http.post(`${api}/inbox/messages`, { token: t.token, body: { channel: 'email', content: 'Hello, my order has not arrived yet.', customer_email: 'late@example.com' } })).body.data;
    const handled = (await stack.http.post(`${api}/inbox/messages`, { token: t.token, body: { channel: 'email', content: 'Hello, can I change my delivery address?', customer_email: 'quick@example.com' } })).body.data;
    expect((await stack.http.put(`${api}/inbox/messages/${handled.id}`, { token: t.token, body: { status: 'resolved' } })).status).toBe(200);
    const runs = await eventually(async () => {
      const list = (await stack.http.get(`${api}/automations/${id}/runs`, { token: t.token })).body.data as Array<{ trigger_event_id: string; finished_at: string | null }>;
      return list.length === 2 && list.every((r) => r.finished_at) ? list : undefined;
    }, { what: 'both sla runs to end', timeoutMs: 45_000 });
    const late = runs.find((r) => r.trigger_event_id === waiting.id) as unknown as { id: string; status: string; steps: Array<{ input: { title: string } }> };
    const quick = runs.find((r) => r.trigger_event_id === handled.id) as unknown as { status: string; error: string };
    expect(late.status).toBe('completed');
    expect(late.steps[0].input.title).toMatch(/^Escalate: late@example.com waited \((new|triaged|needs_review)\)$/);
    expect(quick).toMatchObject({ status: 'skipped', error: 'the message was taken up in time (resolved)' });
    captureHistory(`automation-${late.id}`, 'automation-sla');
    await stack.http.post(`${api}/automations/${id}/disable`, { token: t.token });
  }, 60_000);

  it('starts from its own signed URL, once per delivery id, and refuses anything unsigned', async () => {
    const created = await stack.http.post(`${api}/automations`, {
      token: t.token,
      body: { name: 'Web form', trigger_type: 'webhook', actions: [{ id: 'todo', type: 'create_task', title: 'Form from {{name}}: {{topic}}' }] },
    });
    expect(created.status).toBe(201);
    const { url, secret } = created.body.data.webhook as { url: string; secret: string };
    expect(url).toBe(`/api/v1/automations/${created.body.data.id}/webhook`);
    expect(secret).toMatch(/^whsec_/);
    expect((await stack.http.get(`${api}/automations/${created.body.data.id}`, { token: t.token })).body.data.webhook).toEqual({ url });
    const sign = (msgId: string, body: string, at = new Date()) => ({ 'content-type': 'application/json', 'webhook-id': msgId, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(msgId, at, body) });
    const post = (headers: Record<string, string>, body: string) => fetch(`${stack.http.base}${url}`, { method: 'POST', headers, body });
    const body = JSON.stringify({ name: 'Robin', topic: 'a quote' });
    const first = await post(sign('msg_1', body), body);
    expect(first.status).toBe(202);
    const run = ((await first.json()) as { data: { id: string; trigger: string } }).data;
    expect(run.trigger).toBe('webhook');
    const again = await post(sign('msg_1', body), body);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { data: { id: string } }).data.id).toBe(run.id);
    expect(await finished(created.body.data.id, run.id)).toMatchObject({ status: 'completed', steps: [expect.objectContaining({ input: { title: 'Form from Robin: a quote' } })] });
    expect((await post({ ...sign('msg_2', body), 'webhook-signature': 'v1,AAAA' }, body)).status).toBe(401);
    expect((await post(sign('msg_3', body, new Date(Date.now() - 10 * 60_000)), body)).status).toBe(401);
    expect((await post({ 'content-type': 'application/json' }, body)).status).toBe(401);
    const tampered = JSON.stringify({ name: 'Mallory', topic: 'a quote' });
    expect((await post(sign('msg_4', body), tampered)).status).toBe(401);
    expect((await stack.http.get(`${api}/automations/${created.body.data.id}/runs`, { token: t.token })).body.pagination.total).toBe(1);
  }, 60_000);
});

describe('time_based on a cron', () => {
  it('fires on its Temporal Schedule in its zone, with the definition of the moment, and stops when disabled', async () => {
    const contact = await aContact(stack.http, t.token, { name: 'Cron Person', email: 'cron@example.com' });
    // 9:00 on 29 February only: it never fires by itself while the test triggers it by hand.
    const body = (tag: string) => ({ name: 'Leap-day morning', trigger_type: 'time_based', trigger_config: { cron: '0 9 29 2 *', timezone: 'Europe/Paris' }, actions: [{ type: 'add_tag', contact_id: contact.id, tag }] });
    const invalid = await stack.http.post(`${api}/automations`, { token: t.token, body: { ...body('x'), trigger_config: { cron: '61 9 * * *' } } });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.details.fields[0].field).toBe('body.trigger_config.cron');
    const id = await anAutomation(body('cron-v1'));
    const handle = stack.temporal.schedule.getHandle(`automation-schedule-${id}`);
    const described = await handle.describe();
    expect(described.spec.timezone).toBe('Europe/Paris');
    expect(described.action).toMatchObject({ workflowType: 'runAutomationWorkflow', workflowId: `automation-cron-${id}` });
    const tags = async () => (await stack.http.get(`${api}/contacts/${contact.id}`, { token: t.token })).body.data.tags as string[];
    const runs = async () =>
      (await stack.http.get(`${api}/automations/${id}/runs?sort_order=asc`, { token: t.token })).body.data as Array<{ id: string; trigger: string; version: number; status: string; finished_at: string | null; context: { schedule: { workflow_id: string } } }>;

    await handle.trigger();
    const first = await eventually(async () => (await runs()).find((r) => r.finished_at), { what: 'the scheduled run' });
    expect(first).toMatchObject({ trigger: 'schedule', version: 1, status: 'completed' });
    expect(await tags()).toContain('cron-v1');
    expect(first.context.schedule.workflow_id).toMatch(new RegExp(`^automation-cron-${id}-`));
    captureHistory(first.context.schedule.workflow_id, 'automation-cron');

    expect((await stack.http.put(`${api}/automations/${id}`, { token: t.token, body: body('cron-v2') })).status).toBe(200);
    await untilScheduleCanStartAgain(stack.temporal, `automation-schedule-${id}`, first.context.schedule.workflow_id);
    await handle.trigger();
    const second = await eventually(async () => {
      const list = await runs();
      return list.length === 2 && list[1].finished_at ? list[1] : undefined;
    }, { what: 'the second scheduled run' });
    expect(second).toMatchObject({ trigger: 'schedule', version: 2, status: 'completed' });
    expect(await tags()).toContain('cron-v2');

    expect((await stack.http.post(`${api}/automations/${id}/disable`, { token: t.token })).status).toBe(200);
    await expect(handle.describe()).rejects.toThrow(/not found/i);
  }, 60_000);

  it('hears the event a cron run waits for, and DELETE ends a cron run that is waiting, by its Schedule’s workflow', async () => {
    const contact = await aContact(stack.http, t.token, { name: 'Cron Waiter', email: 'cron-wait@example.com' });
    const definition = {
      name: 'Leap-day check-in',
      trigger_type: 'time_based',
      trigger_config: { cron: '0 9 29 2 *', timezone: 'UTC' },
      actions: [
        { id: 'wait', type: 'wait_for_event', events: ['contact.updated'], match: { field: 'contact.id', equals: contact.id }, timeout: '1h' },
        { id: 'tag', type: 'add_tag', contact_id: contact.id, tag: 'checked-in' },
      ],
    };
    const id = await anAutomation(definition);
    const runs = async () => (await stack.http.get(`${api}/automations/${id}/runs?sort_order=asc`, { token: t.token })).body.data as Array<{ id: string; status: string; run: { workflow_id: string } }>;
    const handle = stack.temporal.schedule.getHandle(`automation-schedule-${id}`);
    await handle.trigger();
    // A run waits once its watch is committed (it then looks back, and the relay signals what comes after).
    const watching = async (runId: string) => ((await stack.orm.em.getConnection().execute(`select 1 from automation_watches where run_id = ?`, [runId])).length ? true : undefined);
    const waitingRun = async (not?: string) => {
      for (const r of await runs()) if (r.id !== not && r.status === 'running' && (await watching(r.id))) return r;
      return undefined;
    };
    const waiting = await eventually(() => waitingRun(), { what: 'the cron run to wait' });
    expect(waiting.run.workflow_id).toMatch(new RegExp(`^automation-cron-${id}-`));
    await stack.http.patch(`${api}/contacts/${contact.id}`, { token: t.token, body: { organization: 'Replied' } });
    await eventually(async () => ((await runs())[0].status === 'completed' ? true : undefined), { what: 'the cron run to hear its event' });
    await untilScheduleCanStartAgain(stack.temporal, `automation-schedule-${id}`, waiting.run.workflow_id);
    await handle.trigger();
    const second = await eventually(() => waitingRun(waiting.id), { what: 'a second cron run to wait' });
    expect((await stack.http.delete(`${api}/automations/${id}`, { token: t.token })).status).toBe(204);
    const workflow = stack.temporal.workflow.getHandle(second.run.workflow_id);
    await eventually(async () => ((await workflow.describe()).status.name !== 'RUNNING' ? true : undefined), { what: 'the deleted automation’s cron run to end' });
  }, 60_000);

  it('ends a waiting run when its automation is deleted, instead of retrying its close for ever', async () => {
    const id = await anAutomation({ name: 'Long wait', trigger_type: 'manual', actions: [{ type: 'wait', duration: '1h' }] });
    const runId = await execute(id, {});
    const workflow = stack.temporal.workflow.getHandle(`automation-${runId}`);
    await eventually(async () => ((await workflow.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes) ? true : undefined), { what: 'the run to sleep' });
    expect((await stack.http.delete(`${api}/automations/${id}`, { token: t.token })).status).toBe(204);
    const ended = await eventually(async () => {
      const d = await workflow.describe();
      return d.status.name !== 'RUNNING' ? d.status.name : undefined;
    }, { what: 'the run to end' });
    expect(['CANCELLED', 'FAILED', 'COMPLETED']).toContain(ended);
  }, 60_000);
});
