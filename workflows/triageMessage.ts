import { condition, defineQuery, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { MessageReview, TriageActivities, TriageOutcome } from '../activities/triage.ts';
import { presets } from './activityOptions.ts';

const { classifyMessage } = proxyActivities<Pick<TriageActivities, 'classifyMessage'>>(presets.llmCall);
const { applyTriage, applyReview } = proxyActivities<Pick<TriageActivities, 'applyTriage' | 'applyReview'>>(presets.database);

export interface TriageMessageInput {
  tenantId: string;
  messageId: string;
  /** How long a low-confidence triage waits for a person before it stops waiting. */
  reviewTimeoutSeconds: number;
}

export type TriageStep = 'classifying' | 'applying' | 'awaiting_review' | 'applying_review' | 'done';

export interface TriageProgress {
  step: TriageStep;
  classifier: string | null;
  outcome: TriageOutcome | null;
}

export interface TriageMessageResult extends TriageOutcome {
  classifier: string;
  fallbackReason: string | null;
  review: 'not_needed' | 'applied' | 'timed_out';
}

export const triageProgressQuery = defineQuery<TriageProgress>('progress');
/** Sent when a person confirms or corrects a message that triage marked needs_review. */
export const reviewSignal = defineSignal<[MessageReview]>('review');

/**
 * Triage of one inbound message (ID `triage-<messageId>`): classify (LLM or local
 * rules), apply the result in one transaction (contact, lead, proposed events, tasks,
 * status, outbox events), and, when confidence is low, wait for a person's review.
 */
export async function triageMessageWorkflow({ tenantId, messageId, reviewTimeoutSeconds }: TriageMessageInput): Promise<TriageMessageResult> {
  const progress: TriageProgress = { step: 'classifying', classifier: null, outcome: null };
  let review: MessageReview | undefined;
  setHandler(triageProgressQuery, () => progress);
  setHandler(reviewSignal, (r) => {
    review = r;
  });

  const classification = await classifyMessage({ tenantId, messageId });
  progress.classifier = classification.classifier;
  progress.step = 'applying';
  const { workflowId, runId } = workflowInfo();
  let outcome = await applyTriage({ tenantId, messageId, runKey: `${workflowId}/${runId}`, classification });
  progress.outcome = outcome;

  let reviewState: TriageMessageResult['review'] = 'not_needed';
  if (outcome.status === 'needs_review') {
    progress.step = 'awaiting_review';
    const reviewed = await condition(() => review !== undefined, reviewTimeoutSeconds * 1000);
    if (reviewed && review) {
      progress.step = 'applying_review';
      outcome = await applyReview({ tenantId, messageId, review });
      progress.outcome = outcome;
      reviewState = 'applied';
    } else {
      reviewState = 'timed_out';
    }
  }
  progress.step = 'done';
  return { ...outcome, classifier: classification.classifier, fallbackReason: classification.fallbackReason, review: reviewState };
}
