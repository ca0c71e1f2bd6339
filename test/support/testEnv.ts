import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What globalSetup started for the whole run, handed to every test file through a JSON file. */
export interface TestEnv {
  databaseUrl: string;
  /** Migrated, never connected to: the source of each stack's own database. */
  templateDatabaseUrl: string;
  temporalAddress: string;
  workflowBundlePath: string;
  temporalCliPath: string;
}

/** One file per jest run (globalSetup sets the variable; test workers inherit it), so two runs never mix. */
export function testEnvFile(): string {
  return process.env.AISEC_TEST_ENV_FILE ?? fileURLToPath(new URL('../../.data/test/env.json', import.meta.url));
}

export function readTestEnv(): TestEnv {
  return JSON.parse(readFileSync(testEnvFile(), 'utf8')) as TestEnv;
}

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';
export const TEST_ENCRYPTION_KEY = '6d0c7f1e9a3b5d7f0e2c4a6b8d0f1e3c5a7b9d1f3e5c7a9b0d2f4e6c8a0b2d4f';
