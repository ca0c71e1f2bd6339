import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, eventually, type TestTenant } from '../support/factories.ts';
import { captureHistory } from '../support/histories.ts';
import { startFakeGoogle, type FakeGoogle } from '../fakes/googleServer.ts';
import { tenantEm } from '../../lib/db.ts';
import { googleIdFor, OUR_ID_PROPERTY } from '../../lib/calendarMapping.ts';
import { CalendarConnectionSchema } from '../../entities/CalendarConnection.ts';
import { CalendarEventSchema } from '../../entities/CalendarEvent.ts';
import { EventSchema } from '../../entities/Event.ts';

/**
 * Google Calendar, end to end: the API and the worker use the real `googleapis` client,
 * pointed at a fake Google (test/fakes/googleServer.ts). Passes run on demand here (the
 * interval is an hour), three events to a page so every pass pages.
 */
let stack: TestStack;
let google: FakeGoogle;
let t: TestTenant;
let connectionId: string;
const REDIRECT = 'https://app.example.com/calendar/callback';
const api = '/api/v1';
const DAY = '2031-10-01'; // a Wednesday

beforeAll(async () => {
  google = await startFakeGoogle();
  stack = await startStack({
    env: {
      RATE_LIMIT_PER_MINUTE: '10000',
      RATE_LIMIT_AUTH_PER_MINUTE: '1000',
      GOOGLE_CLIENT_ID: 'test-client.apps.googleusercontent.com',
      GOOGLE_CLIENT_SECRET: 'test-client-secret',
      GOOGLE_API_URL: google.apiUrl,
      GOOGLE_OAUTH_URL: google.oauthUrl,
      CALENDAR_SYNC_INTERVAL: '1h',
      CALENDAR_SYNC_PAGE_SIZE: '3',
    },
  });
  t = await aTenant(stack.http);
  await stack.http.patch(`${api}/tenant`, { token: t.token, body: { timezone: 'UTC', quiet_hours: null } });
}, 120_000);
afterAll(async () => {
  await stack.close();
  await google.close();
});

const runId = () => `calendar-sync-${connectionId}`;
const progress = async () => (await stack.http.get(`${api}/runs/${runId()}`, { token: t.token })).body.data as { status: string; progress: { passes: number; resets: number; state: string } | null };
/** Asks for a pass and waits until it is done. */
async function syncNow(): Promise<void> {
  const before = (await progress()).progress?.passes ?? 0;
  const res = await stack.http.post(`${api}/calendar/sync/google`, { token: t.token });
  expect(res.status).toBe(202);
  await eventually(async () => {
    const p = (await progress()).progress;
    return p && p.passes > before && p.state === 'waiting' ? true : undefined;
  }, { what: 'a sync pass', timeoutMs: 60_000 });
}
const synced = () => tenantEm(stack.orm, t.tenantId).find(CalendarEventSchema, { connection: connectionId }, { orderBy: { startsAt: 'asc' } });
const liveAtGoogle = () => [...google.events.values()].filter((e) => e.status !== 'cancelled');

/** An event booked at Google, synced here, with a reminder an hour before it. */
async function bookedWithReminder(summary: string, at: string) {
  const booked = google.addEvent({ summary, at });
  await syncNow();
  const local = (await synced()).find((e) => e.externalId === booked.id) as { id: string };
  const reminder = (await stack.http.post(`${api}/reminders`, { token: t.token, body: { to: '+14155550199', message: 'Soon', event_id: local.id, offset: '-1h' } })).body.data as { id: string; next_send_at: string };
  return { booked, local, reminder };
}

/** The reminder, once it is due at `at` (it followed its event). */
const remindedAt = (id: string, at: string) =>
  eventually(async () => {
    const r = (await stack.http.get(`${api}/reminders/${id}`, { token: t.token })).body.data as { status: string; next_send_at: string | null };
    return r.next_send_at === at ? r : undefined;
  }, { what: `reminder ${id} due at ${at}` });

