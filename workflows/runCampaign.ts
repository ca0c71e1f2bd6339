import { CancellationScope, continueAsNew, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import type { CampaignActivities, CampaignCounts } from '../activities/campaigns.ts';
import { presets } from './activityOptions.ts';
import { campaignProgressQuery, type CampaignInput } from './runCampaign.client.ts';

// A batch paces its sends for minutes: it heartbeats each contact, so a dead worker is noticed in seconds.
const { runCampaignBatch } = proxyActivities<CampaignActivities>({ startToCloseTimeout: '30 minutes', heartbeatTimeout: '10 seconds', retry: presets.database.retry });
const { finishCampaign } = proxyActivities<CampaignActivities>(presets.database);

/** Batches per run before continue-as-new keeps the history small. */
const BATCHES_PER_RUN = 50;

/**
 * A campaign (ID `campaign-<id>`): the automation's steps for every contact of a segment,
 * batch by batch from the committed cursor, throttled to its sends per second; resumable,
 * each recipient's sends keyed once; progress in the `progress` query and on the row.
 */
export async function runCampaignWorkflow(input: CampaignInput): Promise<CampaignCounts & { status: string }> {
  const ref = { tenantId: input.tenantId, campaignId: input.campaignId };
  let progress: CampaignCounts & { status: string } = { status: 'running', total: 0, processed: 0, sent: 0, skipped_opted_out: 0, skipped_conditions: 0, failed: 0 };
  setHandler(campaignProgressQuery, () => progress);
  let nextSendAt = input.nextSendAt ?? 0;
  try {
    for (let batch = 0; ; batch++) {
      const r = await runCampaignBatch({ ...ref, definition: input.definition, limit: input.batchSize, nextSendAt });
      progress = { ...r.counts, status: 'running' };
      nextSendAt = r.nextSendAt;
      if (r.done) break;
      if (batch + 1 >= BATCHES_PER_RUN) return await continueAsNew<typeof runCampaignWorkflow>({ ...input, nextSendAt });
    }
    progress = { ...(await finishCampaign({ ...ref, status: 'completed', error: null })), status: 'completed' };
    return progress;
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(() => finishCampaign({ ...ref, status: 'cancelled', error: 'cancelled' }));
    throw err;
  }
}
