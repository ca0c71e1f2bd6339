import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../lib/config.ts';
import { readTestEnv, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from './testEnv.ts';

/** Env for the app and worker of one test file: the shared servers, a task queue of its own. */
export function testEnvVars(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env = readTestEnv();
  const vars: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: env.databaseUrl,
    DATABASE_POOL_MAX: '5',
    TEMPORAL_ADDRESS: env.temporalAddress,
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    WORKFLOW_BUNDLE_PATH: env.workflowBundlePath,
    JWT_SECRET: TEST_JWT_SECRET,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    OUTBOUND_ALLOWED_HOSTS: '127.0.0.1,localhost',
    METRICS_ENABLED: 'false',
    ...extra,
  };
  return Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => e[1] !== undefined));
}

export function testConfig(vars: Record<string, string>): Config {
  return loadConfig(vars);
}
