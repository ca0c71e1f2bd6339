import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import pg from 'pg';
import { ensureTemporalCli, projectRoot } from '../../scripts/lib/temporalCli.ts';
import { startTemporalDevServer } from '../../scripts/lib/temporalDevServer.ts';
import { startEmbeddedPostgres } from '../../scripts/lib/embeddedPostgres.ts';
import { customSearchAttributes } from '../../lib/searchAttributes.ts';
import { createOrm } from '../../lib/db.ts';
import { workflowInterceptorModules, workflowsPath } from '../../workers/createWorker.ts';
import { testEnvFile, type TestEnv } from './testEnv.ts';

const log = (line: string) => process.stderr.write(`[test setup] ${line}\n`);

/** Kept for globalTeardown, which runs in this same process. */
export const running: { stops: Array<() => Promise<void>> } = ((globalThis as Record<string, unknown>).__aisecTest ??= { stops: [] }) as {
  stops: Array<() => Promise<void>>;
};

async function embeddedServer(dataDir: string): Promise<string> {
  const embedded = await startEmbeddedPostgres({ dataDir, log });
  running.stops.push(() => embedded.stop());
  return embedded.baseUrl;
}

/**
 * Starts what the integration tests share: a PostgreSQL (the one in TEST_DATABASE_URL,
 * else an embedded one), a fresh database with the committed migrations applied, an
 * in-memory Temporal dev server with our search attributes, and the workflow bundle.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const root = projectRoot();
  const cliPath = await ensureTemporalCli(log);

  const serverUrl = process.env.TEST_DATABASE_URL ?? (await embeddedServer(join(root, '.data', 'test-postgres')));
  const dbName = `aisec_test_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database "${dbName}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  running.stops.push(async () => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    await c.query(`drop database if exists "${dbName}" with (force)`);
    await c.end();
  });

  const orm = createOrm({ url: databaseUrl });
  await orm.migrator.up();
  await orm.close();
  // A migrated copy nobody connects to: each test stack clones its own database from it
  // (test/support/databases.ts), so one file's outbox relay never sees another's rows.
  const templateName = `${dbName}_template`;
  const tpl = new pg.Client({ connectionString: serverUrl });
  await tpl.connect();
  await tpl.query(`create database "${templateName}" template "${dbName}"`);
  await tpl.end();
  running.stops.push(async () => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    await c.query(`drop database if exists "${templateName}" with (force)`);
    await c.end();
  });
  const templateUrl = new URL(serverUrl);
  templateUrl.pathname = `/${templateName}`;

  const temporal = await startTemporalDevServer({
    cliPath,
    port: 0,
    uiPort: 0,
    headless: true,
    searchAttributes: customSearchAttributes.map((k) => ({ name: k.name, type: 'Keyword' as const })),
    log,
  });
  running.stops.push(() => temporal.stop());

  const workflowBundlePath = join(root, '.data', 'test', `workflow-bundle-${process.pid}.js`);
  running.stops.push(async () => rmSync(workflowBundlePath, { force: true }));
  mkdirSync(dirname(workflowBundlePath), { recursive: true });
  const { code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules, logger: { info() {}, warn() {}, error: log, debug() {}, trace() {}, log() {} } });
  writeFileSync(workflowBundlePath, code);

  const env: TestEnv = { databaseUrl, templateDatabaseUrl: templateUrl.toString(), temporalAddress: temporal.address, workflowBundlePath, temporalCliPath: cliPath };
  process.env.AISEC_TEST_ENV_FILE = join(root, '.data', 'test', `env-${process.pid}.json`);
  mkdirSync(dirname(testEnvFile()), { recursive: true });
  writeFileSync(testEnvFile(), JSON.stringify(env, null, 2));
  running.stops.push(async () => rmSync(testEnvFile(), { force: true }));
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s (database ${dbName}, Temporal ${temporal.address})`);
}
