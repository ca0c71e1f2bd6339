import { ApplicationFailure, Context } from '@temporalio/activity';
import type { MikroORM } from '../lib/db.ts';
import { tenantEm, type EntityManager } from '../lib/db.ts';
import type { SecretBox } from '../lib/crypto.ts';
import { changedForPush, mergePulled, type FieldOwner, type FieldValues } from '../lib/crm/fieldMerge.ts';
import { mappingFor, remoteOwners, remoteValues, type CrmDataType, type LocalValues, type ObjectMapping } from '../lib/crm/mappings.ts';
import { recordEvent } from '../entities/Event.ts';
import { IntegrationSchema, IntegrationSyncRunSchema, IntegrationSyncStateSchema, type Integration, type IntegrationSyncRun } from '../entities/Integration.ts';
import { addCounts as add, emptyCounts, type SyncCounts } from '../lib/crm/syncCounts.ts';
import { ProviderError } from '../providers/errors.ts';
import { crmClientFor, type CrmSettings } from '../providers/crm/index.ts';
import type { CrmClient, Person, PullCursor, RemoteRecord } from '../providers/crm/types.ts';
import { pgArray } from '../lib/pgArray.ts';
import { localStoreFor, markRemoteArchived, sqlOf, writeLinks, type LinkWrite, type LocalRow, type Scope, type Sql } from './crmStores/index.ts';

export interface CrmSyncDeps {
  orm: MikroORM;
  secrets: SecretBox;
  settings: CrmSettings;
  /** Records asked for per page (Salesforce answers up to 2,000). */
  pageSize: number;
  /** How far before the last high-water mark each pull starts again (late commits, clock skew). */
  overlapMs: number;
  /** Tests build clients their own way; the worker uses the real ones. */
  clientFor?: (integration: Integration) => CrmClient;
}

export interface CrmSyncRef {
  tenantId: string;
  integrationId: string;
  dataType: CrmDataType;
}

export type BeginOutcome =
  | { state: 'ready'; runRowId: string; full: boolean }
  /** Another run holds this data type's sync: this one ends as skipped. */
  | { state: 'busy'; heldBy: string }
  | { state: 'stopped'; reason: string };

/** `counts`: the run's counts so far, as committed with its pages (a killed attempt's pages included). */
export type StepOutcome = { state: 'done' | 'more'; counts: SyncCounts } | { state: 'stopped'; reason: string };

/** A run holds its data type this long past its last page (a killed run frees it after). */
const LEASE_MS = 10 * 60_000;
/** Pages per pull activity: the workflow continues as new every so many activities. */
const PAGES_PER_CALL = 50;
/** Our records pushed per batch (a provider write call or two). */
const PUSH_BATCH = 200;

const same = (a: LocalValues, b: LocalValues) => Object.keys(a).every((k) => (a[k] ?? null) === (b[k] ?? null));
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
/** The local field a mapping matches records by when neither side has linked them yet. */
const emailFieldOf = (mapping: ObjectMapping) => Object.entries(mapping.localFieldOf).find(([, local]) => local === 'email' || local === 'contact_email') ?? null;

