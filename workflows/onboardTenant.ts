import { defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { OnboardingActivities } from '../activities/onboarding.ts';
import { presets } from './activityOptions.ts';

const { createDefaultPipeline, markTenantOnboarded } = proxyActivities<OnboardingActivities>(presets.database);

export interface OnboardTenantInput {
  tenantId: string;
}

export interface OnboardTenantResult {
  pipelineId: string;
  onboardedAt: string;
}

export type OnboardingStep = 'starting' | 'creating_pipeline' | 'finishing' | 'done';
export const onboardingProgressQuery = defineQuery<{ step: OnboardingStep }>('progress');

/** Prepares a newly registered tenant: a default sales pipeline, then the `tenant.onboarded` event. */
export async function onboardTenantWorkflow({ tenantId }: OnboardTenantInput): Promise<OnboardTenantResult> {
  let step: OnboardingStep = 'starting';
  setHandler(onboardingProgressQuery, () => ({ step }));

  step = 'creating_pipeline';
  const { pipelineId } = await createDefaultPipeline(tenantId);
  step = 'finishing';
  const { onboardedAt } = await markTenantOnboarded(tenantId);
  step = 'done';
  return { pipelineId, onboardedAt };
}
