import { describe, expect, it } from '@jest/globals';
import { changedFields, fromGoogle, googleIdFor, OUR_ID_PROPERTY, toGoogle } from '../../lib/calendarMapping.ts';

describe('fromGoogle', () => {
  it('reads a timed event, its attendees and a tentative status', () => {
    const got = fromGoogle(
      { id: 'g1', status: 'tentative', summary: 'Call', start: { dateTime: '2031-10-01T10:00:00+02:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2031-10-01T10:30:00+02:00' }, attendees: [{ email: 'A@Example.com' }, { email: 'not an email' }, { email: 'a@example.com' }] },
      'UTC',
    );
    expect(got).toMatchObject({ title: 'Call', startsAt: new Date('2031-10-01T08:00:00Z'), endsAt: new Date('2031-10-01T08:30:00Z'), allDay: false, timezone: 'Europe/Berlin', status: 'proposed', attendees: ['a@example.com'] });
  });

  it('reads an all-day event as midnight in its zone, a recurring instance with its original start, and skips one with no start', () => {
    const day = fromGoogle({ id: 'g2', summary: null, start: { date: '2031-10-01' }, end: { date: '2031-10-02' }, recurringEventId: 'r1', originalStartTime: { date: '2031-10-01' } }, 'America/New_York');
    expect(day).toMatchObject({ title: '(no title)', allDay: true, startsAt: new Date('2031-10-01T04:00:00Z'), endsAt: new Date('2031-10-02T04:00:00Z'), recurringEventId: 'r1', originalStartTime: '2031-10-01' });
    expect(fromGoogle({ id: 'g3', start: {} }, 'UTC')).toBeNull();
  });
});

describe('toGoogle and googleIdFor', () => {
  it('marks the event ours, writes an all-day event as dates, and gives a stable id Google accepts', () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const body = toGoogle({ id, title: 'Off', description: null, startsAt: new Date('2031-10-01T04:00:00Z'), endsAt: new Date('2031-10-02T04:00:00Z'), allDay: true, timezone: 'America/New_York', location: null, attendees: [] }, 'UTC');
    expect(body).toMatchObject({ summary: 'Off', start: { date: '2031-10-01', timeZone: 'America/New_York' }, end: { date: '2031-10-02' }, extendedProperties: { private: { [OUR_ID_PROPERTY]: id } } });
    expect(googleIdFor(id)).toBe('0f8fad5bd9cb469fa16570867728950e');
    expect(googleIdFor(id)).toMatch(/^[0-9a-v]{5,1024}$/);
  });
});

describe('changedFields', () => {
  it('names what moved, by the API field names', () => {
    const base = fromGoogle({ id: 'g', summary: 'A', start: { dateTime: '2031-10-01T10:00:00Z' }, end: { dateTime: '2031-10-01T11:00:00Z' } }, 'UTC');
    const moved = fromGoogle({ id: 'g', summary: 'A', start: { dateTime: '2031-10-01T12:00:00Z' }, end: { dateTime: '2031-10-01T13:00:00Z' } }, 'UTC');
    expect(changedFields(base!, moved!)).toEqual(['start_time', 'end_time']);
    expect(changedFields(base!, base!)).toEqual([]);
  });
});
