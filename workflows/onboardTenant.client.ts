import { startWorkflow, type StartContext } from '../lib/workflowClient.ts';
import type { onboardTenantWorkflow } from './onboardTenant.ts';

export const onboardTenantWorkflowId = (tenantId: string) => `onboard-${tenantId}`;

export function startOnboardTenant(ctx: StartContext, tenantId: string) {
  return startWorkflow<typeof onboardTenantWorkflow>(ctx, {
    workflowType: 'onboardTenantWorkflow',
    workflowId: onboardTenantWorkflowId(tenantId),
    args: [{ tenantId }],
    entity: { type: 'tenant', id: tenantId },
  });
}
