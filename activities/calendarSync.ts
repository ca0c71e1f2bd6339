import { ApplicationFailure, Context } from '@temporalio/activity';
import type { MikroORM } from '../lib/db.ts';
import { tenantEm, type EntityManager } from '../lib/db.ts';
import type { SecretBox } from '../lib/crypto.ts';
import { changedFields, fromGoogle, googleIdFor, OUR_ID_PROPERTY, toGoogle, type LocalEventFields } from '../lib/calendarMapping.ts';
import { calendarEventSnapshot } from '../lib/snapshots.ts';
import { CalendarConnectionSchema, CalendarDeletionSchema, type CalendarConnection } from '../entities/CalendarConnection.ts';
import { CalendarEventSchema, type CalendarEvent } from '../entities/CalendarEvent.ts';
import { ReminderSchema } from '../entities/Reminder.ts';
import { TenantSchema } from '../entities/Tenant.ts';
import { recordEvent } from '../entities/Event.ts';
import { queueWorkflowStart } from '../entities/WorkflowStart.ts';
import { reminderNudgeRequest, reminderStartRequest } from '../workflows/sendReminder.client.ts';
import { ProviderError } from '../providers/errors.ts';
import { googleCalendarClient, revokeToken, type GoogleEvent, type GoogleSettings, type GoogleTokens } from '../providers/google/calendar.ts';

export interface CalendarSyncDeps {
  orm: MikroORM;
  secrets: SecretBox;
  google: GoogleSettings;
  pageSize: number;
  /** What a reminder run started here waits for a send (as the API starts them). */
  reminderSendTimeoutMs: number;
}

export interface SyncInput {
  tenantId: string;
  connectionId: string;
}

export interface PullInput extends SyncInput {
  /**
   * Leave the reminders to tell on the connection: the run forgets them itself once told
   * (forgetToldReminders), so a pull whose answer is lost still has them for its retry.
   * Runs before that change cleared them in the pull's last commit.
   */
  keepTold?: boolean;
}

export interface PullCounts {
  pages: number;
  created: number;
  updated: number;
  deleted: number;
}

export type PullOutcome =
  | ({ state: 'done'; full: boolean; reminders: string[] } & PullCounts)
  /** The sync token was stale (410): it is cleared; pull again, in full. */
  | { state: 'reset' }
  | { state: 'stopped'; status: string };

export type PushOutcome = { state: 'done'; pushed: number; deleted: number } | { state: 'stopped'; status: string };

/** What a pull heartbeats after each page, so a retry resumes there. */
interface PullProgress extends PullCounts {
  pageToken: string | null;
  syncToken: string | null;
  /** Also heartbeated: a retry after the pull's last commit, whose answer was lost, still has them. */
  reminders?: string[];
}

const BATCH = 200;

/** Already gone at the provider (deleted there, or never made): nothing left to do. */
const ignoreGone = (err: unknown) => {
  if (!(err instanceof ProviderError && (err.status === 404 || err.status === 410))) throw err;
};
/**
 * The provider will not take this one change (an event only its organizer may edit, a
 * body it finds invalid): retrying it cannot help, and it must not hold up every other.
 */
const refusal = (err: unknown): string | null =>
  err instanceof ProviderError && err.kind === 'rejected' && err.status !== 404 && err.status !== 410 ? err.message.slice(0, 500) || 'refused' : null;
/** Never-pushed events of ours older than this stay local when a calendar is connected. */
const PUSH_HORIZON_MS = 30 * 86_400_000;

const fieldsOf = (e: CalendarEvent): LocalEventFields => ({
  title: e.title,
  description: e.description ?? null,
  startsAt: e.startsAt,
  endsAt: e.endsAt,
  allDay: e.allDay,
  timezone: e.timezone ?? null,
  location: e.location ?? null,
  attendees: e.attendees,
  // Cancelled stays cancelled: an event Google lists again (restored from its trash) then
  // shows as a change and comes back here too, instead of staying cancelled (and free time).
  status: e.status,
  recurringEventId: e.recurringEventId ?? null,
  originalStartTime: e.originalStartTime ?? null,
});

/** Takes these reminders off the connection's list to tell, in `em`'s transaction if it has one. */
async function forgetTold(em: EntityManager, input: SyncInput & { reminderIds: string[] }): Promise<void> {
  await em
    .getConnection()
    .execute(
      'update calendar_connections set reminders_to_tell = array(select unnest(reminders_to_tell) except select unnest(?::text[])) where tenant_id = ? and id = ?',
      [`{${input.reminderIds.join(',')}}`, input.tenantId, input.connectionId],
      'run',
      em.getTransactionContext(),
    );
}

