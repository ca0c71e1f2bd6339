import { allHandlersFinished, ApplicationFailure, condition, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { KnowledgeActivities } from '../activities/knowledge.ts';
import type { MessageReview, TriageActivities, TriageOutcome } from '../activities/triage.ts';
import { presets } from './activityOptions.ts';
import { INVALID_REVIEW, NOT_AWAITING_REVIEW, REVIEW_STATUSES, reviewSignal, reviewUpdate, triageProgressQuery } from './triageMessage.client.ts';

const { classifyMessage } = proxyActivities<Pick<TriageActivities, 'classifyMessage'>>(presets.llmCall);
const { applyTriage, applyReview } = proxyActivities<Pick<TriageActivities, 'applyTriage' | 'applyReview'>>(presets.database);
// Drafting is a help, never a blocker: a few tries, then the message goes on without one.
const { draftKnowledgeReply } = proxyActivities<Pick<KnowledgeActivities, 'draftKnowledgeReply'>>({ ...presets.llmCall, retry: { ...presets.llmCall.retry, maximumAttempts: 3 } });

export interface TriageMessageInput {
  tenantId: string;
  messageId: string;
  /** How long a low-confidence triage waits for a person before it stops waiting. */
  reviewTimeoutSeconds: number;
}

export type TriageStep = 'classifying' | 'applying' | 'drafting' | 'awaiting_review' | 'applying_review' | 'done';

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

/** Refuses a review this run cannot take: it is not waiting for one, or the review sets a status no person may. */
function validateReview(progress: TriageProgress, pending: MessageReview | undefined, review: MessageReview): void {
  if (progress.step !== 'awaiting_review' || pending) throw ApplicationFailure.create({ type: NOT_AWAITING_REVIEW, message: 'This triage is not waiting for a review' });
  if (review.status && !(REVIEW_STATUSES as readonly string[]).includes(review.status)) {
    throw ApplicationFailure.create({ type: INVALID_REVIEW, message: `A review may set the status to ${REVIEW_STATUSES.join(', ')}` });
  }
}

/**
 * Triage of one inbound message (ID `triage-<messageId>`): classify (LLM or local
 * rules), apply the result in one transaction (contact, lead, proposed events, tasks,
 * status, outbox events), draft a reply from the knowledge base, and, when confidence
 * is low, wait for a person's review.
 */
export async function triageMessageWorkflow({ tenantId, messageId, reviewTimeoutSeconds }: TriageMessageInput): Promise<TriageMessageResult> {
  const progress: TriageProgress = { step: 'classifying', classifier: null, outcome: null };
  let review: MessageReview | undefined;
  let applied: TriageOutcome | undefined;
  setHandler(triageProgressQuery, () => progress);
  setHandler(reviewSignal, (r) => {
    review ??= r;
  });
  setHandler(
    reviewUpdate,
    async (r) => {
      review = r;
      // Answers once the activity (the only writer of a review's effects) has applied it.
      await condition(() => applied !== undefined);
      return applied!;
    },
    { validator: (r) => validateReview(progress, review, r) },
  );

  const classification = await classifyMessage({ tenantId, messageId });
  progress.classifier = classification.classifier;
  progress.step = 'applying';
  const { workflowId, runId } = workflowInfo();
  const { draftable, ...triaged } = await applyTriage({ tenantId, messageId, runKey: `${workflowId}/${runId}`, classification });
  let outcome: TriageOutcome = triaged;
  progress.outcome = outcome;
  // Runs started before the knowledge base replay without the step. A message with nothing
  // to draft from (spam, or a tenant with no indexed passage) skips it since
  // draft-needs-knowledge: the step would have searched and found nothing.
  if (patched('knowledge-draft') && !(draftable === false && patched('draft-needs-knowledge'))) {
    progress.step = 'drafting';
    await draftKnowledgeReply({ tenantId, messageId }).catch(() => undefined);
  }

  let reviewState: TriageMessageResult['review'] = 'not_needed';
  if (outcome.status === 'needs_review') {
    progress.step = 'awaiting_review';
    const reviewed = await condition(() => review !== undefined, reviewTimeoutSeconds * 1000);
    if (reviewed && review) {
      progress.step = 'applying_review';
      outcome = await applyReview({ tenantId, messageId, review });
      applied = outcome;
      progress.outcome = outcome;
      reviewState = 'applied';
    } else {
      reviewState = 'timed_out';
    }
  }
  progress.step = 'done';
  // The review's Update answers from its handler: let it return before the run closes.
  await condition(allHandlersFinished);
  return { ...outcome, classifier: classification.classifier, fallbackReason: classification.fallbackReason, review: reviewState };
}
