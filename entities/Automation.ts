import { defineEntity, type EntityManager, type InferEntity, p } from '@mikro-orm/core';
import { runDefinition } from '../lib/automations/definition.ts';
import type { Segment } from '../lib/automations/segment.ts';
import { automationStartRequest } from '../workflows/runAutomation.client.ts';
import { queueWorkflowStart, type WorkflowStart } from './WorkflowStart.ts';
import { TenantScopedSchema } from './base.ts';
import type { Condition } from '../lib/automations/conditions.ts';

export const AUTOMATION_RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'skipped'] as const;
export type AutomationRunStatus = (typeof AUTOMATION_RUN_STATUSES)[number];

/**
 * A user-defined automation (seed 002's "workflows"): a trigger, conditions and a list of
 * actions, interpreted by the workflow `automation-<runId>`. `version` grows with every
 * edit; a run keeps the definition it started with.
 */
export const AutomationSchema = defineEntity({
  name: 'Automation',
  tableName: 'automations',
  extends: TenantScopedSchema,
  indexes: [{ properties: ['tenant', 'createdAt'] }, { properties: ['tenant', 'triggerType', 'enabled'] }],
  properties: {
    name: p.string().length(200),
    description: p.text().nullable(),
    triggerType: p.string().length(20),
    triggerConfig: p.json<Record<string, unknown>>().onCreate(() => ({})),
    conditions: p.json<Condition>().nullable(),
    actions: p.json<Array<Record<string, unknown>>>(),
    enabled: p.boolean().default(true),
    version: p.integer().default(1),
    /** Runs of this automation running at once; more are refused (an event's run is stored skipped, saying why) — 0: no limit. */
    maxConcurrentRuns: p.integer().default(0),
    createdBy: p.uuid().nullable(),
    /** A webhook trigger's `whsec_` secret, sealed (lib/crypto.ts); shown once, when made. */
    webhookSecretSealed: p.text().nullable(),
    /** A cron automation whose Temporal Schedule the API could not set yet (the outbox relay does it). */
    schedulePending: p.boolean().default(false),
  },
});
export type Automation = InferEntity<typeof AutomationSchema>;

export interface StepRecord {
  id: string;
  type: string;
  status: 'completed' | 'failed' | 'skipped';
  input: unknown;
  output: unknown;
  error: string | null;
  started_at: string;
  finished_at: string;
}

/**
 * One run of an automation: the version and context it started with, each step's status,
 * input, output and error as it goes. `triggerEventId` makes one event start a given
 * automation once, however often it is delivered.
 */
export const AutomationRunSchema = defineEntity({
  name: 'AutomationRun',
  tableName: 'automation_runs',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['automation', 'triggerEventId'] }, { properties: ['tenant', 'requestKey'] }],
  indexes: [{ properties: ['tenant', 'automation', 'createdAt'] }, { properties: ['tenant', 'status'] }],
  properties: {
    automation: () => p.manyToOne(AutomationSchema).deleteRule('cascade'),
    version: p.integer(),
    trigger: p.string().length(20),
    triggerEventId: p.uuid().nullable(),
    /** How many automation runs led to this one (an automation's own events retrigger only so deep). */
    depth: p.integer().default(0),
    status: p.enum(AUTOMATION_RUN_STATUSES).default('running'),
    context: p.json<Record<string, unknown>>(),
    steps: p.json<StepRecord[]>().onCreate(() => []),
    currentStep: p.string().length(40).nullable(),
    error: p.text().nullable(),
    finishedAt: p.datetime().nullable(),
    /**
     * The creating request's Idempotency-Key, hashed with its caller and body
     * (api/middleware/idempotency.ts): a retry after the API died between its commit and its
     * answer finds this row instead of running (and texting) a second time.
     */
    requestKey: p.string().length(64).nullable(),
  },
});
export type AutomationRun = InferEntity<typeof AutomationRunSchema>;

/**
 * A `wait_for_event` step listening: the outbox relay signals the run with each committed
 * event of these types (whose `match_field` equals `match_value`) until the step ends.
 */
export const AutomationWatchSchema = defineEntity({
  name: 'AutomationWatch',
  tableName: 'automation_watches',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['runId', 'stepId'] }],
  indexes: [{ properties: ['tenant', 'expiresAt'] }],
  properties: {
    runId: p.uuid(),
    stepId: p.string().length(40),
    eventTypes: p.array(),
    matchField: p.string().length(200).nullable(),
    matchValue: p.string().length(200).nullable(),
    expiresAt: p.datetime(),
  },
});
export type AutomationWatch = InferEntity<typeof AutomationWatchSchema>;

