import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { runTags } from './workflowClient.ts';
import { automationKind, type AutomationInput } from '../workflows/runAutomation.client.ts';

export const automationScheduleId = (automationId: string) => `automation-schedule-${automationId}`;

/** An automation as its Schedule depends on it; null when it was deleted. */
export interface ScheduledAutomation {
  id: string;
  tenantId: string;
  enabled: boolean;
  triggerType: string;
  triggerConfig: { cron?: string; timezone?: string };
}

/**
 * Makes a cron automation's Temporal Schedule match its row: one Schedule firing in the
 * automation's IANA zone while it is enabled (each firing a run, `automation-cron-<id>`
 * plus Temporal's timestamp, that opens its own run row with the definition of that
 * moment), none otherwise. Idempotent: the API calls it after each change, and the outbox
 * relay again for rows whose call did not get through.
 */
export async function reconcileAutomationSchedule(client: Client, taskQueue: string, automationId: string, row: ScheduledAutomation | null): Promise<void> {
  const handle = client.schedule.getHandle(automationScheduleId(automationId));
  const cron = row?.triggerType === 'time_based' ? row.triggerConfig.cron : undefined;
  if (!row || !row.enabled || !cron) {
    await handle.delete().catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
    return;
  }
  const spec = { cronExpressions: [cron], timezone: row.triggerConfig.timezone ?? 'UTC' };
  const input: AutomationInput = { tenantId: row.tenantId, runId: '', automationId: row.id, definition: { version: 0, conditions: null, steps: [] }, context: {}, triggeredAt: '', scheduled: true };
  const tags = runTags({ tenantId: row.tenantId }, { type: 'automation', id: row.id });
  const action = { type: 'startWorkflow' as const, workflowType: automationKind.workflowType, workflowId: `automation-cron-${row.id}`, taskQueue, args: [input], ...tags };
  try {
    await handle.update((previous) => ({ ...previous, spec, action }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    // A firing missed while Temporal was down is not made up later; runs of one automation may overlap.
    await client.schedule.create({ scheduleId: automationScheduleId(row.id), spec, action, policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: '1 minute' }, ...tags });
  }
}
