import { startWorkflow, type StartContext } from '../lib/workflowClient.ts';
import type { checkPhoneNumbersWorkflow } from './checkPhoneNumbers.ts';
import { defineWorkflowKind } from './kind.ts';

export const phoneNumbersKind = defineWorkflowKind({ runType: 'phone_numbers', workflowType: 'checkPhoneNumbersWorkflow', entityType: 'tenant' });

/** Keyed on the claim itself (at most 20 E.164 numbers): the same numbers asked for twice share a check. */
export const phoneNumbersWorkflowId = (tenantId: string, numbers: string[]) => `phone-numbers-${tenantId}-${[...numbers].sort().join(',')}`;

export function startPhoneNumberCheck(ctx: StartContext, numbers: string[]) {
  return startWorkflow<typeof checkPhoneNumbersWorkflow>(ctx, {
    workflowType: phoneNumbersKind.workflowType,
    workflowId: phoneNumbersWorkflowId(ctx.tenantId, numbers),
    args: [{ tenantId: ctx.tenantId, numbers }],
    entity: { type: phoneNumbersKind.entityType, id: ctx.tenantId },
    rerunnable: true,
  });
}