type NewRun = { trigger: string; context: Record<string, unknown>; triggerEventId?: string | null; depth: number; requestKey?: string | null };

/** A run row of an automation's current version, in the caller's unit of work (a cron firing's run makes its own: it is already running). */
export function newAutomationRunRow(em: EntityManager, a: Automation, run: NewRun): AutomationRun {
  return em.create(AutomationRunSchema, {
    tenant: a.tenant.id,
    automation: a,
    version: a.version,
    trigger: run.trigger,
    triggerEventId: run.triggerEventId ?? null,
    depth: run.depth,
    requestKey: run.requestKey ?? null,
    context: run.context,
  });
}

/** The run of an automation and its workflow start, in the caller's unit of work (`execute`, a webhook). */
export function newAutomationRun(em: EntityManager, a: Automation, run: NewRun & { requestId?: string | null }): { run: AutomationRun; start: WorkflowStart } {
  const created = newAutomationRunRow(em, a, run);
  const definition = runDefinition({ conditions: a.conditions ?? null, actions: a.actions }, a.version);
  const start = queueWorkflowStart(
    em,
    automationStartRequest({ tenantId: a.tenant.id, runId: created.id, automationId: a.id, definition, context: run.context, triggeredAt: created.createdAt.toISOString() }, { requestId: run.requestId }),
  );
  return { run: created, start };
}

export const CAMPAIGN_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Which contacts a campaign reaches (seed 003's segments): all of these that are given. */
export type CampaignSegment = Segment;

/**
 * An automation run for every contact of a segment (workflow `campaign-<id>`), throttled to
 * `sendsPerSecond`, resumable from `cursor` (the last contact done, in id order), each
 * recipient's sends keyed by campaign and contact so a retried batch never sends twice.
 */
export const CampaignSchema = defineEntity({
  name: 'Campaign',
  tableName: 'campaigns',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['tenant', 'requestKey'] }],
  indexes: [{ properties: ['tenant', 'automation', 'createdAt'] }, { properties: ['tenant', 'status'] }],
  properties: {
    automation: () => p.manyToOne(AutomationSchema).deleteRule('cascade'),
    version: p.integer(),
    segment: p.json<CampaignSegment>(),
    sendsPerSecond: p.integer(),
    status: p.enum(CAMPAIGN_STATUSES).default('running'),
    total: p.integer().default(0),
    processed: p.integer().default(0),
    sent: p.integer().default(0),
    skippedOptedOut: p.integer().default(0),
    skippedConditions: p.integer().default(0),
    failed: p.integer().default(0),
    cursor: p.uuid().nullable(),
    error: p.text().nullable(),
    finishedAt: p.datetime().nullable(),
    /**
     * The creating request's Idempotency-Key, hashed with its caller and body
     * (api/middleware/idempotency.ts): a retry after the API died between its commit and its
     * answer finds this row instead of running (and texting) a second time.
     */
    requestKey: p.string().length(64).nullable(),
  },
});
export type Campaign = InferEntity<typeof CampaignSchema>;

/**
 * A campaign step that wrote to the database (a lead, a note, a reminder) for one contact,
 * committed with what it wrote. A batch retried after a dead worker runs again from the
 * last saved cursor, up to COMMIT_EVERY contacts; this is how it finds the steps already
 * done instead of making a second lead or note (sends have their own key).
 */
export const CampaignStepSchema = defineEntity({
  name: 'CampaignStep',
  tableName: 'campaign_steps',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['campaign', 'contactId', 'stepId'] }],
  properties: {
    campaign: () => p.manyToOne(CampaignSchema).deleteRule('cascade'),
    /** No foreign key: a contact deleted later keeps nothing of the campaign from being deleted. */
    contactId: p.uuid(),
    stepId: p.string().length(40),
    output: p.json<unknown>().nullable(),
  },
});
export type CampaignStep = InferEntity<typeof CampaignStepSchema>;

/** A campaign's counts, as its run and its API answer give them. */
export const campaignCounts = (c: Campaign) => ({
  total: c.total,
  processed: c.processed,
  sent: c.sent,
  skipped_opted_out: c.skippedOptedOut,
  skipped_conditions: c.skippedConditions,
  failed: c.failed,
});
export type CampaignCounts = ReturnType<typeof campaignCounts>;

/** The counts of a campaign that is gone (deleted with its automation while it ran). */
export const noCampaignCounts = (): CampaignCounts => ({ total: 0, processed: 0, sent: 0, skipped_opted_out: 0, skipped_conditions: 0, failed: 0 });
