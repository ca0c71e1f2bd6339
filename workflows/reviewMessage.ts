import { proxyActivities } from '@temporalio/workflow';
import type { MessageReview, TriageActivities, TriageOutcome } from '../activities/triage.ts';
import { presets } from './activityOptions.ts';

const { applyReview } = proxyActivities<Pick<TriageActivities, 'applyReview'>>(presets.database);

export interface ReviewMessageInput {
  tenantId: string;
  messageId: string;
  review: MessageReview;
}

/**
 * A person's review of a message whose triage no longer waits for one (the wait timed
 * out, or the run was cancelled): the same apply step the waiting triage runs, so a late
 * review still sets the status by the same rule and creates the lead a sales inquiry needs.
 * ID `review-<messageId>`.
 */
export async function reviewMessageWorkflow({ tenantId, messageId, review }: ReviewMessageInput): Promise<TriageOutcome> {
  return applyReview({ tenantId, messageId, review });
}
