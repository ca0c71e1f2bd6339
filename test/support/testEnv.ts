import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What globalSetup started for the whole run, handed to every test file through a JSON file. */
export interface TestEnv {
  databaseUrl: string;
  temporalAddress: string;
  workflowBundlePath: string;
  temporalCliPath: string;
}

export const testEnvFile = fileURLToPath(new URL('../../.data/test/env.json', import.meta.url));

export function readTestEnv(): TestEnv {
  return JSON.parse(readFileSync(testEnvFile, 'utf8')) as TestEnv;
}

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';
