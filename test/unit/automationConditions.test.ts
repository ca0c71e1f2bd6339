import { describe, expect, it } from '@jest/globals';
import { evaluate, patternProblem, type Condition } from '../../lib/automations/conditions.ts';
import { renderFields, renderTemplate, templateProblem } from '../../lib/automations/template.ts';
import { valueAt } from '../../lib/automations/paths.ts';

const context = {
  event: { type: 'appointment', start_time: '2024-01-02T15:00:00Z', attendees: ['a@x.com', 'b@x.com'] },
  contact: { name: 'Jane Smith', phone: '+1234567891', tags: ['vip'], score: 72, email: null },
  lead: { value: '1500.50' },
};
const is = (c: Condition) => evaluate(c, context);

describe('automation conditions', () => {
  it('evaluates every operator', () => {
    expect(is({ type: 'equals', field: 'event.type', value: 'appointment' })).toBe(true);
    expect(is({ type: 'equals', field: 'contact.score', value: '72' })).toBe(true);
    expect(is({ type: 'not_equals', field: 'event.type', value: 'meeting' })).toBe(true);
    expect(is({ type: 'contains', field: 'contact.name', value: 'smith' })).toBe(true);
    expect(is({ type: 'contains', field: 'contact.tags', value: 'vip' })).toBe(true);
    expect(is({ type: 'contains', field: 'contact.tags', value: 'new' })).toBe(false);
    expect(is({ type: 'starts_with', field: 'contact.phone', value: '+1' })).toBe(true);
    expect(is({ type: 'in', field: 'event.type', value: ['appointment', 'call'] })).toBe(true);
    expect(is({ type: 'in', field: 'event.type', value: ['call'] })).toBe(false);
    expect(is({ type: 'gt', field: 'contact.score', value: 70 })).toBe(true);
    expect(is({ type: 'gte', field: 'contact.score', value: 72 })).toBe(true);
    expect(is({ type: 'lt', field: 'lead.value', value: 2000 })).toBe(true);
    expect(is({ type: 'lte', field: 'lead.value', value: 1500 })).toBe(false);
    expect(is({ type: 'gt', field: 'event.start_time', value: '2024-01-01T00:00:00Z' })).toBe(true);
    expect(is({ type: 'lt', field: 'contact.name', value: 5 })).toBe(false);
    expect(is({ type: 'exists', field: 'contact.phone' })).toBe(true);
    expect(is({ type: 'exists', field: 'contact.email' })).toBe(false);
    expect(is({ type: 'exists', field: 'contact.email', value: false })).toBe(true);
    expect(is({ type: 'matches', field: 'contact.phone', value: '^\\+1\\d{9}$' })).toBe(true);
    expect(is({ type: 'matches', field: 'contact.name', value: '^jane' })).toBe(true);
  });

  it('nests all, any and not; no condition is true', () => {
    expect(is({ all: [{ type: 'equals', field: 'event.type', value: 'appointment' }, { any: [{ type: 'equals', field: 'contact.score', value: 1 }, { not: { type: 'exists', field: 'contact.missing' } }] }] })).toBe(true);
    expect(is({ any: [{ type: 'equals', field: 'event.type', value: 'x' }, { not: { type: 'exists', field: 'event.type' } }] })).toBe(false);
    expect(evaluate(null, context)).toBe(true);
  });

  it('refuses patterns that can take exponential time, or do not compile', () => {
    expect(patternProblem('^\\+1\\d{10}$')).toBeNull();
    expect(patternProblem('(\\d{3})-(\\d{4})')).toBeNull();
    expect(patternProblem('(a+)+$')).toMatch(/nests quantifiers/);
    expect(patternProblem('(a|aa)*b')).toMatch(/nests quantifiers/);
    expect(patternProblem('(x+x+)+y')).toMatch(/nests quantifiers/);
    expect(patternProblem('([a-z]+)*')).toMatch(/nests quantifiers/);
    expect(patternProblem('(a)\\1')).toMatch(/back-references/);
    expect(patternProblem('(')).toMatch(/not a valid regular expression/);
    expect(patternProblem('a'.repeat(201))).toMatch(/200/);
  });
});

describe('automation templates', () => {
  it('renders dotted paths from the context and nothing else', () => {
    expect(renderTemplate('Reminder: {{contact.name}} at {{ event.start_time }}', context)).toBe('Reminder: Jane Smith at 2024-01-02T15:00:00Z');
    expect(renderTemplate('{{contact.missing}}|{{event.attendees}}|{{event.attendees.1}}', context)).toBe('|["a@x.com","b@x.com"]|b@x.com');
    expect(renderTemplate('{{constructor.name}}{{__proto__.x}}{{contact.name.constructor}}', context)).toBe('');
    expect(valueAt(context, 'contact.toString')).toBeUndefined();
  });

  it('keeps the type of a field that is one placeholder', () => {
    expect(renderFields({ value: '{{contact.score}}', label: 'score {{contact.score}}', list: ['{{contact.tags}}'] }, context)).toEqual({ value: 72, label: 'score 72', list: [['vip']] });
  });

  it('says what is wrong with a template', () => {
    expect(templateProblem('Hi {{contact.name}}')).toBeNull();
    expect(templateProblem('Hi {{contact.name}')).toMatch(/unbalanced/);
    expect(templateProblem('Hi }} there')).toMatch(/unbalanced/);
    expect(templateProblem('{{ contact name }}')).toMatch(/not a field path/);
    expect(templateProblem('{{process.env.SECRET + 1}}')).toMatch(/not a field path/);
  });
});
