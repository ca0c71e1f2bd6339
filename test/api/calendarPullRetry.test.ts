import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, type TestTenant } from '../support/factories.ts';
import { startFakeGoogle, type FakeGoogle } from '../fakes/googleServer.ts';
import { createSecretBox } from '../../lib/crypto.ts';
import { tenantEm } from '../../lib/db.ts';
import { createCalendarSyncActivities, type PullOutcome } from '../../activities/calendarSync.ts';
import { CalendarConnectionSchema } from '../../entities/CalendarConnection.ts';
import { CalendarEventSchema } from '../../entities/CalendarEvent.ts';

/**
 * A pull whose answer is lost (its worker died after the pull's last commit, before the
 * server heard of it) is retried: the retry must still hand over the reminders whose event
 * moved, which only the lost answer carried once the last commit had cleared them. These
 * call the activities themselves, with no worker running, against the real database and
 * a fake Google reached through `googleapis`.
 */
let stack: TestStack;
let google: FakeGoogle;
let t: TestTenant;
let connectionId: string;
const api = '/api/v1';
const REDIRECT = 'https://app.example.com/calendar/callback';

beforeAll(async () => {
  google = await startFakeGoogle();
  stack = await startStack({
    worker: false,
    env: { GOOGLE_CLIENT_ID: 'test-client.apps.googleusercontent.com', GOOGLE_CLIENT_SECRET: 'test-client-secret', GOOGLE_API_URL: google.apiUrl, GOOGLE_OAUTH_URL: google.oauthUrl },
  });
  t = await aTenant(stack.http);
  const start = await stack.http.post(`${api}/calendar/auth/google`, { token: t.token, body: { redirect_uri: REDIRECT } });
  const state = new URL(start.body.data.auth_url).searchParams.get('state') as string;
  const connected = await stack.http.post(`${api}/calendar/auth/callback`, { token: t.token, body: { provider: 'google', auth_code: google.issueCode(), state, redirect_uri: REDIRECT } });
  expect(connected.status).toBe(201);
  connectionId = connected.body.data.id;
}, 60_000);
afterAll(async () => {
  await stack.close();
  await google.close();
});

const activities = () =>
  createCalendarSyncActivities({ orm: stack.orm, secrets: createSecretBox(stack.config.encryption), google: stack.config.google, pageSize: 50, reminderSendTimeoutMs: 30_000 });
const pull = (keepTold: boolean) => new MockActivityEnvironment().run(activities().pullCalendar, { tenantId: t.tenantId, connectionId, keepTold }) as Promise<PullOutcome>;
const toTell = async () => (await tenantEm(stack.orm, t.tenantId).findOneOrFail(CalendarConnectionSchema, connectionId, { refresh: true })).remindersToTell;
const told = (o: PullOutcome) => (o.state === 'done' ? o.reminders : []);

describe('a pull whose answer was lost', () => {
  it('still hands over the reminders of a moved event on its retry, until the run forgets exactly those', async () => {
    const booked = google.addEvent({ summary: 'Moved before a lost answer', at: '2031-10-01T15:00:00Z' });
    expect((await pull(true)).state).toBe('done');
    const local = await tenantEm(stack.orm, t.tenantId).findOneOrFail(CalendarEventSchema, { externalId: booked.id });
    const reminder = (await stack.http.post(`${api}/reminders`, { token: t.token, body: { to: '+14155550188', message: 'Soon', event_id: local.id, offset: '-1h' } })).body.data as { id: string };

    google.update(booked.id, { start: { dateTime: '2031-10-01T16:00:00Z' }, end: { dateTime: '2031-10-01T17:00:00Z' } });
    // The first attempt commits everything, and its answer never reaches the run.
    expect(told(await pull(true))).toEqual([reminder.id]);
    // Its retry (no heartbeat reached the server) finds nothing new at Google, and still has them.
    expect(told(await pull(true))).toEqual([reminder.id]);

    // Told, the run forgets them; one a later pull kept meanwhile stays.
    const later = '00000000-0000-4000-8000-000000000001';
    await stack.orm.em.getConnection().execute('update calendar_connections set reminders_to_tell = reminders_to_tell || ?::text[] where id = ?', [`{${later}}`, connectionId]);
    await new MockActivityEnvironment().run(activities().forgetToldReminders, { tenantId: t.tenantId, connectionId, reminderIds: [reminder.id] });
    expect(await toTell()).toEqual([later]);
    expect(told(await pull(true))).toEqual([later]);
  }, 60_000);

  it('clears them in its last commit for a run from before that change, as those runs expect', async () => {
    await stack.orm.em.getConnection().execute("update calendar_connections set reminders_to_tell = '{}' where id = ?", [connectionId]);
    const booked = google.addEvent({ summary: 'Moved for an old run', at: '2031-10-02T15:00:00Z' });
    await pull(false);
    const local = await tenantEm(stack.orm, t.tenantId).findOneOrFail(CalendarEventSchema, { externalId: booked.id });
    const reminder = (await stack.http.post(`${api}/reminders`, { token: t.token, body: { to: '+14155550189', message: 'Soon', event_id: local.id, offset: '-1h' } })).body.data as { id: string };
    google.update(booked.id, { start: { dateTime: '2031-10-02T16:00:00Z' }, end: { dateTime: '2031-10-02T17:00:00Z' } });
    expect(told(await pull(false))).toEqual([reminder.id]);
    expect(await toTell()).toEqual([]);
  }, 60_000);
});