export function createCrmSyncActivities(deps: CrmSyncDeps) {
  const clientOf = async (i: Integration): Promise<CrmClient> =>
    deps.clientFor?.(i) ??
    crmClientFor(deps.settings, deps.secrets, i, async (accessToken, instanceUrl) => {
      // A refreshed OAuth token: sealed with the rest, so the next run starts with it.
      const config = { ...(JSON.parse(deps.secrets.open(i.secretsSealed)) as Record<string, string>), access_token: accessToken };
      await tenantEm(deps.orm, i.tenant.id).nativeUpdate(IntegrationSchema, { id: i.id }, { secretsSealed: deps.secrets.seal(JSON.stringify(config)), settings: { ...i.settings, instance_url: instanceUrl } });
    });

  async function load(ref: CrmSyncRef, runRowId?: string): Promise<{ em: EntityManager; integration: Integration | null; run: IntegrationSyncRun | null }> {
    const em = tenantEm(deps.orm, ref.tenantId);
    const integration = await em.findOne(IntegrationSchema, ref.integrationId);
    const run = runRowId ? await em.findOne(IntegrationSyncRunSchema, runRowId) : null;
    return { em, integration, run };
  }

  /**
   * A credentials failure will not mend by retrying: the integration waits for a person
   * (needs_reauth) and the run stops. Other provider errors are retried by Temporal, at
   * the provider's pace when it gave one (Retry-After, the daily allowance).
   */
  async function onProviderError(err: unknown, ref: CrmSyncRef): Promise<{ state: 'stopped'; reason: string }> {
    if (!(err instanceof ProviderError)) throw err;
    if (err.kind === 'auth') {
      const em = tenantEm(deps.orm, ref.tenantId);
      await em.nativeUpdate(IntegrationSchema, { id: ref.integrationId, status: 'active' }, { status: 'needs_reauth', lastError: err.message.slice(0, 500) });
      return { state: 'stopped', reason: `needs_reauth: ${err.code ?? 'unauthorized'}` };
    }
    if (err.kind === 'rate_limited') await noteQuota(ref, { remaining: 0 }).catch(() => undefined);
    if (!err.retryable) throw ApplicationFailure.nonRetryable(err.message, 'ProviderRejected');
    throw ApplicationFailure.create({ message: err.message, type: err.kind === 'rate_limited' ? 'ProviderRateLimited' : 'ProviderUnavailable', ...(err.retryAfterMs ? { nextRetryDelay: err.retryAfterMs } : {}) });
  }

  async function noteQuota(ref: CrmSyncRef, quota: { remaining: number; limit?: number }) {
    await tenantEm(deps.orm, ref.tenantId).nativeUpdate(IntegrationSchema, { id: ref.integrationId }, { quotaRemaining: quota.remaining, ...(quota.limit !== undefined ? { quotaLimit: quota.limit } : {}), quotaSeenAt: new Date() });
  }

  /** One page of the provider's records, merged into ours in one transaction with the run's cursor and counts. */
  async function applyPage(
    em: EntityManager,
    scope: Scope,
    run: IntegrationSyncRun,
    mapping: ObjectMapping,
    owners: Record<string, FieldOwner>,
    page: { records: RemoteRecord[]; cursor: PullCursor; people: Map<string, Person> | null },
  ): Promise<void> {
    const { records, cursor } = page;
    const counts = emptyCounts();
    await em.transactional(async (tx) => {
      const sql = sqlOf(tx);
      const store = localStoreFor(scope.dataType);
      const linked = await store.linked(sql, scope, records.map((r) => r.id));
      const emailField = emailFieldOf(mapping);
      const remote = records.map((r) => ({ r, values: remoteValues(mapping, r.fields) }));
      const emailOf = (v: FieldValues) => (emailField && typeof v[emailField[0]] === 'string' ? String(v[emailField[0]]).toLowerCase() : null);
      const matches = await store.unlinkedByEmail(sql, scope, [...new Set(remote.filter(({ r }) => !linked.has(r.id)).map(({ values }) => emailOf(values)).filter((e): e is string => Boolean(e)))]);
      const inserts: Array<{ r: RemoteRecord; values: FieldValues }> = [];
      const updates: Array<{ id: string; values: LocalValues }> = [];
      const links: LinkWrite[] = [];
      const unarchive: string[] = [];
      for (const { r, values } of remote) {
        counts.fetched++;
        const hit = linked.get(r.id);
        const email = hit ? null : emailOf(values);
        const row: LocalRow | undefined = hit?.row ?? (email ? matches.get(email) : undefined);
        if (!row) {
          inserts.push({ r, values });
          continue;
        }
        if (!hit && email) matches.delete(email);
        const link = hit?.link ?? null;
        const local = mapping.toRemote(row.values);
        const merge = mergePulled({ fields: mapping.fields, base: link?.base ?? null, local, remote: values, localChangedAt: row.updatedAt, remoteChangedAt: r.modifiedAt, owners });
        counts.conflicts += merge.conflicts.length;
        if (Object.keys(merge.apply).length) {
          const next = { ...row.values, ...mapping.toLocal({ ...local, ...merge.apply }) };
          if (!same(next, row.values)) {
            updates.push({ id: row.id, values: next });
            counts.updated++;
          }
        }
        if (link?.archived) unarchive.push(row.id);
        links.push({ remoteId: r.id, localId: row.id, base: values, remoteModifiedAt: r.modifiedAt, synced: merge.localPending ? (link?.localSyncedAt ?? null) : true });
      }
      await store.update(sql, scope, updates);
      await store.unarchive(sql, scope, unarchive);
      // A lead that is two records there (a HubSpot deal and its contact) arrives with its person.
      const personOf = (id: string): LocalValues => {
        const p = page.people?.get(id);
        return p ? { contact_name: p.name, contact_email: p.email, contact_phone: p.phone, contact_organization: p.organization } : {};
      };
      const ids = await store.insert(sql, scope, inserts.map(({ r, values }) => ({ ...mapping.toLocal(values), ...personOf(r.id) })));
      inserts.forEach(({ r, values }, i) => {
        const localId = ids[i];
        if (!localId) return;
        links.push({ remoteId: r.id, localId, base: values, remoteModifiedAt: r.modifiedAt, synced: true });
        counts.created++;
      });
      await writeLinks(sql, scope, links);
      const newest = records.reduce<Date | null>((m, r) => (!m || r.modifiedAt > m ? r.modifiedAt : m), run.newestChange ?? null);
      await sql(
        `update integration_sync_runs set cursor = ?::jsonb, counts = ?::jsonb, newest_change = ?, updated_at = now() where tenant_id = ? and id = ?`,
        [JSON.stringify(cursor), JSON.stringify(add(run.counts, counts)), newest, scope.tenantId, run.id],
      );
      await sql('update integration_sync_states set lease_until = ? where tenant_id = ? and integration_id = ? and data_type = ?', [new Date(Date.now() + LEASE_MS), scope.tenantId, scope.integrationId, scope.dataType]);
      run.counts = add(run.counts, counts);
      run.cursor = cursor;
      run.newestChange = newest;
    });
  }

  /** Adds to the run's counts in the caller's transaction (so a retried step counts nothing twice); answers the new counts. */
  async function countInRun(sql: Sql, tenantId: string, run: IntegrationSyncRun, delta: Partial<SyncCounts>): Promise<SyncCounts> {
    const counts = add(run.counts, delta);
    await sql('update integration_sync_runs set counts = ?::jsonb, updated_at = now() where tenant_id = ? and id = ?', [JSON.stringify(counts), tenantId, run.id]);
    return counts;
  }

  return {
    /**
     * Takes this data type's sync for the run (a lease, so a scheduled and an asked-for run
     * never pull at once) and makes the run's row, once: a retry or a continued run finds it.
     */
    async beginCrmSync(input: CrmSyncRef & { workflowId: string; runKey: string; trigger: string }): Promise<BeginOutcome> {
      const { em, integration } = await load(input);
      if (!integration) return { state: 'stopped', reason: 'integration deleted' };
      if (integration.status !== 'active') return { state: 'stopped', reason: integration.status };
      // Secrets sealed with a key since rotated out of ENCRYPTION_KEY are sealed again with the current one.
      if (deps.secrets.isStale(integration.secretsSealed)) {
        await em.nativeUpdate(IntegrationSchema, { id: integration.id, secretsSealed: integration.secretsSealed }, { secretsSealed: deps.secrets.seal(deps.secrets.open(integration.secretsSealed)) });
      }
      return em.transactional(async (tx) => {
        const sql = sqlOf(tx);
        await sql(
          `insert into integration_sync_states (id, created_at, updated_at, tenant_id, integration_id, data_type) values (gen_random_uuid(), now(), now(), ?, ?, ?)
           on conflict (integration_id, data_type) do nothing`,
          [input.tenantId, input.integrationId, input.dataType],
        );
        const [state] = await sql<{ watermark: Date | null; lease_run: string | null; lease_until: Date | null }>(
          'select watermark, lease_run, lease_until from integration_sync_states where tenant_id = ? and integration_id = ? and data_type = ? for update',
          [input.tenantId, input.integrationId, input.dataType],
        );
        if (state.lease_run && state.lease_run !== input.runKey && state.lease_until && new Date(state.lease_until).getTime() > Date.now()) {
          const [holder] = await sql<{ workflow_id: string }>('select workflow_id from integration_sync_runs where tenant_id = ? and run_key = ?', [input.tenantId, state.lease_run]);
          const heldBy = holder?.workflow_id ?? state.lease_run;
          // Shown among the data type's runs, so an asked-for sync that found one running is not a mystery.
          await sql(
            `insert into integration_sync_runs (id, created_at, updated_at, tenant_id, integration_id, data_type, workflow_id, run_key, trigger, status, "full", counts, error, finished_at)
             values (gen_random_uuid(), now(), now(), ?, ?, ?, ?, ?, ?, 'skipped', false, ?::jsonb, ?, now()) on conflict (run_key) do nothing`,
            [input.tenantId, input.integrationId, input.dataType, input.workflowId, input.runKey, input.trigger, JSON.stringify(emptyCounts()), `another sync of ${input.dataType} was running (${heldBy})`.slice(0, 500)],
          );
          return { state: 'busy', heldBy };
        }
        await sql('update integration_sync_states set lease_run = ?, lease_until = ?, updated_at = now() where tenant_id = ? and integration_id = ? and data_type = ?', [
          input.runKey,
          new Date(Date.now() + LEASE_MS),
          input.tenantId,
          input.integrationId,
          input.dataType,
        ]);
        const watermark = state.watermark ? new Date(state.watermark) : null;
        const cursor: PullCursor = { since: watermark ? new Date(watermark.getTime() - deps.overlapMs).toISOString() : null, ts: null, id: null };
        const [row] = await sql<{ id: string; full: boolean }>(
          `insert into integration_sync_runs (id, created_at, updated_at, tenant_id, integration_id, data_type, workflow_id, run_key, trigger, status, "full", counts, cursor)
           values (gen_random_uuid(), now(), now(), ?, ?, ?, ?, ?, ?, 'running', ?, ?::jsonb, ?::jsonb)
           on conflict (run_key) do update set updated_at = now() returning id, "full"`,
          [input.tenantId, input.integrationId, input.dataType, input.workflowId, input.runKey, input.trigger, watermark === null, JSON.stringify(emptyCounts()), JSON.stringify(cursor)],
        );
        return { state: 'ready', runRowId: row.id, full: row.full };
      });
    },

    /**
     * Pulls pages of what changed at the provider from the run's cursor on, each page merged
     * and its cursor committed together, heartbeating as it goes: a killed worker's retry
     * resumes at the page after the last one committed. After so many pages it answers
     * `more`, so the workflow's history stays short (it continues as new).
     */
    async pullCrmPages(input: CrmSyncRef & { runRowId: string }): Promise<StepOutcome> {
      const { em, integration, run } = await load(input, input.runRowId);
      if (!integration || !run) return { state: 'stopped', reason: 'integration deleted' };
      if (integration.status !== 'active') return { state: 'stopped', reason: integration.status };
      if (run.pullDone) return { state: 'done', counts: run.counts };
      const ctx = Context.current();
      const mapping = mappingFor(integration.type, input.dataType);
      const owners = remoteOwners(mapping, integration.fieldOwners);
      const client = await clientOf(integration);
      let pages = 0;
      const beat = setInterval(() => ctx.heartbeat({ pages, counts: run.counts }), 2_000);
      try {
        const from = run.cursor ?? { since: null, ts: null, id: null };
        for await (const page of client.changes(mapping, from, deps.pageSize)) {
          const people = client.peopleOf && input.dataType === 'leads' ? await client.peopleOf(mapping, page.records.map((r) => r.id)) : null;
          await applyPage(em, input, run, mapping, owners, { ...page, people });
          pages++;
          ctx.heartbeat({ pages, counts: run.counts });
          if (pages >= PAGES_PER_CALL) return { state: 'more', counts: run.counts };
        }
        await em.nativeUpdate(IntegrationSyncRunSchema, { id: run.id }, { pullDone: true });
        const quota = await client.quota().catch(() => null);
        if (quota) await noteQuota(input, quota);
        return { state: 'done', counts: run.counts };
      } catch (err) {
        return onProviderError(err, input);
      } finally {
        clearInterval(beat);
      }
    },

    /**
     * Mirrors deletions at the provider as archived records here. Salesforce remembers
     * deletions for about 15 days: asked for since the last check, or, when its memory no
     * longer reaches back that far, a full reconcile (every live id listed; linked records
     * not among them are gone). HubSpot lists its archived records.
     */
    async syncCrmDeletions(input: CrmSyncRef & { runRowId: string }): Promise<StepOutcome> {
      const { em, integration, run } = await load(input, input.runRowId);
      if (!integration || !run) return { state: 'stopped', reason: 'integration deleted' };
      const state = await em.findOne(IntegrationSyncStateSchema, { integration: input.integrationId, dataType: input.dataType });
      // The first (full) sync has nothing to compare with yet.
      if (!state?.deletionsCheckedAt) return { state: 'done', counts: run.counts };
      const mapping = mappingFor(integration.type, input.dataType);
      const client = await clientOf(integration);
      const store = localStoreFor(input.dataType);
      const ctx = Context.current();
      // Archived with the run's count in one transaction, so a retry counts each record once.
      const archive = async (remoteIds: string[]) =>
        em.transactional(async (tx) => {
          const sql = sqlOf(tx);
          const localIds = await markRemoteArchived(sql, input, remoteIds);
          await store.archive(sql, input, localIds);
          run.counts = await countInRun(sql, input.tenantId, run, { archived: localIds.length });
        });
      try {
        // From a minute before the last check (Salesforce counts deletions by the minute): archiving twice is a no-op.
        const window = await client.deleted(mapping, new Date(state.deletionsCheckedAt.getTime() - 60_000), run.createdAt);
        if (window.complete) {
          for (let i = 0; i < window.ids.length; i += 1000) await archive(window.ids.slice(i, i + 1000));
          return { state: 'done', counts: run.counts };
        }
        // Reconcile: mark every link the provider still lists, then archive the unmarked.
        const mark = run.createdAt;
        const db = em.getConnection();
        for await (const page of client.allIds(mapping, run.reconcileAfter ?? null, deps.pageSize)) {
          await db.execute('update integration_records set seen_at = ? where tenant_id = ? and integration_id = ? and data_type = ? and remote_id = any(?::text[])', [
            mark,
            input.tenantId,
            input.integrationId,
            input.dataType,
            pgArray(page.ids),
          ]);
          await em.nativeUpdate(IntegrationSyncRunSchema, { id: run.id }, { reconcileAfter: page.after });
          ctx.heartbeat();
        }
        const gone = await db.execute<Array<{ remote_id: string }>>(
          'select remote_id from integration_records where tenant_id = ? and integration_id = ? and data_type = ? and remote_archived_at is null and (seen_at is null or seen_at < ?)',
          [input.tenantId, input.integrationId, input.dataType, mark],
        );
        const ids = gone.map((g) => g.remote_id);
        for (let i = 0; i < ids.length; i += 1000) await archive(ids.slice(i, i + 1000));
        return { state: 'done', counts: run.counts };
      } catch (err) {
        return onProviderError(err, input);
      }
    },

    /**
     * Sends our changes out: records changed since they last matched the provider, only the
     * fields that differ from what both sides last agreed on (and not those the provider
     * owns). A record the provider never had is created, after looking it up by email in
     * case an earlier attempt created it and its answer was lost.
     */
    async pushCrmChanges(input: CrmSyncRef & { runRowId: string }): Promise<StepOutcome> {
      const { em, integration, run } = await load(input, input.runRowId);
      if (!integration || !run) return { state: 'stopped', reason: 'integration deleted' };
      if (integration.status !== 'active') return { state: 'stopped', reason: integration.status };
      const mapping = mappingFor(integration.type, input.dataType);
      const owners = remoteOwners(mapping, integration.fieldOwners);
      const client = await clientOf(integration);
      const store = localStoreFor(input.dataType);
      const emailField = emailFieldOf(mapping);
      const ctx = Context.current();
      let afterId: string | null = null;
      try {
        for (;;) {
          const candidates = await store.pushCandidates(sqlOf(em), input, afterId, PUSH_BATCH);
          if (!candidates.length) break;
          afterId = candidates[candidates.length - 1].row.id;
          const links: LinkWrite[] = [];
          const updates: Array<{ id: string; fields: FieldValues; base: FieldValues; row: LocalRow }> = [];
          const creates: Array<{ values: FieldValues; row: LocalRow }> = [];
          for (const { row, link } of candidates) {
            if (link?.archived) continue;
            const local = mapping.toRemote(row.values);
            const changed = changedForPush(mapping.fields, link?.base ?? null, local, owners);
            if (!Object.keys(changed).length) {
              if (link) links.push({ remoteId: link.remoteId, localId: row.id, base: link.base ?? local, remoteModifiedAt: null, synced: row.updatedAt });
              continue;
            }
            if (link) updates.push({ id: link.remoteId, fields: changed, base: { ...(link.base ?? {}), ...changed }, row });
            else creates.push({ values: local, row });
          }
          // A record an earlier attempt created (its answer lost) is found by email and updated instead.
          if (creates.length && emailField) {
            const emails = creates.map((c) => c.values[emailField[0]]).filter((e): e is string => typeof e === 'string');
            const found = await client.findBy(mapping, emailField[0], emails);
            const taken = found.length ? await store.linked(sqlOf(em), input, found.map((f) => f.id)) : new Map();
            const byEmail = new Map(found.filter((f) => !taken.has(f.id)).map((f) => [f.value, f.id]));
            for (let i = creates.length - 1; i >= 0; i--) {
              const email = creates[i].values[emailField[0]];
              const id = typeof email === 'string' ? byEmail.get(email.toLowerCase()) : undefined;
              if (!id) continue;
              byEmail.delete(String(email).toLowerCase());
              updates.push({ id, fields: creates[i].values, base: creates[i].values, row: creates[i].row });
              creates.splice(i, 1);
            }
          }
          const counts = emptyCounts();
          // A lead that is two records there: its person first (found by email or made), then the lead's record associated to it.
          const people =
            client.ensurePeople && input.dataType === 'leads' && creates.length
              ? await client.ensurePeople(creates.map(({ row: { values: v } }) => ({ name: str(v.contact_name), email: str(v.contact_email), phone: str(v.contact_phone), organization: str(v.contact_organization) })))
              : undefined;
          const made = await client.create(mapping, creates.map((c) => Object.fromEntries(Object.entries(c.values).filter(([, v]) => v !== null))), people);
          made.forEach((m, i) => {
            if (!m.id) {
              counts.errors++;
              return;
            }
            counts.pushed++;
            links.push({ remoteId: m.id, localId: creates[i].row.id, base: creates[i].values, remoteModifiedAt: null, synced: creates[i].row.updatedAt });
          });
          const updated = await client.update(mapping, updates.map((u) => ({ id: u.id, fields: u.fields })));
          updated.forEach((u, i) => {
            if (u.error) {
              counts.errors++;
              return;
            }
            counts.pushed++;
            links.push({ remoteId: u.id, localId: updates[i].row.id, base: updates[i].base, remoteModifiedAt: null, synced: updates[i].row.updatedAt });
          });
          run.counts = await em.transactional(async (tx) => {
            await writeLinks(sqlOf(tx), input, links);
            return countInRun(sqlOf(tx), input.tenantId, run, counts);
          });
          ctx.heartbeat({ afterId, counts: run.counts });
          if (candidates.length < PUSH_BATCH) break;
        }
        return { state: 'done', counts: run.counts };
      } catch (err) {
        return onProviderError(err, input);
      }
    },

    /**
     * Closes the run: its status and counts; on success the high-water mark moves up (never
     * past the run's start, which the next run's overlap also covers) and deletions count as
     * checked to the run's start. Frees the lease; `sync.completed` or `sync.failed`.
     */
    async finishCrmSync(input: CrmSyncRef & { runRowId: string; status: 'completed' | 'failed'; error?: string | null }): Promise<void> {
      const { em, integration, run } = await load(input, input.runRowId);
      if (!run || run.status !== 'running') return;
      await em.transactional(async (tx) => {
        const sql = sqlOf(tx);
        await sql('update integration_sync_runs set status = ?, error = ?, finished_at = now(), updated_at = now() where tenant_id = ? and id = ?', [
          input.status,
          input.error?.slice(0, 500) ?? null,
          input.tenantId,
          run.id,
        ]);
        if (input.status === 'completed') {
          await sql(
            `update integration_sync_states set watermark = greatest(watermark, least(?::timestamptz, ?::timestamptz)), deletions_checked_at = ?, updated_at = now()
             where tenant_id = ? and integration_id = ? and data_type = ?`,
            [run.newestChange ?? null, run.createdAt, run.createdAt, input.tenantId, input.integrationId, input.dataType],
          );
        }
        await sql('update integration_sync_states set lease_run = null, lease_until = null where tenant_id = ? and integration_id = ? and data_type = ? and lease_run = ?', [
          input.tenantId,
          input.integrationId,
          input.dataType,
          run.runKey,
        ]);
        if (!integration) return;
        const provider = integration.type;
        const base = { integration_id: integration.id, data_type: input.dataType, provider };
        if (input.status === 'failed') {
          recordEvent(tx, { tenantId: input.tenantId, type: 'sync.failed', entityType: 'integration', entityId: integration.id, payload: { ...base, error: input.error ?? 'failed' } });
        } else {
          const c = run.counts;
          recordEvent(tx, {
            tenantId: input.tenantId,
            type: 'sync.completed',
            entityType: 'integration',
            entityId: integration.id,
            payload: { ...base, created: c.created, updated: c.updated, deleted: c.archived, pushed: c.pushed, fetched: c.fetched, archived: c.archived, conflicts: c.conflicts, errors: c.errors },
          });
        }
        await tx.flush();
      });
    },
  };
}

export type CrmSyncActivities = ReturnType<typeof createCrmSyncActivities>;
