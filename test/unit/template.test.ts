import { describe, expect, it } from '@jest/globals';
import { renderTemplate, unknownPlaceholders } from '../../lib/template.ts';

describe('renderTemplate', () => {
  const start = new Date('2027-01-15T15:00:00Z');
  it('fills names and writes times in the recipient zone and locale', () => {
    const text = renderTemplate('Hi {{contact.name}}, see you {{ event.start_time }}', { 'contact.name': 'Jane', 'event.start_time': start }, { timezone: 'America/New_York', locale: 'en-US' });
    expect(text).toBe('Hi Jane, see you Jan 15, 2027, 10:00 AM');
    const de = renderTemplate('{{event.time}}', { 'event.start_time': start, 'event.time': start }, { timezone: 'Europe/Berlin', locale: 'de-DE' });
    expect(de).toBe('16:00');
  });
  it('never evaluates anything: unknown or missing placeholders render empty', () => {
    expect(renderTemplate('{{constructor.constructor}}x{{event.title}}', {}, { timezone: 'UTC', locale: 'en-US' })).toBe('x');
    expect(unknownPlaceholders('{{contact.name}} {{process.env}} {{ process.env }}')).toEqual(['process.env']);
  });
});