async function connect(): Promise<{ status: number; body: { data: { id: string; status: string; run: { workflow_id: string; status: string } } } }> {
  const start = await stack.http.post(`${api}/calendar/auth/google`, { token: t.token, body: { redirect_uri: REDIRECT } });
  expect(start.status).toBe(200);
  const state = new URL(start.body.data.auth_url).searchParams.get('state') as string;
  return stack.http.post(`${api}/calendar/auth/callback`, { token: t.token, body: { provider: 'google', auth_code: google.issueCode(), state, redirect_uri: REDIRECT } });
}

describe('connecting Google Calendar', () => {
  it('gives the consent address, trades the code for tokens stored encrypted, and runs a first full sync in pages', async () => {
    for (let i = 0; i < 4; i++) google.addEvent({ summary: `At Google ${i}`, at: `${DAY}T1${i}:00:00Z` });
    google.addSeries({ id: 'weekly', summary: 'Weekly standup', at: `${DAY}T08:00:00Z`, count: 4 });

    const start = await stack.http.post(`${api}/calendar/auth/google`, { token: t.token, body: { redirect_uri: REDIRECT } });
    expect(start.body.data.provider).toBe('google');
    const url = new URL(start.body.data.auth_url);
    expect(`${url.origin}${url.pathname}`).toBe(`${google.oauthUrl}/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ access_type: 'offline', prompt: 'consent', scope: 'https://www.googleapis.com/auth/calendar', redirect_uri: REDIRECT, response_type: 'code', client_id: 'test-client.apps.googleusercontent.com' });

    const res = await connect();
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ status: 'active', run: { status: 'running' } });
    connectionId = res.body.data.id;
    expect(res.body.data.run.workflow_id).toBe(runId());
    const text = JSON.stringify(res.body);
    expect(text).not.toMatch(/ya29\.|1\/\//);

    await eventually(async () => ((await progress()).progress?.passes ? true : undefined), { what: 'the first pass', timeoutMs: 60_000 });
    const rows = await synced();
    expect(rows.map((e) => e.title).sort()).toEqual([...liveAtGoogle().map((e) => e.summary)].sort());
    expect(rows).toHaveLength(8);
    expect(rows.filter((e) => e.recurringEventId === 'weekly')).toHaveLength(4);
    const conn = await tenantEm(stack.orm, t.tenantId).findOneOrFail(CalendarConnectionSchema, connectionId);
    expect(conn.syncToken).toMatch(/^sync-/);
    expect(conn.refreshTokenSealed).toMatch(/^v1\./);
    expect(conn.accessTokenSealed).not.toContain('ya29.');
    expect(google.calls.list).toBeGreaterThanOrEqual(3); // 8 events, 3 to a page
    const listed = await stack.http.get(`${api}/calendar/connections`, { token: t.token });
    expect(listed.body.data.map((c: { id: string }) => c.id)).toEqual([connectionId]);
    expect(JSON.stringify(listed.body)).not.toMatch(/token|ya29/i);
  }, 90_000);

  it('pulls only what changed: a new event, a moved one (its reminder moves too), a cancelled one (its reminder ends)', async () => {
    const [first, second] = liveAtGoogle().filter((e) => !e.recurringEventId).sort((a, b) => (a.start.dateTime as string).localeCompare(b.start.dateTime as string));
    const rows = await synced();
    const local = (externalId: string) => rows.find((e) => e.externalId === externalId) as { id: string };
    const remind = async (eventId: string) => (await stack.http.post(`${api}/reminders`, { token: t.token, body: { to: '+14155550199', message: 'See you', event_id: eventId, offset: '-1h' } })).body.data;
    const movedReminder = await remind(local(first.id).id);
    const endedReminder = await remind(local(second.id).id);
    const listsBefore = google.calls.list;

    google.addEvent({ summary: 'Booked at Google', at: `${DAY}T16:00:00Z` });
    google.update(first.id, { start: { dateTime: `${DAY}T15:00:00Z` }, end: { dateTime: `${DAY}T15:30:00Z` } });
    google.cancel(second.id);
    await syncNow();

    expect(google.calls.list - listsBefore).toBe(1); // three changes: one page, not the whole calendar
    const after = await synced();
    expect(after.find((e) => e.title === 'Booked at Google')).toBeDefined();
    expect(after.find((e) => e.externalId === first.id)?.startsAt.toISOString()).toBe(`${DAY}T15:00:00.000Z`);
    expect(after.find((e) => e.externalId === second.id)?.status).toBe('cancelled');
    const moved = await eventually(async () => {
      const r = (await stack.http.get(`${api}/reminders/${movedReminder.id}`, { token: t.token })).body.data;
      return r.next_send_at === `${DAY}T14:00:00.000Z` ? r : undefined;
    }, { what: 'the reminder to follow its event' });
    expect(moved.status).toBe('scheduled');
    expect((await stack.http.get(`${api}/reminders/${endedReminder.id}`, { token: t.token })).body.data.status).toBe('cancelled');
    const changed = await tenantEm(stack.orm, t.tenantId).find(EventSchema, { type: 'calendar.event.updated', entityId: local(first.id).id });
    expect(changed.map((e) => (e.payload as { changed: string[] }).changed)).toContainEqual(['start_time', 'end_time']);

    // Restored at Google (from its trash): it is back here too, busy time again (it stayed cancelled).
    google.update(second.id, { status: 'confirmed' });
    await syncNow();
    expect((await synced()).find((e) => e.externalId === second.id)?.status).toBe('confirmed');
    google.cancel(second.id);
    await syncNow();
    expect((await synced()).find((e) => e.externalId === second.id)?.status).toBe('cancelled');
  }, 90_000);

  it('moves a reminder whose event moved in a pull that then failed part-way, on the next pass', async () => {
    const { booked, local, reminder } = await bookedWithReminder('Moved before a failed page', `${DAY}T19:00:00Z`);
    expect(reminder.next_send_at).toBe(`${DAY}T18:00:00.000Z`);
    // Four changes: the moved event on the first page (ids sort), the rest on a second page that fails.
    google.update(booked.id, { start: { dateTime: `${DAY}T20:00:00Z` }, end: { dateTime: `${DAY}T21:00:00Z` } });
    for (const n of [1, 2, 3]) google.addEvent({ id: `zz${n}${booked.id}`, summary: `Later page ${n}`, at: `${DAY}T08:00:00Z` });
    google.failLaterPages(1);
    expect((await stack.http.post(`${api}/calendar/sync/google`, { token: t.token })).status).toBe(202);
    await eventually(async () => {
      const p = (await progress()).progress as { state: string; last_error: string | null } | null;
      return p?.last_error && p.state === 'waiting' ? true : undefined;
    }, { what: 'the pass to fail on its second page', timeoutMs: 60_000 });
    expect((await synced()).find((e) => e.id === local.id)?.startsAt.toISOString()).toBe(`${DAY}T20:00:00.000Z`);
    await syncNow();
    expect(await remindedAt(reminder.id, `${DAY}T19:00:00.000Z`)).toMatchObject({ status: 'scheduled' });
    expect((await tenantEm(stack.orm, t.tenantId).findOneOrFail(CalendarConnectionSchema, connectionId, { refresh: true })).remindersToTell).toEqual([]);
  }, 120_000);

  it('gives a reminder whose run was ended from outside a new one when its event moves at Google', async () => {
    const { booked, reminder } = await bookedWithReminder('Its reminder run was terminated', `${DAY}T21:00:00Z`);
    const handle = stack.temporal.workflow.getHandle(`reminder-${reminder.id}`);
    await eventually(async () => ((await handle.describe()).status.name === 'RUNNING' ? true : undefined), { what: 'the reminder run' });
    await handle.terminate('an operator ended it');
    google.update(booked.id, { start: { dateTime: `${DAY}T22:00:00Z` }, end: { dateTime: `${DAY}T23:00:00Z` } });
    await syncNow();
    expect(await remindedAt(reminder.id, `${DAY}T21:00:00.000Z`)).toMatchObject({ status: 'scheduled' });
    expect((await stack.temporal.workflow.getHandle(`reminder-${reminder.id}`).describe()).status.name).toBe('RUNNING');
  }, 120_000);

  it('recovers from a stale sync token (410) with a full sync in the same run, duplicating nothing', async () => {
    google.expireSyncTokens();
    google.addEvent({ summary: 'After the reset', at: `${DAY}T17:00:00Z` });
    await syncNow();
    expect((await progress()).progress?.resets).toBe(1);
    expect(google.calls.gone).toBe(1);
    const rows = await synced();
    expect(rows.filter((e) => e.status !== 'cancelled')).toHaveLength(liveAtGoogle().length);
    expect(new Set(rows.map((e) => e.externalId)).size).toBe(rows.length);
  }, 90_000);

  it('refreshes an expired access token by itself and stores the new one', async () => {
    const em = tenantEm(stack.orm, t.tenantId);
    const before = (await em.findOneOrFail(CalendarConnectionSchema, connectionId)).accessTokenSealed;
    const refreshes = google.calls.refresh;
    google.expireAccessTokens();
    google.addEvent({ summary: 'Seen with a fresh token', at: `${DAY}T18:00:00Z` });
    await syncNow();
    expect(google.calls.refresh).toBeGreaterThan(refreshes);
    expect((await synced()).find((e) => e.title === 'Seen with a fresh token')).toBeDefined();
    expect((await tenantEm(stack.orm, t.tenantId).findOneOrFail(CalendarConnectionSchema, connectionId)).accessTokenSealed).not.toBe(before);
  }, 90_000);

  it('pushes an event made here once, under our id, and never echoes it back; edits and deletes follow', async () => {
    const made = (await stack.http.post(`${api}/calendar/events`, { token: t.token, body: { title: 'Made here', start_time: `${DAY}T13:00:00Z`, end_time: `${DAY}T13:45:00Z`, attendees: ['guest@example.com'] } })).body.data;
    const inserts = google.calls.insert;
    await syncNow();
    const atGoogle = google.events.get(googleIdFor(made.id));
    expect(atGoogle).toMatchObject({ summary: 'Made here', start: { dateTime: `${DAY}T13:00:00.000Z` }, extendedProperties: { private: { [OUR_ID_PROPERTY]: made.id } } });
    expect(google.calls.insert - inserts).toBe(1);

    const patches = google.calls.patch;
    await syncNow(); // our own insert comes back in the pull: no second row, nothing pushed back
    await syncNow();
    expect(google.calls.insert - inserts).toBe(1);
    expect(google.calls.patch).toBe(patches);
    const rows = (await synced()).filter((e) => e.title === 'Made here');
    expect(rows.map((e) => e.id)).toEqual([made.id]);

    await stack.http.put(`${api}/calendar/events/${made.id}`, { token: t.token, body: { title: 'Made here, renamed' } });
    await syncNow();
    expect(google.events.get(googleIdFor(made.id))?.summary).toBe('Made here, renamed');
    expect(google.calls.patch).toBe(patches + 1);

    expect((await stack.http.delete(`${api}/calendar/events/${made.id}`, { token: t.token })).status).toBe(204);
    await syncNow();
    expect(google.events.get(googleIdFor(made.id))?.status).toBe('cancelled');
  }, 120_000);

  it('keeps an edit made here right after a push, when the next pull brings that push back', async () => {
    const made = (await stack.http.post(`${api}/calendar/events`, { token: t.token, body: { title: 'Edited soon', start_time: `${DAY}T16:00:00Z`, end_time: `${DAY}T16:30:00Z` } })).body.data;
    // The create's own pass pushes it; no pass has pulled it back yet.
    await eventually(async () => (google.events.get(googleIdFor(made.id))?.summary === 'Edited soon' ? true : undefined), { what: 'the push', timeoutMs: 30_000 });
    // The next pull returns our own insert (with the old title) before the edit is pushed.
    await stack.http.put(`${api}/calendar/events/${made.id}`, { token: t.token, body: { title: 'Edited soon, renamed' } });
    await syncNow();
    await syncNow();
    expect((await stack.http.get(`${api}/calendar/events/${made.id}`, { token: t.token })).body.data.title).toBe('Edited soon, renamed');
    expect(google.events.get(googleIdFor(made.id))?.summary).toBe('Edited soon, renamed');
  }, 90_000);

  it('sends a change made here to Google at once, without waiting for the next pass', async () => {
    const made = (await stack.http.post(`${api}/calendar/events`, { token: t.token, body: { title: 'Pushed by itself', start_time: `${DAY}T14:00:00Z`, end_time: `${DAY}T14:15:00Z` } })).body.data;
    await eventually(async () => (google.events.get(googleIdFor(made.id))?.summary === 'Pushed by itself' ? true : undefined), { what: 'the push', timeoutMs: 30_000 });
    await stack.http.delete(`${api}/calendar/events/${made.id}`, { token: t.token });
    await eventually(async () => (google.events.get(googleIdFor(made.id))?.status === 'cancelled' ? true : undefined), { what: 'the delete at Google', timeoutMs: 30_000 });
  }, 90_000);

  it('keeps an event Google refuses here, saying why, and goes on pushing the others', async () => {
    google.refuse('Not ours to change');
    const refused = (await stack.http.post(`${api}/calendar/events`, { token: t.token, body: { title: 'Not ours to change', start_time: `${DAY}T17:00:00Z`, end_time: `${DAY}T17:30:00Z` } })).body.data;
    const other = (await stack.http.post(`${api}/calendar/events`, { token: t.token, body: { title: 'Pushed past a refusal', start_time: `${DAY}T18:00:00Z`, end_time: `${DAY}T18:30:00Z` } })).body.data;
    await syncNow();
    expect(google.events.get(googleIdFor(other.id))?.summary).toBe('Pushed past a refusal');
    expect(google.events.has(googleIdFor(refused.id))).toBe(false);
    const kept = (await stack.http.get(`${api}/calendar/events/${refused.id}`, { token: t.token })).body.data;
    expect(kept).toMatchObject({ title: 'Not ours to change', sync_error: expect.stringContaining('organizer'), external_calendar_type: null });
    expect((await stack.http.get(`${api}/calendar/events/${other.id}`, { token: t.token })).body.data.sync_error).toBeNull();
    // Not asked again every pass: it waits for a change here.
    const inserts = google.calls.insert;
    await syncNow();
    expect(google.calls.insert).toBe(inserts);
    // Once Google takes it, the next edit goes through and the error clears.
    google.refuse('Not ours to change', false);
    await stack.http.patch(`${api}/calendar/events/${refused.id}`, { token: t.token, body: { location: 'Room 2' } });
    await syncNow();
    expect(google.events.get(googleIdFor(refused.id))).toMatchObject({ summary: 'Not ours to change', location: 'Room 2' });
    expect((await stack.http.get(`${api}/calendar/events/${refused.id}`, { token: t.token })).body.data).toMatchObject({ sync_error: null, external_calendar_type: 'google' });
  }, 120_000);

  it('clears a refused edit\'s error once Google\'s own change to that event is taken', async () => {
    const theirs = google.addEvent({ summary: 'Organized by someone else', at: `${DAY}T06:00:00Z` });
    await syncNow();
    const local = (await synced()).find((e) => e.externalId === theirs.id) as { id: string };
    google.refuse('Organized by someone else');
    await stack.http.patch(`${api}/calendar/events/${local.id}`, { token: t.token, body: { location: 'Our room' } });
    await syncNow();
    expect((await stack.http.get(`${api}/calendar/events/${local.id}`, { token: t.token })).body.data.sync_error).toContain('organizer');
    google.refuse('Organized by someone else', false);
    google.update(theirs.id, { summary: 'Organized elsewhere, renamed' });
    await syncNow();
    expect((await stack.http.get(`${api}/calendar/events/${local.id}`, { token: t.token })).body.data).toMatchObject({ title: 'Organized elsewhere, renamed', sync_error: null });
  }, 90_000);

  it('waits out Google\'s usage limits (a 403 quotaExceeded) and then pushes every change, refusing none', async () => {
    const doomed = (await stack.http.post(`${api}/calendar/events`, { token: t.token, body: { title: 'Deleted over the limit', start_time: `${DAY}T19:00:00Z`, end_time: `${DAY}T19:30:00Z` } })).body.data;
    await eventually(async () => (google.events.get(googleIdFor(doomed.id))?.status === 'confirmed' ? true : undefined), { what: 'the first push', timeoutMs: 30_000 });
    const failed = google.calls.failedWrites;
    google.failWrites({ status: 403, reason: 'quotaExceeded', message: 'Calendar usage limits exceeded.' }, 2);
    const made = (await stack.http.post(`${api}/calendar/events`, { token: t.token, body: { title: 'Pushed over the limit', start_time: `${DAY}T19:30:00Z`, end_time: `${DAY}T20:00:00Z` } })).body.data;
    expect((await stack.http.delete(`${api}/calendar/events/${doomed.id}`, { token: t.token })).status).toBe(204);
    await eventually(
      async () => (google.events.get(googleIdFor(made.id))?.summary === 'Pushed over the limit' && google.events.get(googleIdFor(doomed.id))?.status === 'cancelled' ? true : undefined),
      { what: 'both changes at Google once the limit lifts', timeoutMs: 60_000 },
    );
    expect(google.calls.failedWrites - failed).toBe(2);
    expect((await stack.http.get(`${api}/calendar/events/${made.id}`, { token: t.token })).body.data).toMatchObject({ sync_error: null, external_calendar_type: 'google' });
  }, 90_000);

  it('keeps one row per instance of a recurring event when one instance is moved at Google', async () => {
    const instances = [...google.events.values()].filter((e) => e.recurringEventId === 'weekly').sort((a, b) => a.id.localeCompare(b.id));
    google.update(instances[1].id, { start: { dateTime: `${DAY.slice(0, 8)}09T09:30:00Z` }, end: { dateTime: `${DAY.slice(0, 8)}09T10:30:00Z` } });
    await syncNow();
    const series = (await synced()).filter((e) => e.recurringEventId === 'weekly');
    expect(series).toHaveLength(4);
    const moved = series.find((e) => e.externalId === instances[1].id);
    expect(moved?.startsAt.toISOString()).toBe(`${DAY.slice(0, 8)}09T09:30:00.000Z`);
    expect(moved?.originalStartTime).toBe(instances[1].originalStartTime?.dateTime);
  }, 90_000);

  it('counts synced events as busy time in availability', async () => {
    const res = await stack.http.get(`${api}/calendar/availability?date=${DAY}&duration=60`, { token: t.token });
    const starts = res.body.data.slots.map((s: { start_time: string }) => s.start_time);
    // Free: 09:00, 10:00 (its event moved to 15:00), 11:00 (its event was cancelled), 14:00.
    // Busy: 08:00 (the series), 12:00, 13:00, 15:00 and 16:00 (Google's).
    expect(starts).toEqual([`${DAY}T09:00:00.000Z`, `${DAY}T10:00:00.000Z`, `${DAY}T11:00:00.000Z`, `${DAY}T14:00:00.000Z`]);
  });

  it('resumes a pass after its worker is killed mid-sync, with no duplicates', async () => {
    for (let i = 0; i < 15; i++) google.addEvent({ summary: `Bulk ${i}`, at: `2031-11-${String(i + 1).padStart(2, '0')}T10:00:00Z` });
    google.setListDelay(700);
    const listsBefore = google.calls.list;
    await stack.http.post(`${api}/calendar/sync/google`, { token: t.token });
    await eventually(async () => (google.calls.list - listsBefore >= 2 ? true : undefined), { what: 'a few pages', timeoutMs: 30_000 });
    await stack.worker!.kill();
    google.setListDelay(0);
    await stack.startWorker();
    await eventually(async () => ((await synced()).filter((e) => e.title.startsWith('Bulk ')).length === 15 ? true : undefined), { what: 'every page after the restart', timeoutMs: 90_000 });
    const rows = await synced();
    expect(new Set(rows.map((e) => e.externalId)).size).toBe(rows.length);
  }, 150_000);

  it('stops when the grant is revoked: the connection needs to be connected again, and sync.failed says so', async () => {
    google.revokeGrants();
    await stack.http.post(`${api}/calendar/sync/google`, { token: t.token });
    const run = await eventually(async () => {
      const r = await progress();
      return r.status === 'completed' ? r : undefined;
    }, { what: 'the sync run to stop', timeoutMs: 60_000 });
    expect(run.status).toBe('completed');
    const conn = await stack.http.get(`${api}/calendar/connections/${connectionId}`, { token: t.token });
    expect(conn.body.data.status).toBe('needs_reauth');
    const failed = await tenantEm(stack.orm, t.tenantId).find(EventSchema, { type: 'sync.failed', entityId: connectionId });
    expect(failed.map((e) => e.payload)).toEqual([{ integration_id: connectionId, data_type: 'calendar', provider: 'google', error: 'invalid_grant' }]);
    expect((await stack.http.post(`${api}/calendar/sync/google`, { token: t.token })).status).toBe(409);
    captureHistory(runId(), 'calendar-sync-revoked');

    // Connecting again mends it, in a new run of the same connection.
    const again = await connect();
    expect(again.status).toBe(201);
    expect(again.body.data).toMatchObject({ id: connectionId, status: 'active' });
    await eventually(async () => ((await progress()).status === 'running' && (await progress()).progress?.passes ? true : undefined), { what: 'a new run', timeoutMs: 60_000 });
  }, 120_000);

  it('stops, keeping every change to push, when Google refuses writes to the whole calendar (read-only access)', async () => {
    google.failWrites({ status: 403, reason: 'requiredAccessLevel', message: 'You need to have writer access to this calendar.' });
    const made = (await stack.http.post(`${api}/calendar/events`, { token: t.token, body: { title: 'Made on a read-only calendar', start_time: `${DAY}T20:00:00Z`, end_time: `${DAY}T20:30:00Z` } })).body.data;
    const conn = await eventually(async () => {
      const c = (await stack.http.get(`${api}/calendar/connections/${connectionId}`, { token: t.token })).body.data as { status: string; last_error: string | null };
      return c.status === 'needs_reauth' ? c : undefined;
    }, { what: 'the connection to wait for a person', timeoutMs: 60_000 });
    expect(conn.last_error).toContain('writer access');
    const failed = await tenantEm(stack.orm, t.tenantId).find(EventSchema, { type: 'sync.failed', entityId: connectionId }, { orderBy: { createdAt: 'desc' } });
    expect(failed[0].payload).toMatchObject({ error: 'requiredAccessLevel' });
    // Not refused as one event: still waiting to go out, with no error of its own.
    expect((await stack.http.get(`${api}/calendar/events/${made.id}`, { token: t.token })).body.data).toMatchObject({ sync_error: null, external_calendar_type: null });

    // Connected again with writer access, it goes out.
    google.failWrites(null);
    expect((await connect()).status).toBe(201);
    await eventually(async () => (google.events.get(googleIdFor(made.id))?.summary === 'Made on a read-only calendar' ? true : undefined), { what: 'the push after reconnecting', timeoutMs: 60_000 });
  }, 120_000);

  it('refuses a state from someone else, a reused code, Outlook (501), and another tenant\'s connection (404)', async () => {
    const other = await aTenant(stack.http);
    const mine = await stack.http.post(`${api}/calendar/auth/google`, { token: t.token, body: { redirect_uri: REDIRECT } });
    const state = new URL(mine.body.data.auth_url).searchParams.get('state') as string;
    const stolen = await stack.http.post(`${api}/calendar/auth/callback`, { token: other.token, body: { provider: 'google', auth_code: google.issueCode(), state } });
    expect(stolen.status).toBe(422);
    expect(stolen.body.error.details.fields[0]).toMatchObject({ field: 'body.state' });
    const forged = await stack.http.post(`${api}/calendar/auth/callback`, { token: t.token, body: { provider: 'google', auth_code: 'x', state: `${state}x` } });
    expect(forged.status).toBe(422);
    const badCode = await stack.http.post(`${api}/calendar/auth/callback`, { token: t.token, body: { provider: 'google', auth_code: 'never-issued', state } });
    expect(badCode.status).toBe(422);
    expect(badCode.body.error.details.fields[0]).toMatchObject({ field: 'body.auth_code' });

    const outlook = await stack.http.post(`${api}/calendar/auth/outlook`, { token: t.token });
    expect(outlook.status).toBe(501);
    expect(outlook.body.error.code).toBe('NOT_IMPLEMENTED');

    // A plain user of the tenant may not swap the business's calendar for their own account, nor disconnect it.
    const member = await stack.http.post(`${api}/users`, { token: t.token, body: { email: `cal-member-${Date.now()}@example.com`, password: 'member password', role: 'user' } });
    const memberToken = (await stack.http.post(`${api}/auth/login`, { body: { email: member.body.data.email, password: 'member password' } })).body.access_token as string;
    for (const res of [
      await stack.http.post(`${api}/calendar/auth/google`, { token: memberToken, body: { redirect_uri: REDIRECT } }),
      await stack.http.post(`${api}/calendar/auth/callback`, { token: memberToken, body: { provider: 'google', auth_code: google.issueCode(), state } }),
      await stack.http.delete(`${api}/calendar/connections/${connectionId}`, { token: memberToken }),
    ]) {
      expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    }

    const path = `${api}/calendar/connections/${connectionId}`;
    expect((await stack.http.get(path, { token: other.token })).status).toBe(404);
    expect((await stack.http.delete(path, { token: other.token })).status).toBe(404);
    expect((await stack.http.post(`${api}/calendar/sync/google`, { token: other.token })).status).toBe(404);
    expect((await stack.http.get(`${api}/calendar/connections`, { token: other.token })).body.data).toEqual([]);
    expect((await stack.http.get(path, { token: t.token })).body.data.status).toBe('active');
  });

  it('disconnects, even in the middle of a pass: the grant is revoked at Google, the tokens forgotten, and synced events stay', async () => {
    const kept = (await synced()).length;
    const revokes = google.calls.revoke;
    // A pass is pulling (Google answers slowly) when the disconnect comes: that pass stopped
    // the run before its revoke, and the tokens stayed.
    google.setListDelay(1_500);
    const lists = google.calls.list;
    expect((await stack.http.post(`${api}/calendar/sync/google`, { token: t.token })).status).toBe(202);
    await eventually(async () => (google.calls.list > lists ? true : undefined), { what: 'a pull to be under way' });
    expect((await stack.http.delete(`${api}/calendar/connections/${connectionId}`, { token: t.token })).status).toBe(204);
    expect((await stack.http.get(`${api}/calendar/connections`, { token: t.token })).body.data).toEqual([]);
    await eventually(async () => (google.calls.revoke > revokes ? true : undefined), { what: 'the revoke at Google' });
    const conn = await eventually(async () => {
      const c = await tenantEm(stack.orm, t.tenantId).findOneOrFail(CalendarConnectionSchema, connectionId);
      return c.refreshTokenSealed === null && c.accessTokenSealed === null ? c : undefined;
    }, { what: 'the tokens to be forgotten' });
    expect(conn.status).toBe('disconnected');
    await eventually(async () => ((await stack.temporal.workflow.getHandle(runId()).describe()).status.name === 'COMPLETED' ? true : undefined), { what: 'the sync run to end' });
    captureHistory(runId(), 'calendar-sync-disconnected-mid-pass');
    expect((await synced()).length).toBe(kept);
    expect((await stack.http.get(`${api}/calendar/connections/${connectionId}`, { token: t.token })).status).toBe(404);
    google.setListDelay(0);
  });
});
