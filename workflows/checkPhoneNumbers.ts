import { proxyActivities } from '@temporalio/workflow';
import type { PhoneNumberActivities } from '../activities/phoneNumbers.ts';
import { presets } from './activityOptions.ts';

export interface CheckPhoneNumbersInput {
  tenantId: string;
  numbers: string[];
}

/**
 * Which of the numbers a tenant wants to claim are in its own Twilio account
 * (IncomingPhoneNumbers). PATCH /tenant waits for the answer: a number reaches the tenant's
 * inbox only when its Twilio account owns it, so nobody can squat another's number.
 */
export async function checkPhoneNumbersWorkflow(input: CheckPhoneNumbersInput): Promise<string[]> {
  const { ownedPhoneNumbers } = proxyActivities<PhoneNumberActivities>({ ...presets.providerCall, retry: { ...presets.providerCall.retry, maximumAttempts: 3 } });
  return ownedPhoneNumbers(input);
}
