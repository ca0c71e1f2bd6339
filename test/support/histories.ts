import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readTestEnv } from './testEnv.ts';

export const historiesDir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

interface HistoryJson {
  events: Array<{ eventType: string; activityTaskScheduledEventAttributes?: { activityType?: { name?: string } }; timerStartedEventAttributes?: unknown }>;
}

/**
 * A history's shape: the sequence of event types and activity names, which is what a
 * change to workflow code can break. Two captures of one version share it.
 */
export function historyShape(history: HistoryJson): string {
  const steps = history.events.map((e) => `${e.eventType}${e.activityTaskScheduledEventAttributes?.activityType?.name ? `:${e.activityTaskScheduledEventAttributes.activityType.name}` : ''}`);
  return createHash('sha256').update(steps.join('\n')).digest('hex').slice(0, 10);
}

/**
 * With CAPTURE_HISTORIES=1, saves a finished run's event history as a replay fixture
 * (scripts/replay-histories.ts checks them), as `<name>.<shape>.json`. A capture never
 * replaces a file: the same shape is already kept, a new shape (a new workflow version)
 * is added beside the old ones, which replay testing exists to keep. Taken with the
 * Temporal CLI, in the same JSON an operator gets from `temporal workflow show --output json`.
 */
export function captureHistory(workflowId: string, name: string): void {
  if (!process.env.CAPTURE_HISTORIES) return;
  const env = readTestEnv();
  const json = execFileSync(env.temporalCliPath, ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', env.temporalAddress]);
  mkdirSync(historiesDir, { recursive: true });
  const file = `${historiesDir}${name}.${historyShape(JSON.parse(json.toString()) as HistoryJson)}.json`;
  if (!existsSync(file)) writeFileSync(file, json);
}
