import { describe, expect, it } from '@jest/globals';
import { definitionSchema, runDefinition } from '../../lib/automations/definition.ts';
import { graphIssues, successors } from '../../lib/automations/steps.ts';

/** Seed 002's example (run by hand here; its time_based trigger is checked below). */
const seed = {
  name: 'Appointment Reminder',
  description: 'Send SMS reminder 24 hours before appointment',
  trigger_type: 'manual',
  trigger_config: {},
  conditions: { all: [{ type: 'equals', field: 'event.type', value: 'appointment' }] },
  actions: [{ type: 'send_sms', to_number: '{{contact.phone}}', message: 'Reminder: You have an appointment tomorrow at {{event.start_time}}' }],
  enabled: true,
};

const problems = (input: unknown) => {
  const parsed = definitionSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('automation definitions', () => {
  it("accepts seed 002's example, and numbers its steps", () => {
    expect(problems(seed)).toEqual([]);
    const run = runDefinition(definitionSchema.parse(seed), 1);
    expect(run.steps).toEqual([{ type: 'send_sms', id: 'step_1', to_number: '{{contact.phone}}', message: 'Reminder: You have an appointment tomorrow at {{event.start_time}}' }]);
  });

  it('says which field of which action is wrong', () => {
    expect(problems({ ...seed, actions: [{ type: 'send_fax', to: 'x' }] })).toEqual([expect.stringMatching(/^actions\.0\.type: is not an action/)]);
    expect(problems({ ...seed, actions: [{ type: 'send_sms', message: 'hi' }] })).toEqual([expect.stringMatching(/^actions\.0\.to_number: /)]);
    expect(problems({ ...seed, actions: [{ type: 'send_sms', to_number: '{{contact.phone}', message: 'hi' }] })).toEqual(['actions.0.to_number: has unbalanced {{ }}']);
    expect(problems({ ...seed, actions: [{ type: 'create_task', title: 'Call back', due_in: 'soon' }] })).toEqual(['actions.0.due_in: must be a duration such as 30s, 15m, 2h or 3d']);
    expect(problems({ ...seed, actions: [{ type: 'wait' }] })).toEqual(['actions.0.duration: needs exactly one of duration or until']);
    expect(problems({ ...seed, actions: [{ type: 'wait_for_event', events: ['lead.exploded'], timeout: '1h' }] })).toEqual([expect.stringMatching(/^actions\.0\.events\.0: is not an event/)]);
    expect(problems({ ...seed, actions: [{ type: 'send_sms', to_number: 'x', message: 'y', colour: 'red' }] })).toEqual([expect.stringMatching(/^actions\.0: Unrecognized key/)]);
    expect(problems({ ...seed, conditions: { all: [{ type: 'matches', field: 'contact.name', value: '(a+)+' }] } })).toEqual([expect.stringMatching(/^conditions\.all\.0\.value: nests quantifiers/)]);
    expect(problems({ ...seed, trigger_type: 'event', trigger_config: {} })).toEqual([expect.stringMatching(/^trigger_config\.event: /)]);
    expect(problems({ ...seed, trigger_type: 'sometimes' })).toEqual([expect.stringMatching(/^trigger_type: must be one of event, manual, time_based/)]);
    expect(problems({ ...seed, trigger_type: 'time_based', trigger_config: { schedule: 'whenever' } })).toEqual([expect.stringMatching(/^trigger_config\.schedule: must be an offset/)]);
    expect(problems({ ...seed, trigger_type: 'time_based', trigger_config: { schedule: '24h_before_event' } })).toEqual([]);
  });

  it('refuses a step no path reaches, a jump to nowhere, and a loop', () => {
    const unreachable = { ...seed, actions: [{ type: 'stop' }, { type: 'add_tag', contact_id: '{{contact.id}}', tag: 'x' }] };
    expect(problems(unreachable)).toEqual(['actions.1.type: is never reached (a stop, branch or next skips it)']);
    const nowhere = { ...seed, actions: [{ type: 'add_tag', contact_id: 'c', tag: 'x', next: 'later' }] };
    expect(problems(nowhere)).toEqual(['actions.0.next: no step has the id "later"']);
    const loop = {
      ...seed,
      actions: [
        { id: 'greet', type: 'send_sms', to_number: '{{contact.phone}}', message: 'Hi' },
        { id: 'pause', type: 'wait', duration: '1d' },
        { id: 'check', type: 'branch', condition: { type: 'exists', field: 'contact.replied' }, then: 'done', else: 'greet' },
        { id: 'done', type: 'stop' },
      ],
    };
    expect(problems(loop)).toEqual(['actions.2.else: goes back to step "greet": automations may not loop']);
    const dup = { ...seed, actions: [{ id: 'a', type: 'stop' }, { id: 'a', type: 'stop' }] };
    expect(problems(dup)).toContain('actions.1.id: "a" is already the id of step 1');
  });

  it('follows branches, jumps and stops', () => {
    const steps = [
      { id: 'a', type: 'branch', then: 'c' },
      { id: 'b', type: 'add_tag', next: 'end' },
      { id: 'c', type: 'stop' },
    ];
    expect(successors(steps, 0)).toEqual([2, 1]);
    expect(successors(steps, 1)).toEqual([-1]);
    expect(successors(steps, 2)).toEqual([-1]);
    expect(graphIssues(steps)).toEqual([]);
  });
});
