import { startWorkflow, type StartContext } from '../lib/workflowClient.ts';
import type { onboardTenantWorkflow } from './onboardTenant.ts';
import { defineWorkflowKind } from './kind.ts';

export const onboardingKind = defineWorkflowKind({ runType: 'onboarding', workflowType: 'onboardTenantWorkflow', entityType: 'tenant' });

export const onboardTenantWorkflowId = (tenantId: string) => `onboard-${tenantId}`;

export function startOnboardTenant(ctx: StartContext, tenantId: string) {
  return startWorkflow<typeof onboardTenantWorkflow>(ctx, {
    workflowType: onboardingKind.workflowType,
    workflowId: onboardTenantWorkflowId(tenantId),
    args: [{ tenantId }],
    entity: { type: onboardingKind.entityType, id: tenantId },
  });
}