export function createCalendarSyncActivities(deps: CalendarSyncDeps) {
  async function connectionOf(em: EntityManager, connectionId: string): Promise<CalendarConnection | null> {
    return em.findOne(CalendarConnectionSchema, connectionId);
  }

  /** The real client for a connection, storing each refreshed access token (sealed) as it comes. */
  function clientFor(conn: CalendarConnection, tenantId: string) {
    const tokens: GoogleTokens = {
      accessToken: conn.accessTokenSealed ? deps.secrets.open(conn.accessTokenSealed) : '',
      refreshToken: conn.refreshTokenSealed ? deps.secrets.open(conn.refreshTokenSealed) : null,
      expiresAt: conn.accessTokenExpiresAt ?? null,
      scope: conn.scope ?? null,
    };
    return googleCalendarClient(deps.google, tokens, async (t) => {
      await tenantEm(deps.orm, tenantId).nativeUpdate(CalendarConnectionSchema, { id: conn.id }, { accessTokenSealed: deps.secrets.seal(t.accessToken), accessTokenExpiresAt: t.expiresAt });
    });
  }

  /**
   * A revoked or expired grant will not mend by retrying: the connection waits for a person
   * to connect it again (needs_reauth) and `sync.failed` says so. Other provider errors are
   * retried by Temporal, at the provider's pace when it gave one.
   */
  async function onProviderError(err: unknown, input: SyncInput): Promise<{ state: 'stopped'; status: string }> {
    if (!(err instanceof ProviderError)) throw err;
    if (err.kind === 'auth') {
      const em = tenantEm(deps.orm, input.tenantId);
      const conn = await em.findOneOrFail(CalendarConnectionSchema, input.connectionId);
      if (conn.status === 'active') {
        conn.status = 'needs_reauth';
        conn.lastError = err.message.slice(0, 500);
        recordEvent(em, { tenantId: input.tenantId, type: 'sync.failed', entityType: 'calendar_connection', entityId: conn.id, payload: { integration_id: conn.id, data_type: 'calendar', provider: conn.provider, error: err.code ?? 'unauthorized' } });
        await em.flush();
      }
      return { state: 'stopped', status: conn.status };
    }
    if (!err.retryable) throw ApplicationFailure.nonRetryable(err.message, 'ProviderRejected');
    throw ApplicationFailure.create({ message: err.message, type: 'ProviderUnavailable', ...(err.retryAfterMs ? { nextRetryDelay: err.retryAfterMs } : {}) });
  }

  /** One page of provider changes, in one transaction; the reminders whose event moved or ended are kept on the connection and returned. */
  async function applyPage(tenantId: string, conn: CalendarConnection, zone: string, page: GoogleEvent[], counts: PullCounts): Promise<string[]> {
    const em = tenantEm(deps.orm, tenantId);
    return em.transactional(async (tx) => {
      const ids = page.map((g) => g.id).filter((id): id is string => Boolean(id));
      const ours = page.map((g) => g.extendedProperties?.private?.[OUR_ID_PROPERTY]).filter((id): id is string => typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id));
      const existing = await tx.find(CalendarEventSchema, { $or: [{ connection: conn.id, externalId: { $in: ids } }, ...(ours.length ? [{ id: { $in: ours } }] : [])] });
      const byExternal = new Map(existing.filter((e) => e.externalId).map((e) => [e.externalId as string, e]));
      const byId = new Map(existing.map((e) => [e.id, e]));
      const touched: string[] = [];
      const moved: string[] = [];
      const ended: string[] = [];
      for (const g of page) {
        if (!g.id) continue;
        const ourId = g.extendedProperties?.private?.[OUR_ID_PROPERTY];
        const local = byExternal.get(g.id) ?? (ourId ? byId.get(ourId) : undefined);
        if (g.status === 'cancelled') {
          if (local && local.status !== 'cancelled') {
            local.status = 'cancelled';
            counts.deleted++;
            ended.push(local.id);
            touched.push(local.id);
            recordEvent(tx, { tenantId, type: 'calendar.event.updated', entityType: 'calendar_event', entityId: local.id, payload: { event: calendarEventSnapshot(local), changed: ['status'] } });
          }
          continue;
        }
        const next = fromGoogle(g, zone);
        if (!next) continue;
        if (!local) {
          const created = tx.create(CalendarEventSchema, { ...next, tenant: tenantId, connection: conn.id, externalId: g.id, externalCalendarType: 'google', externalCalendarId: conn.calendarId });
          byExternal.set(g.id, created);
          counts.created++;
          touched.push(created.id);
          recordEvent(tx, { tenantId, type: 'calendar.event.created', entityType: 'calendar_event', entityId: created.id, payload: { event: calendarEventSnapshot(created) } });
          continue;
        }
        const changed = changedFields(fieldsOf(local), next);
        // An event of ours comes back linked; one moved at Google moves its reminders.
        if (!local.externalId) Object.assign(local, { connection: conn.id, externalId: g.id, externalCalendarType: 'google', externalCalendarId: conn.calendarId });
        // Changed here since it last matched Google (often: this is the echo of our own last
        // push, pulled before the edit goes out): the edit wins, and the push after this pull
        // sends it. Taking Google's version here undid the edit, and nothing went out.
        if (!local.externalSyncedAt || local.updatedAt > local.externalSyncedAt) continue;
        touched.push(local.id);
        if (!changed.length) continue;
        Object.assign(local, next);
        counts.updated++;
        if (changed.includes('start_time')) moved.push(local.id);
        recordEvent(tx, { tenantId, type: 'calendar.event.updated', entityType: 'calendar_event', entityId: local.id, payload: { event: calendarEventSnapshot(local), changed } });
      }
      await tx.flush();
      // What came from the provider matches it now: not to be pushed back, and no longer refused.
      if (touched.length) await tx.getConnection().execute('update calendar_event set external_synced_at = updated_at, external_sync_error = null where tenant_id = ? and id = any(?::uuid[])', [tenantId, `{${touched.join(',')}}`], 'run', tx.getTransactionContext());
      const cancelled = ended.length
        ? await tx.getConnection().execute<Array<{ id: string }>>("update reminders set status = 'cancelled', next_send_at = null, updated_at = now() where tenant_id = ? and event_id = any(?::uuid[]) and status = 'scheduled' returning id", [tenantId, `{${ended.join(',')}}`], 'all', tx.getTransactionContext())
        : [];
      const following = moved.length ? await tx.find(ReminderSchema, { event: { $in: moved }, status: 'scheduled' }, { fields: ['id'] }) : [];
      const reminders = [...cancelled.map((r) => r.id), ...following.map((r) => r.id)];
      if (reminders.length) {
        await tx.getConnection().execute(
          'update calendar_connections set reminders_to_tell = array(select distinct unnest(reminders_to_tell || ?::text[])) where tenant_id = ? and id = ?',
          [`{${reminders.join(',')}}`, tenantId, conn.id],
          'run',
          tx.getTransactionContext(),
        );
      }
      return reminders;
    });
  }

  return {
    /**
     * Pulls what changed at the provider since the last pass (everything, the first time
     * or after a 410), page by page, each page in one transaction and heartbeated, so a
     * retry after a crash resumes at the page it was on. The sync token is stored from the
     * last page only.
     */
    async pullCalendar(input: PullInput): Promise<PullOutcome> {
      const em = tenantEm(deps.orm, input.tenantId);
      const conn = await connectionOf(em, input.connectionId);
      if (!conn || conn.status !== 'active') return { state: 'stopped', status: conn?.status ?? 'disconnected' };
      const zone = (await em.findOneOrFail(TenantSchema, input.tenantId)).timezone;
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as PullProgress | undefined;
      const progress: PullProgress = resumed ?? { pageToken: null, syncToken: conn.syncToken ?? null, pages: 0, created: 0, updated: 0, deleted: 0 };
      const client = clientFor(conn, input.tenantId);
      // A slow page still heartbeats (with where it is), so a dead worker is noticed in seconds.
      const beat = setInterval(() => ctx.heartbeat(progress), 2_000);
      try {
        for (;;) {
          const page = await client.listPage(conn.calendarId, { syncToken: progress.pageToken ? null : progress.syncToken, pageToken: progress.pageToken, pageSize: deps.pageSize });
          progress.reminders = [...(progress.reminders ?? []), ...(await applyPage(input.tenantId, conn, zone, page.events, progress))];
          progress.pages++;
          progress.pageToken = page.nextPageToken;
          ctx.heartbeat(progress);
          if (page.nextSyncToken || !page.nextPageToken) {
            // The reminders to tell, this pull's and any a failed one left, go to the run with its result.
            const [told] = await em.getConnection().execute<Array<{ reminders: string[] }>>(
              `with kept as (select id, reminders_to_tell from calendar_connections where tenant_id = ? and id = ? for update)
               update calendar_connections c set sync_token = ?, last_synced_at = now(), last_error = null${input.keepTold ? '' : ", reminders_to_tell = '{}'"}
               from kept where c.id = kept.id returning kept.reminders_to_tell as reminders`,
              [input.tenantId, conn.id, page.nextSyncToken],
            );
            const { pageToken: _p, syncToken, reminders, ...counts } = progress;
            return { state: 'done', full: !syncToken, reminders: [...new Set([...(told?.reminders ?? []), ...(reminders ?? [])])], ...counts };
          }
        }
      } catch (err) {
        if (err instanceof ProviderError && err.status === 410) {
          await em.nativeUpdate(CalendarConnectionSchema, { id: conn.id }, { syncToken: null });
          return { state: 'reset' };
        }
        return onProviderError(err, input);
      } finally {
        clearInterval(beat);
      }
    },

    /**
     * Pushes our changes: deletions first, then events changed here since they last
     * matched the provider. Inserts use our own id at Google (a retry is a 409, then a
     * patch); a row is marked pushed only if nobody changed it meanwhile.
     */
    async pushCalendar(input: SyncInput): Promise<PushOutcome> {
      const em = tenantEm(deps.orm, input.tenantId);
      const conn = await connectionOf(em, input.connectionId);
      if (!conn || conn.status !== 'active') return { state: 'stopped', status: conn?.status ?? 'disconnected' };
      const zone = (await em.findOneOrFail(TenantSchema, input.tenantId)).timezone;
      const ctx = Context.current();
      const client = clientFor(conn, input.tenantId);
      const db = em.getConnection();
      let pushed = 0;
      let deleted = 0;
      try {
        for (;;) {
          const gone = await em.find(CalendarDeletionSchema, { connection: conn.id }, { limit: BATCH });
          for (const d of gone) {
            await client.remove(conn.calendarId, d.externalId).catch(ignoreGone).catch((err: unknown) => {
              // Nothing here to keep an error on: the event stays at Google, and comes back on a full pull.
              const why = refusal(err);
              if (!why) throw err;
              ctx.log.warn('calendar provider refused a delete', { externalId: d.externalId, error: why });
            });
            await em.nativeDelete(CalendarDeletionSchema, { id: d.id });
            deleted++;
            ctx.heartbeat();
          }
          if (gone.length < BATCH) break;
        }
        for (;;) {
          const due = await db.execute<Array<{ id: string }>>(
            `select id from calendar_event
             where tenant_id = ? and status in ('confirmed', 'cancelled')
               and (external_synced_at is null or updated_at > external_synced_at)
               and (connection_id = ? or (connection_id is null and external_id is null and status = 'confirmed' and ends_at > ?))
             order by updated_at limit ?`,
            [input.tenantId, conn.id, new Date(Date.now() - PUSH_HORIZON_MS), BATCH],
          );
          if (!due.length) break;
          // A fresh unit of work per batch, so a long push holds one batch of rows at a time.
          const rows = await tenantEm(deps.orm, input.tenantId).find(CalendarEventSchema, { id: { $in: due.map((d) => d.id) } });
          for (const e of rows) {
            let externalId = e.externalId ?? null;
            const body = toGoogle({ ...fieldsOf(e), id: e.id }, zone);
            try {
              if (e.status === 'cancelled') {
                if (externalId) {
                  await client.remove(conn.calendarId, externalId).catch(ignoreGone);
                  deleted++;
                }
              } else if (!externalId) {
                const id = googleIdFor(e.id);
                await client.insert(conn.calendarId, { ...body, id }).catch(async (err: unknown) => {
                  // Inserted by an earlier attempt whose answer was lost: bring it up to date instead.
                  if (!(err instanceof ProviderError && err.status === 409)) throw err;
                  await client.patch(conn.calendarId, id, body);
                });
                externalId = id;
                pushed++;
              } else {
                await client.patch(conn.calendarId, externalId, body).catch(ignoreGone);
                pushed++;
              }
            } catch (err) {
              const why = refusal(err);
              if (!why) throw err;
              // Kept on the row (its `sync_error`) and left until it changes here again; the rest go on.
              await db.execute('update calendar_event set external_sync_error = ?, external_synced_at = updated_at where tenant_id = ? and id = ? and updated_at = ?', [why, input.tenantId, e.id, e.updatedAt]);
              ctx.log.warn('calendar provider refused an event', { eventId: e.id, error: why });
              ctx.heartbeat();
              continue;
            }
            // Marked pushed only if unchanged since it was read: a change made meanwhile goes next pass.
            await db.execute(
              'update calendar_event set connection_id = ?, external_id = ?, external_calendar_type = ?, external_calendar_id = ?, external_synced_at = updated_at, external_sync_error = null where tenant_id = ? and id = ? and updated_at = ?',
              [conn.id, externalId, 'google', conn.calendarId, input.tenantId, e.id, e.updatedAt],
            );
            ctx.heartbeat();
          }
          if (due.length < BATCH) break;
        }
      } catch (err) {
        return onProviderError(err, input);
      }
      return { state: 'done', pushed, deleted };
    },

    /** `sync.completed` for a pass that changed something. */
    async recordSyncPass(input: SyncInput & { created: number; updated: number; deleted: number; pushed: number }): Promise<void> {
      const em = tenantEm(deps.orm, input.tenantId);
      const conn = await connectionOf(em, input.connectionId);
      if (!conn) return;
      const { tenantId, connectionId, ...counts } = input;
      recordEvent(em, { tenantId, type: 'sync.completed', entityType: 'calendar_connection', entityId: connectionId, payload: { integration_id: connectionId, data_type: 'calendar', provider: conn.provider, ...counts } });
      await em.flush();
    },

    /** Takes the reminders a run has told off the connection: exactly those, so any a later pull kept stay. */
    async forgetToldReminders(input: SyncInput & { reminderIds: string[] }): Promise<void> {
      if (!input.reminderIds.length) return;
      await forgetTold(tenantEm(deps.orm, input.tenantId), input);
    },

    /**
     * Owes each reminder whose event a pull changed word of it, as a change through the API
     * does (api/reminders/nudge.ts): Signal-With-Start rows the outbox relay sends at once.
     * With `forget`, they are taken off the connection in the same transaction: told, once
     * committed. A retry after the commit owes a second nudge, which plans once more.
     */
    async tellReminders(input: SyncInput & { reminderIds: string[]; forget: boolean }): Promise<void> {
      if (!input.reminderIds.length) return;
      await tenantEm(deps.orm, input.tenantId).transactional(async (tx) => {
        const known = await tx.find(ReminderSchema, { id: { $in: input.reminderIds } }, { fields: ['id'] });
        for (const r of known) queueWorkflowStart(tx, reminderNudgeRequest({ tenantId: input.tenantId, reminderId: r.id, sendTimeoutMs: deps.reminderSendTimeoutMs }), { handOver: true });
        await tx.flush();
        if (input.forget) await forgetTold(tx, input);
      });
    },

    /**
     * New runs for reminders still scheduled whose run could not be told their event
     * changed (it had ended): started by the outbox relay, planned from the row.
     */
    async restartReminders(input: SyncInput & { reminderIds: string[] }): Promise<number> {
      const em = tenantEm(deps.orm, input.tenantId);
      const scheduled = await em.find(ReminderSchema, { id: { $in: input.reminderIds }, status: 'scheduled' }, { fields: ['id'] });
      for (const r of scheduled) {
        queueWorkflowStart(em, reminderStartRequest({ tenantId: input.tenantId, reminderId: r.id, sendTimeoutMs: deps.reminderSendTimeoutMs }, { rerun: true }), { handOver: true });
      }
      await em.flush();
      return scheduled.length;
    },

    /** Ends the grant at the provider (best effort) and forgets the tokens; synced events stay. */
    async disconnectCalendar(input: SyncInput): Promise<void> {
      const em = tenantEm(deps.orm, input.tenantId);
      const conn = await connectionOf(em, input.connectionId);
      if (!conn) return;
      const token = conn.refreshTokenSealed ?? conn.accessTokenSealed;
      if (token) await revokeToken(deps.google, deps.secrets.open(token)).catch(() => undefined);
      await em.nativeUpdate(CalendarConnectionSchema, { id: conn.id }, { status: 'disconnected', accessTokenSealed: null, refreshTokenSealed: null, accessTokenExpiresAt: null, syncToken: null });
    },
  };
}

export type CalendarSyncActivities = ReturnType<typeof createCalendarSyncActivities>;
