import type { Client } from '@temporalio/client';
import { eventually } from './factories.ts';

/**
 * Waits until triggering a Schedule again would start a new run. A Schedule names each run
 * by its own id plus the second it started (`…-2026-12-06T15:50:31Z`) and skips overlapping
 * runs, so a trigger is dropped while the last run is open, or while the Schedule has not yet
 * seen it close, or when it lands in the same second as that run (same workflow id).
 */
export async function untilScheduleCanStartAgain(client: Client, scheduleId: string, lastWorkflowId: string): Promise<void> {
  const stamp = /-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)$/.exec(lastWorkflowId)?.[1];
  if (!stamp) throw new Error(`not a scheduled run's workflow id: ${lastWorkflowId}`);
  await eventually(async () => ((await client.workflow.getHandle(lastWorkflowId).describe()).status.name !== 'RUNNING' ? true : undefined), { what: `${lastWorkflowId} to close` });
  await eventually(async () => ((await client.schedule.getHandle(scheduleId).describe()).info.runningActions.length === 0 ? true : undefined), { what: `${scheduleId} to see its run closed` });
  await eventually(async () => (Date.now() >= Date.parse(stamp) + 1000 ? true : undefined), { what: `the second after ${stamp}`, intervalMs: 50 });
}
