/**
 * `npm start`: the whole product on one machine with no credentials. Starts (or uses)
 * the Temporal dev server and PostgreSQL, applies migrations, then runs a worker and
 * the API as child processes. Ctrl-C stops everything, workers draining first.
 */
import { workerNodeArgs } from '../lib/workerProcess.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTemporalCli, projectRoot } from './lib/temporalCli.ts';
import { startTemporalDevServer } from './lib/temporalDevServer.ts';
import { startEmbeddedPostgres } from './lib/embeddedPostgres.ts';
import { customSearchAttributes } from '../lib/searchAttributes.ts';
import { createOrm } from '../lib/db.ts';

const root = projectRoot();
const dataDir = join(root, '.data');
mkdirSync(dataDir, { recursive: true });
const say = (line: string) => console.log(`[start] ${line}`);
const stops: Array<() => Promise<void>> = [];

/** A dev JWT secret made once and kept under .data/, so sessions survive a restart. */
function devJwtSecret(): string {
  const file = join(dataDir, 'jwt-secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** A dev encryption key for secrets at rest, made once and kept under .data/ like the JWT secret. */
function devEncryptionKey(): string {
  const file = join(dataDir, 'encryption-key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

async function postgresUrl(): Promise<string> {
  if (process.env.DATABASE_URL) {
    say('PostgreSQL: using DATABASE_URL');
    return process.env.DATABASE_URL;
  }
  say('PostgreSQL: starting the embedded server (data in .data/postgres)');
  const pg = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), port: Number(process.env.EMBEDDED_POSTGRES_PORT ?? 5488), log: say });
  stops.push(() => pg.stop());
  await pg.ensureDatabase('ai_secretary');
  return pg.urlFor('ai_secretary');
}

async function temporalAddress(): Promise<{ address: string; uiUrl: string }> {
  if (process.env.TEMPORAL_ADDRESS) {
    say(`Temporal: using ${process.env.TEMPORAL_ADDRESS}`);
    return { address: process.env.TEMPORAL_ADDRESS, uiUrl: process.env.TEMPORAL_UI_URL ?? 'http://localhost:8233' };
  }
  const cliPath = await ensureTemporalCli(say);
  say('Temporal: starting the dev server (history in .data/temporal.db)');
  const server = await startTemporalDevServer({
    cliPath,
    port: 7233,
    uiPort: 8233,
    dbFile: join(dataDir, 'temporal.db'),
    searchAttributes: customSearchAttributes.map((k) => ({ name: k.name, type: 'Keyword' as const })),
    log: (line) => {
      if (process.env.LOG_LEVEL === 'debug') say(`temporal: ${line}`);
    },
  });
  stops.push(() => server.stop());
  return { address: server.address, uiUrl: server.uiUrl ?? 'http://localhost:8233' };
}

function run(name: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [...(script === 'workers/main.ts' ? workerNodeArgs(env) : []), join(root, script)], { env, stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    if (!shuttingDown) {
      say(`${name} exited (${signal ?? code}); stopping everything`);
      void shutdown(1);
    }
  });
  return child;
}

let shuttingDown = false;
const children: ChildProcess[] = [];
async function shutdown(code = 0) {
  if (shuttingDown) return;
  shuttingDown = true;
  say('stopping: API and worker first (in-flight work drains), then Temporal and PostgreSQL');
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  for (const stop of stops.reverse()) await stop().catch((err: unknown) => say(`stop failed: ${String(err)}`));
  say('stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const [databaseUrl, temporal] = await Promise.all([postgresUrl(), temporalAddress()]);
  say('applying migrations');
  const orm = createOrm({ url: databaseUrl });
  const applied = await orm.migrator.up();
  await orm.close();
  say(`migrations: ${applied.length} applied`);

  const port = process.env.PORT ?? '3000';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_UI_URL: temporal.uiUrl,
    JWT_SECRET: process.env.JWT_SECRET ?? devJwtSecret(),
    // One API process here: its own counters will do (production shares them in PostgreSQL).
    RATE_LIMIT_STORE: process.env.RATE_LIMIT_STORE ?? 'memory',
    ENCRYPTION_KEY: process.env.ENCRYPTION_KEY ?? devEncryptionKey(),
    // Local development: webhooks to this machine (a receiver on localhost) are allowed.
    OUTBOUND_ALLOWED_HOSTS: process.env.OUTBOUND_ALLOWED_HOSTS ?? '127.0.0.1,localhost',
    PORT: port,
    LOG_PRETTY: process.env.LOG_PRETTY ?? String(Boolean(process.stdout.isTTY)),
  };
  say('starting the worker and the API');
  children.push(run('worker', 'workers/main.ts', env), run('api', 'api/server.ts', env));
  const base = `http://localhost:${port}`;
  say(`API:         ${base}/api/v1`);
  say(`API docs:    ${base}/api/v1/docs`);
  say(`Temporal UI: ${temporal.uiUrl}`);
  say('Ctrl-C stops everything.');
} catch (err) {
  say(`could not start: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}
