import { startWorkflow, type StartContext } from '../lib/workflowClient.ts';
import type { onboardTenantWorkflow } from './onboardTenant.ts';
import { defineWorkflowKind } from './kind.ts';
import type { StartRequest } from '../entities/WorkflowStart.ts';

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

/** The start row for a new tenant's onboarding, committed with the tenant. */
export function onboardingStartRequest(tenantId: string, requestId?: string): StartRequest {
  return {
    tenantId,
    workflowType: onboardingKind.workflowType,
    workflowId: onboardTenantWorkflowId(tenantId),
    args: [{ tenantId }],
    entity: { type: onboardingKind.entityType, id: tenantId },
    requestId: requestId ?? null,
  };
}
