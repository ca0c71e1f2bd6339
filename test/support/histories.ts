import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readTestEnv } from './testEnv.ts';

export const historiesDir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

/**
 * With CAPTURE_HISTORIES=1, saves a finished run's event history as a replay fixture
 * (scripts/replay-histories.ts checks them). Taken with the Temporal CLI, in the same
 * JSON an operator gets from `temporal workflow show --output json`.
 */
export function captureHistory(workflowId: string, name: string): void {
  if (!process.env.CAPTURE_HISTORIES) return;
  const env = readTestEnv();
  const json = execFileSync(env.temporalCliPath, ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', env.temporalAddress]);
  mkdirSync(historiesDir, { recursive: true });
  writeFileSync(`${historiesDir}${name}.json`, json);
}
