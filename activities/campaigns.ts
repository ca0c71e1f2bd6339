import { ApplicationFailure, Context } from '@temporalio/activity';
import { LockMode } from '@mikro-orm/core';
import { tenantEm, type EntityManager } from '../lib/db.ts';
import { evaluate } from '../lib/automations/conditions.ts';
import type { RunDefinition } from '../lib/automations/definition.ts';
import { segmentWhere } from '../lib/automations/segment.ts';
import { renderFields } from '../lib/automations/template.ts';
import { contactSnapshot } from '../lib/snapshots.ts';
import { campaignCounts, noCampaignCounts, CampaignSchema, CampaignStepSchema, type Campaign, type CampaignCounts, type CampaignStatus } from '../entities/Automation.ts';
import { recordEvent } from '../entities/Event.ts';
import { databaseActions, sendKeyed, type AutomationDeps } from './automationActions.ts';

interface ContactRow {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  organization: string | null;
  tags: string[];
  custom_fields: Record<string, unknown>;
  sms_opt_out: boolean;
}

export type { CampaignCounts } from '../entities/Automation.ts';

/** Commits progress this often (contacts): a retried batch goes over at most this many again, and finds their sends and database steps done. */
const COMMIT_EVERY = 25;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A campaign's work (workflow `campaign-<id>`): batches of contacts in id order from the
 * committed cursor, each contact's steps keyed by campaign and contact, sends paced to the
 * campaign's rate. A worker that dies mid-batch loses only uncommitted counts: the retry
 * starts at the cursor and finds what was already sent.
 */
export function createCampaignActivities(deps: AutomationDeps) {
  async function commit(em: EntityManager, id: string, patch: Partial<Campaign>): Promise<Campaign> {
    return em.transactional(async (tx) => {
      const c = await tx.findOneOrFail(CampaignSchema, id, { lockMode: LockMode.PESSIMISTIC_WRITE });
      Object.assign(c, patch);
      return c;
    });
  }

  return {
    async runCampaignBatch(input: { tenantId: string; campaignId: string; definition: RunDefinition; limit: number; nextSendAt: number }): Promise<{ done: boolean; counts: CampaignCounts; nextSendAt: number }> {
      const ctx = Context.current();
      const em = tenantEm(deps.orm, input.tenantId);
      const campaign = await em.findOne(CampaignSchema, input.campaignId, { refresh: true });
      // Deleted with its automation while it ran: nothing more to send.
      if (!campaign) return { done: true, counts: noCampaignCounts(), nextSendAt: input.nextSendAt };
      if (campaign.status !== 'running') return { done: true, counts: campaignCounts(campaign), nextSendAt: input.nextSendAt };
      const where = segmentWhere(campaign.segment);
      const contacts = (await em
        .getConnection()
        .execute(
          `select c.id, c.name, c.email, c.phone, c.organization, c.tags, c.custom_fields, c.sms_opt_out from contact c where c.tenant_id = ? and ${where.sql} ${campaign.cursor ? 'and c.id > ?' : ''} order by c.id limit ?`,
          [input.tenantId, ...where.params, ...(campaign.cursor ? [campaign.cursor] : []), input.limit],
        )) as ContactRow[];
      const counts = campaignCounts(campaign);
      const interval = 1000 / campaign.sendsPerSecond;
      // A token bucket: a quarter second's sends may catch up after a pause (a batch boundary), so the long-run rate holds.
      const catchUp = Math.max(1, Math.round(campaign.sendsPerSecond / 4)) * interval;
      let nextSendAt = Math.max(input.nextSendAt || Date.now(), Date.now() - catchUp);
      let cursor = campaign.cursor ?? null;
      let uncommitted = 0;
      const save = async () => {
        await commit(em, campaign.id, { cursor, processed: counts.processed, sent: counts.sent, skippedOptedOut: counts.skipped_opted_out, skippedConditions: counts.skipped_conditions, failed: counts.failed });
        uncommitted = 0;
      };
      const texts = input.definition.steps.some((s) => s.type === 'send_sms');
      for (const c of contacts) {
        ctx.heartbeat({ cursor: c.id, processed: counts.processed });
        const context = { contact: { ...contactSnapshot(c), custom_fields: c.custom_fields }, campaign: { id: campaign.id } };
        if (!evaluate(input.definition.conditions, context)) counts.skipped_conditions++;
        else if (texts && c.sms_opt_out) counts.skipped_opted_out++;
        else {
          try {
            for (const step of input.definition.steps) {
              const { id: stepId, type, ...fields } = step;
              const rendered = renderFields(fields, context) as Record<string, unknown>;
              const key = `campaign:${campaign.id}:${c.id}:${stepId}`;
              if (type === 'send_sms' || type === 'send_email') {
                // Paced: a send waits for its slot at the campaign's rate (a repeat of an earlier send needs none).
                const wait = nextSendAt - Date.now();
                if (wait > 0) await sleep(wait);
                // Attempt 1 on every retry of the batch: a send already made is found, not made again.
                const sent = await sendKeyed(deps.messaging, em, input.tenantId, type, rendered, key, { type: 'campaign', campaign_id: campaign.id, contact_id: c.id, step: stepId }, 1);
                nextSendAt = Math.max(nextSendAt + interval, Date.now() - catchUp);
                if (!sent.sent) {
                  counts.skipped_opted_out++;
                  throw new SkipContact();
                }
              } else {
                await em.transactional(async (tx) => {
                  // Done before this batch was retried: its record was committed with what it wrote.
                  if (await tx.findOne(CampaignStepSchema, { campaign: campaign.id, contactId: c.id, stepId })) return;
                  const output = await databaseActions[type](tx, { tenantId: input.tenantId, runId: `campaign:${campaign.id}:${c.id}`, stepId }, rendered, deps);
                  tx.create(CampaignStepSchema, { tenant: input.tenantId, campaign: campaign.id, contactId: c.id, stepId, output: output ?? null });
                });
              }
            }
            counts.sent++;
          } catch (err) {
            // A step refused for this contact (a bad address, a refused send) fails only this contact; anything else is retried.
            if (err instanceof ApplicationFailure && err.nonRetryable) counts.failed++;
            else if (!(err instanceof SkipContact)) throw err;
          }
        }
        counts.processed++;
        cursor = c.id;
        if (++uncommitted >= COMMIT_EVERY) await save();
      }
      await save();
      return { done: contacts.length < input.limit, counts, nextSendAt };
    },

    /** Closes the campaign once, with `campaign.completed` (or the reason it stopped). */
    async finishCampaign(input: { tenantId: string; campaignId: string; status: CampaignStatus; error: string | null }): Promise<CampaignCounts> {
      const em = tenantEm(deps.orm, input.tenantId);
      return em.transactional(async (tx) => {
        const c = await tx.findOne(CampaignSchema, input.campaignId, { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['automation'] });
        if (!c) return noCampaignCounts();
        if (c.finishedAt) return campaignCounts(c);
        Object.assign(c, { status: input.status, error: input.error, finishedAt: new Date() });
        recordEvent(tx, {
          tenantId: input.tenantId,
          type: input.status === 'completed' ? 'automation.completed' : 'automation.failed',
          entityType: 'campaign',
          entityId: c.id,
          payload: { automation_id: c.automation.id, campaign_id: c.id, status: input.status, error: input.error, ...campaignCounts(c) },
        });
        return campaignCounts(c);
      });
    },
  };
}

/** A contact the campaign passes over (opted out at the send). */
class SkipContact extends Error {}

export type CampaignActivities = ReturnType<typeof createCampaignActivities>;
